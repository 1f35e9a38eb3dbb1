"""AI jobs on the ``ai-analysis`` queue (routed by the ``ia.tasks.*`` names). Never on a
webhook's request path: a new customer message queues ``analise_completa`` after commit,
debounced per ticket, so a burst of messages is analysed once."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def espera_analise() -> float:
    """Seconds a burst of customer messages is gathered before one analysis
    (``settings.IA_ESPERA_ANALISE_SEGUNDOS``)."""
    return float(settings.IA_ESPERA_ANALISE_SEGUNDOS)


def espera_robo() -> float:
    """Seconds a burst of customer messages is gathered before one bot answer
    (``settings.IA_ESPERA_ROBO_SEGUNDOS``)."""
    return float(settings.IA_ESPERA_ROBO_SEGUNDOS)


def _ticket(ticket_id: str):
    from atendimento.models import Ticket

    return Ticket.objects.filter(pk=ticket_id).first()


#: second argument of an ``analise_completa`` queued by new customer messages (not by a person)
POR_MENSAGEM = "por_mensagem"


@shared_task(name="ia.tasks.analise_completa", ignore_result=True)
def analise_completa(ticket_id: str, origem: str = "") -> None:
    """The ticket's full analysis. Queued by customer messages (``origem`` POR_MENSAGEM) it is
    skipped when the ticket's latest customer message already has its insight: an earlier job
    of the same burst analysed exactly that text (a backlogged queue holds several jobs per
    ticket once the debounce key expired)."""
    from ia.services.analise import analise_completa as analisar
    from ia.services.analise import ultima_mensagem_analisada

    cache.delete(_chave_analise(ticket_id))
    ticket = _ticket(ticket_id)
    if ticket is None:
        return
    if origem == POR_MENSAGEM and ultima_mensagem_analisada(ticket):
        return
    analisar(ticket)


@shared_task(name="ia.tasks.analise_lote", ignore_result=True)
def analise_lote(ticket_ids: list[str]) -> int:
    """The analyses queued by one inbound batch's customer messages, in one job: each ticket
    as ``analise_completa(ticket_id, POR_MENSAGEM)`` (skipped when its latest customer message
    already has its insight); one ticket's failure is logged and does not stop the others."""
    from ia.services.analise import analisar_tickets

    cache.delete_many([_chave_analise(t) for t in ticket_ids])
    return analisar_tickets(ticket_ids)


@shared_task(name="ia.tasks.analisar_sentimento")
def analisar_sentimento(texto: str, empresa_id: str | None = None) -> dict:
    from ia.services.analise import analisar_sentimento as analisar

    return analisar(texto, empresa_id=empresa_id)


@shared_task(name="ia.tasks.detectar_intencao")
def detectar_intencao(texto: str, empresa_id: str | None = None) -> dict:
    from ia.services.analise import detectar_intencao as detectar

    return detectar(texto, empresa_id=empresa_id)


@shared_task(name="ia.tasks.classificar_ticket")
def classificar_ticket(ticket_id: str) -> dict | None:
    from ia.services.analise import classificar_ticket as classificar

    ticket = _ticket(ticket_id)
    return classificar(ticket) if ticket is not None else None


@shared_task(name="ia.tasks.predizer_churn")
def predizer_churn(ticket_id: str) -> dict | None:
    """Score the ticket's contact (through the empresa's provider, accounted) and store it
    as the contact's current risk (queued when a ticket is closed)."""
    from ia.services.analise import churn_do_ticket
    from ia.services.churn import churn_registrar

    ticket = _ticket(ticket_id)
    if ticket is None:
        return None
    churn = churn_do_ticket(ticket)
    churn_registrar(ticket=ticket, churn=churn)
    return churn


@shared_task(name="ia.tasks.recalcular_churn", acks_late=True, ignore_result=True)
def recalcular_churn() -> int:
    """Daily (beat): every recently active contact re-scored; recent high-risk turns whose
    alert job was lost (broker down) are alerted now (idempotent)."""
    from ia.services.churn import realertar_recentes, recalcular_ativos

    feitos = recalcular_ativos()
    realertar_recentes()
    return feitos


@shared_task(name="ia.tasks.alerta_churn", acks_late=True)
def alerta_churn(risco_id: str, alto_desde: str) -> int:
    """Notifications queue: the contact's risk turned high (sent once per turn)."""
    from ia.services.churn import alertar_churn

    return alertar_churn(risco_id, alto_desde)


@shared_task(name="ia.tasks.atualizar_cotacao_bcb", ignore_result=True)
def atualizar_cotacao_bcb() -> str | None:
    """Daily (beat, when ``COTACAO_BCB_AUTOMATICA``): today's PTAX dollar rate, or the latest
    published before it. A failure is logged; the previous rate stays in force."""
    from django.utils import timezone

    from ia.services.cotacao import ErroCotacao, atualizar_pelo_bcb

    try:
        cotacao, _nova = atualizar_pelo_bcb(timezone.localdate())
    except ErroCotacao as exc:
        logger.warning("cotação do dólar não atualizada: %s", exc)
        return None
    return str(cotacao.valor)


def _enfileirar(tarefa, *args) -> None:
    try:
        tarefa.apply_async(args=[str(a) for a in args])
    except Exception as exc:  # the broker is down: the daily sweep catches up
        logger.warning("%s não enfileirada: %s", tarefa.name, exc)


def agendar_churn(ticket_id) -> None:
    """After commit, re-score the ticket's contact (a ticket was closed)."""
    transaction.on_commit(lambda: _enfileirar(predizer_churn, ticket_id))


def agendar_alerta_churn(risco_id, alto_desde) -> None:
    transaction.on_commit(lambda: _enfileirar(alerta_churn, risco_id, alto_desde.isoformat()))


def _chave_analise(ticket_id) -> str:
    return f"ia:analise:{ticket_id}"


def analise_agendada(ticket_id) -> bool:
    """An analysis of the ticket is queued and has not started yet."""
    return cache.get(_chave_analise(ticket_id)) is not None


def agendar_analise(ticket_id, *, espera: float | None = None) -> bool:
    """Queue one analysis of the ticket within ``espera`` seconds (default
    :func:`espera_analise`; one per burst)."""
    espera = espera_analise() if espera is None else espera
    if not cache.add(_chave_analise(ticket_id), 1, timeout=int(espera) + 30):
        return True  # one is already queued for this burst
    return _enfileirar_analise(ticket_id, espera)


def _enfileirar_analise(ticket_id, espera: float) -> bool:
    """Queue the analysis whose debounce key was just set (removed again if the broker is
    down, so the next message tries again)."""
    try:
        analise_completa.apply_async(args=[str(ticket_id)], countdown=espera)
    except Exception as exc:  # the broker is down: the next message will queue it
        cache.delete(_chave_analise(ticket_id))
        logger.warning("análise do ticket %s não enfileirada: %s", ticket_id, exc)
        return False
    return True


@shared_task(name="ia.tasks.responder_robo", ignore_result=True)
def responder_robo(ticket_id: str) -> str:
    """The bot's answer (or hand-off) to a burst of customer messages of a ticket it
    conducts (atendimento.services.robo)."""
    from atendimento.services.robo import responder

    cache.delete(f"ia:robo:{ticket_id}")
    return responder(ticket_id)


def agendar_robo(ticket_id, *, espera: float | None = None) -> bool:
    """Queue one bot answer for the ticket within ``espera`` seconds (default
    :func:`espera_robo`; one per burst)."""
    espera = espera_robo() if espera is None else espera
    if not cache.add(f"ia:robo:{ticket_id}", 1, timeout=int(espera) + 30):
        return True
    try:
        responder_robo.apply_async(args=[str(ticket_id)], countdown=espera)
    except Exception as exc:  # broker down: the next message queues it again
        cache.delete(f"ia:robo:{ticket_id}")
        logger.warning("resposta do robô ao ticket %s não enfileirada: %s", ticket_id, exc)
        return False
    return True


def _adicionar_varias(chaves: list[str], timeout: int) -> list[bool]:
    """``cache.add(chave, 1, timeout)`` for each key, in ONE round trip to Redis (Django's
    cache has no ``add_many``; one ``add`` per ticket of an inbound batch cost a round trip
    each).  Another cache backend: one ``add`` per key."""
    cliente_cache = getattr(cache, "_cache", None)
    if not hasattr(cliente_cache, "get_client") or not hasattr(cliente_cache, "_serializer"):
        return [cache.add(chave, 1, timeout=timeout) for chave in chaves]
    valor = cliente_cache._serializer.dumps(1)
    with cliente_cache.get_client(write=True).pipeline(transaction=False) as pipe:
        for chave in chaves:
            pipe.set(cache.make_and_validate_key(chave), valor, ex=timeout, nx=True)
        return [bool(r) for r in pipe.execute()]


def analisar_entradas(entradas) -> None:
    """Reaction to committed customer messages (atendimento.services.reacoes): one analysis
    per ticket and burst (see agendar_analise), the debounce keys of a whole inbound batch
    set in one round trip and its tickets' analyses queued as ONE ``analise_lote`` job (one
    Celery message and task run per batch, not per ticket)."""
    tickets = list(dict.fromkeys(e.ticket_id for e in entradas))
    espera = espera_analise()
    chaves = [_chave_analise(t) for t in tickets]
    novas = _adicionar_varias(chaves, timeout=int(espera) + 30)
    lote = [str(t) for t, nova in zip(tickets, novas, strict=True) if nova]
    if not lote:
        return
    try:
        analise_lote.apply_async(args=[lote], countdown=espera)
    except Exception as exc:  # the broker is down: the next messages queue them again
        cache.delete_many([_chave_analise(t) for t in lote])
        logger.warning("análise de %d ticket(s) não enfileirada: %s", len(lote), exc)
