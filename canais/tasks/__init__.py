"""Channel tasks. Names are explicit (``canais.tasks.<nome>``) and routed to their queues in
settings.CELERY_TASK_ROUTES: inbound processing on ``webhooks``, sending on ``messages``."""

from __future__ import annotations

from .email import *  # noqa: F403
from .entrada import *  # noqa: F403
from .envio import *  # noqa: F403
from .retencao import *  # noqa: F403
