"""The desk's own background jobs. Names are explicit (``atendimento.tasks.<nome>``) and routed
by settings.CELERY_TASK_ROUTES (``atendimento.tasks.*``: the ``notifications`` queue); the
periodic ones are scheduled by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from .automacao import *  # noqa: F403
