"""Inbound tasks (webhooks queue): process_webhook, varrer_webhooks_pendentes, baixar_midia.

Thin: each one calls a service.  All are idempotent, so a re-delivery (acks_late, lost worker)
or a sweep re-queueing an event that is also still in the queue does no harm.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from canais.adapters.base import ErroTransitorio

logger = logging.getLogger(__name__)

__all__ = [
    "baixar_midia",
    "process_webhook",
    "varrer_webhooks_pendentes",
]


def _espera(tentativa: int) -> float:
    """Seconds before retry ``tentativa``: 2^n, at most
    ``settings.WEBHOOK_BACKOFF_MAX_SEGUNDOS``."""
    from django.conf import settings

    return min(2.0**tentativa, float(settings.WEBHOOK_BACKOFF_MAX_SEGUNDOS))


@shared_task(name="canais.tasks.process_webhook", bind=True, acks_late=True, max_retries=8)
def process_webhook(self: Task, evento_id: str = "", drenar: bool = False) -> str | None:
    """Process the event ``evento_id``; with ``drenar``, then every other pending one."""
    from canais.despertar import despertar_rearmar
    from canais.despertar import drenar as drenar_pendentes
    from canais.webhooks_guardados import evento_webhook_processar_ou_registrar_falha

    if drenar:
        despertar_rearmar()  # before any scan: see canais.despertar.despertar
    resultado = None
    try:
        if evento_id:
            resultado = evento_webhook_processar_ou_registrar_falha(evento_id=evento_id)
        if drenar:
            drenar_pendentes()
    except (OperationalError, InterfaceError) as exc:  # database restarting, deadlock…
        raise self.retry(exc=exc, countdown=_espera(self.request.retries)) from exc
    return resultado


@shared_task(name="canais.tasks.varrer_webhooks_pendentes", acks_late=True)
def varrer_webhooks_pendentes(
    idade_segundos: float | None = None, limite: int | None = None
) -> int:
    """Re-queue events stored but still unprocessed; see
    :func:`canais.despertar.webhooks_pendentes_varrer`."""
    from canais.despertar import webhooks_pendentes_varrer

    return webhooks_pendentes_varrer(idade_segundos=idade_segundos, limite=limite)


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
