"""The enqueue seam: the one place the desk hands work to Celery, by task object.

Services import the task objects they queue from here (never ``canais.tasks`` by name, never
``getattr`` on a module); the task modules import no service at module level (each task imports
the service it calls inside its body).  So the import graph has no circle: services → this
seam → tasks, and a task reaches its service only when it runs.

:func:`enfileirar` never raises: a broker that cannot be reached is logged (once per interval)
and reported as False; callers rely on their own bookkeeping then (the webhook sweep, a
message kept ``pendente`` with the reason shown), never on this call succeeding.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from canais.tasks.email import baixar_inline
from canais.tasks.entrada import baixar_midia, process_webhook
from canais.tasks.envio import (
    digitando,
    enviar_lote,
    enviar_mensagem,
    enviar_midia,
    marcar_lida_provedor,
    reenviar_mensagem,
    responder_callback,
)
from conectcrm.avisos import AvisoLimitado

__all__ = [
    "baixar_inline",
    "baixar_midia",
    "digitando",
    "enfileirar",
    "enviar_lote",
    "enviar_mensagem",
    "enviar_midia",
    "marcar_lida_provedor",
    "process_webhook",
    "publicar",
    "reenviar_mensagem",
    "responder_callback",
]

logger = logging.getLogger(__name__)
#: while the broker is down every call fails the same way: one line per interval, no traceback
aviso = AvisoLimitado(logger)


def enfileirar(tarefa: Task, *args: Any, **kwargs: Any) -> bool:
    """Queue ``tarefa(*args, **kwargs)``; False (logged) when the broker is unreachable."""
    return publicar(tarefa, args=args, kwargs=kwargs or None)


def publicar(
    tarefa: Task,
    *,
    args: list[Any] | tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    **opcoes: Any,
) -> bool:
    """``tarefa.apply_async(args, kwargs, **opcoes)`` (``countdown``…); False (logged) when the
    broker is unreachable."""
    try:
        tarefa.apply_async(args=args, kwargs=kwargs, **opcoes)
    except Exception as exc:  # kombu OperationalError and friends: the broker is down
        aviso("broker", "broker indisponível: %s%s não enfileirada", tarefa.name, args, exc=exc)
        return False
    aviso.esquecer("broker")
    return True
