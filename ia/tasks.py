"""AI jobs on the ``ai-analysis`` queue (routed by the ``ia.tasks.*`` names). Never on a
webhook's request path: a new customer message queues ``analise_completa`` after commit,
debounced per ticket, so a burst of messages is analysed once."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

logger = logging.getLogger(__name__)
ESPERA_ANALISE = 10  # seconds a burst of customer messages is gathered before one analysis


def _ticket(ticket_id: str):
    from atendimento.models import Ticket

    return Ticket.objects.filter(pk=ticket_id).first()


@shared_task(name="ia.tasks.analise_completa", ignore_result=True)
def analise_completa(ticket_id: str) -> None:
    from ia.services.analise import analise_completa as analisar

    cache.delete(f"ia:analise:{ticket_id}")
    ticket = _ticket(ticket_id)
    if ticket is not None:
        analisar(ticket)


@shared_task(name="ia.tasks.analisar_sentimento")
def analisar_sentimento(texto: str) -> dict:
    from ia.services.analise import sentimento

    return sentimento(texto)


@shared_task(name="ia.tasks.detectar_intencao")
def detectar_intencao(texto: str) -> dict:
    from ia.services.analise import intencao

    return intencao(texto)


@shared_task(name="ia.tasks.classificar_ticket")
def classificar_ticket(ticket_id: str) -> dict | None:
    from ia.services import analise

    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    texto = analise.pergunta_do_ticket(ticket, n=5)
    return analise.classificar(ticket, texto, analise.sentimento(texto), analise.intencao(texto))


@shared_task(name="ia.tasks.predizer_churn")
def predizer_churn(ticket_id: str) -> dict | None:
    from ia.services import analise

    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    texto = analise.pergunta_do_ticket(ticket, n=5)
    return analise.predizer_churn(ticket, analise.sentimento(texto), analise.intencao(texto))


def _chave_analise(ticket_id) -> str:
    return f"ia:analise:{ticket_id}"


def analise_agendada(ticket_id) -> bool:
    """An analysis of the ticket is queued and has not started yet."""
    return cache.get(_chave_analise(ticket_id)) is not None


def agendar_analise(ticket_id, *, espera: float = ESPERA_ANALISE) -> bool:
    """Queue one analysis of the ticket within ``espera`` seconds (one per burst)."""
    if not cache.add(_chave_analise(ticket_id), 1, timeout=int(espera) + 30):
        return True  # one is already queued for this burst
    try:
        analise_completa.apply_async(args=[str(ticket_id)], countdown=espera)
    except Exception as exc:  # the broker is down: the next message will queue it
        cache.delete(_chave_analise(ticket_id))
        logger.warning("análise do ticket %s não enfileirada: %s", ticket_id, exc)
        return False
    return True


def analisar_entradas(entradas) -> None:
    """Reaction to committed customer messages (atendimento.services.reacoes)."""
    for ticket_id in {e.ticket_id for e in entradas}:
        agendar_analise(ticket_id)
