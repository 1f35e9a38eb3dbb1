"""Desk tasks. Names are explicit (``atendimento.tasks.<nome>``); every ``atendimento.tasks.*``
task runs on the ``notifications`` queue (settings.CELERY_TASK_ROUTES); the periodic ones are
scheduled by Celery beat (settings.CELERY_BEAT_SCHEDULE). One module per area."""

from __future__ import annotations

from .automacao import *  # noqa: F403
from .notificacoes import *  # noqa: F403
