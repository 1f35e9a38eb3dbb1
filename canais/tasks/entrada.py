"""Inbound tasks (webhooks queue): process_webhook, varrer_webhooks_pendentes, baixar_midia.

Thin: each one calls a service.  All are idempotent, so a re-delivery (acks_late, lost worker)
or a sweep re-queueing an event that is also still in the queue does no harm.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from canais.adapters.base import ErroTransitorio

logger = logging.getLogger(__name__)

__all__ = ["baixar_midia", "enfileirar", "process_webhook", "varrer_webhooks_pendentes"]

#: events stored this long ago and still ``recebido`` are re-queued by the sweep
IDADE_VARREDURA_SEGUNDOS = float(getattr(settings, "VARREDURA_WEBHOOKS_IDADE_SEGUNDOS", 30))
LOTE_VARREDURA = 500


def enfileirar(tarefa: Task, *args: str) -> bool:
    """Queue ``tarefa``; False (logged) when the broker is unreachable — callers rely on the
    sweep (events) or on the task's own retries, never on this call succeeding."""
    try:
        tarefa.apply_async(args=args)
    except Exception:  # kombu OperationalError and friends: the broker is down
        logger.warning(
            "broker indisponível: %s%s não enfileirada", tarefa.name, args, exc_info=True
        )
        return False
    return True


def _espera(tentativa: int, maximo: float = 300) -> float:
    return min(2.0**tentativa, maximo)


@shared_task(name="canais.tasks.process_webhook", bind=True, acks_late=True, max_retries=8)
def process_webhook(self: Task, evento_id: str) -> str | None:
    from canais.eventos import evento_webhook_processar, evento_webhook_registrar_falha

    try:
        return evento_webhook_processar(evento_id=evento_id)
    except (OperationalError, InterfaceError) as exc:  # database restarting, deadlock…
        raise self.retry(exc=exc, countdown=_espera(self.request.retries)) from exc
    except Exception as exc:
        logger.exception("falha ao processar o webhook %s", evento_id)
        evento_webhook_registrar_falha(evento_id=evento_id, erro=f"{type(exc).__name__}: {exc}")
        return None


@shared_task(name="canais.tasks.varrer_webhooks_pendentes", acks_late=True)
def varrer_webhooks_pendentes(
    idade_segundos: float = IDADE_VARREDURA_SEGUNDOS, limite: int = LOTE_VARREDURA
) -> int:
    """Re-queue events stored but still unprocessed (the broker was down when they arrived, or
    their task was lost).  Returns how many were re-queued."""
    from canais.eventos import eventos_webhook_pendentes_reivindicar

    ids = eventos_webhook_pendentes_reivindicar(idade_segundos=idade_segundos, limite=limite)
    enfileirados = sum(enfileirar(process_webhook, str(evento_id)) for evento_id in ids)
    if ids:
        logger.info(
            "varredura: %d de %d webhooks pendentes re-enfileirados", enfileirados, len(ids)
        )
    return enfileirados


@shared_task(name="canais.tasks.baixar_midia", bind=True, acks_late=True, max_retries=6)
def baixar_midia(self: Task, mensagem_id: str) -> None:
    from atendimento.services.midia import mensagem_midia_baixar, mensagem_midia_marcar_erro

    try:
        mensagem_midia_baixar(mensagem_id=mensagem_id)
    except ErroTransitorio as exc:
        if self.request.retries >= self.max_retries:
            mensagem_midia_marcar_erro(mensagem_id=mensagem_id, detalhe=str(exc))
            return
        espera = exc.retry_after if exc.retry_after is not None else _espera(self.request.retries)
        raise self.retry(exc=exc, countdown=espera) from exc
