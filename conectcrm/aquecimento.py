"""What the warm-ups of the Celery pool processes share (``ia/aquecimento.py``,
``canais/aquecimento.py``): which queues this process's worker consumes, and a background
thread that warms without ever raising (the pool waits only a few seconds for a new child to
report alive; a failure is logged and the first job pays for what is missing)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


def consome_fila(app, fila: str) -> bool:
    """The worker of this process consumes ``fila`` (its ``-Q``)."""
    try:
        return fila in app.amqp.queues.consume_from
    except Exception:  # no queue table (a client process): nothing to warm
        return False


def em_segundo_plano(nome: str, aquecer: Callable[[], None], falha: str) -> threading.Thread:
    """Run ``aquecer`` in a daemon thread named ``nome``; an error is logged as ``falha``."""

    def _registrando() -> None:
        try:
            aquecer()
        except Exception:
            logger.warning(falha, exc_info=True)

    fio = threading.Thread(target=_registrando, name=nome, daemon=True)
    fio.start()
    return fio
