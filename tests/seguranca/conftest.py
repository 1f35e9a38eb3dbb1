from __future__ import annotations

from tests.canais.webhook_apoio import celery_eager, midia_em_tmp  # noqa: F401 - shared fixtures
