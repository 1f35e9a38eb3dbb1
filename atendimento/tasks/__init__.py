"""Desk tasks. Names are explicit (``atendimento.tasks.<nome>``); every ``atendimento.tasks.*``
task runs on the ``notifications`` queue (settings.CELERY_TASK_ROUTES). One module per area."""

from __future__ import annotations

from .notificacoes import *  # noqa: F403
