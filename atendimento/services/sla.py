"""SLA clocks of a ticket: first response, next response (the oldest customer message still
unanswered) and resolution, per queue and priority, counted in the queue's business hours
(:mod:`atendimento.services.expediente`).

While the ticket waits on the customer (``aguardando``) the clock is paused: the business time
of each pause is added to ``Ticket.sla_pausa_segundos`` and the first-response and resolution
deadlines move by it. A missed target is recorded once (:class:`ViolacaoSla`, unique per ticket,
target and deadline) — by the periodic check when the deadline passes, or when the target is met
late if the check had not seen it yet — and then updated with the final lateness.

The functions that change a ticket take it locked and return the fields they changed; the
caller saves them in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from atendimento.models import Fila, Historico, Ticket, ViolacaoSla
from atendimento.models.sla import AlvoSla
from atendimento.realtime.eventos import publicar_ticket_atualizado
from atendimento.services.expediente import Expediente, expediente_da_fila
from atendimento.services.insercao import inserir_ignorando_conflito

#: target -> the ticket's deadline field
CAMPO_PRAZO = {
    AlvoSla.PRIMEIRA_RESPOSTA: "sla_primeira_resposta_em",
    AlvoSla.PROXIMA_RESPOSTA: "sla_proxima_resposta_em",
    AlvoSla.RESOLUCAO: "sla_resolucao_em",
}


def fracao_alerta() -> float:
    """Under this share of its window left, a clock is "about to breach" (amber in the inbox,
    ``alerta_sla``): ``settings.SLA_ALERTA_FRACAO``."""
    return float(settings.SLA_ALERTA_FRACAO)


def minutos_alvo(fila: Fila | None, prioridade: str, alvo: str) -> int | None:
    """The queue's target in minutes for ``prioridade`` (its per-priority override, else the
    queue's own value; None: no SLA)."""
    if fila is None:
        return None
    chave = f"{alvo}_min"
    proprio = ((fila.sla_prioridades or {}).get(prioridade) or {}).get(chave)
    return proprio or getattr(fila, f"sla_{alvo}_min")


def _expediente(ticket: Ticket) -> Expediente:
    return expediente_da_fila(ticket.fila, ticket.empresa)


def _prazo(exp: Expediente, inicio: datetime, minutos: int | None, pausa: timedelta):
    return exp.somar(inicio, timedelta(minutes=minutos) + pausa) if minutos else None


def prazos_iniciais(*, empresa, fila: Fila | None, prioridade: str, inicio: datetime) -> dict:
    """Deadlines of a new ticket (first response and resolution)."""
    exp = expediente_da_fila(fila, empresa)
    return {
        campo: _prazo(exp, inicio, minutos_alvo(fila, prioridade, alvo), timedelta(0))
        for alvo, campo in CAMPO_PRAZO.items()
        if alvo != AlvoSla.PROXIMA_RESPOSTA
    }


def recalcular(ticket: Ticket) -> list[str]:
    """Deadlines again from the queue, priority and pauses (after a change of queue or
    priority, a pause ending, a reopening)."""
    exp = _expediente(ticket)
    pausa = timedelta(seconds=ticket.sla_pausa_segundos)
    campos = []
    if ticket.primeira_resposta_em is None:
        minutos = minutos_alvo(ticket.fila, ticket.prioridade, AlvoSla.PRIMEIRA_RESPOSTA)
        ticket.sla_primeira_resposta_em = _prazo(exp, ticket.criado_em, minutos, pausa)
        campos.append("sla_primeira_resposta_em")
    minutos = minutos_alvo(ticket.fila, ticket.prioridade, AlvoSla.RESOLUCAO)
    inicio = ticket.reaberto_em or ticket.criado_em
    ticket.sla_resolucao_em = _prazo(exp, inicio, minutos, pausa)
    campos.append("sla_resolucao_em")
    return campos


# ------------------------------------------------------------------------------- pauses
def pausar(ticket: Ticket, agora: datetime) -> list[str]:
    """The ticket now waits on the customer: its clocks stop."""
    if ticket.aguardando_desde is not None:
        return []
    ticket.aguardando_desde = agora
    return ["aguardando_desde"]


def retomar(ticket: Ticket, agora: datetime) -> list[str]:
    """The wait on the customer ended at ``agora``: its business time extends the deadlines."""
    if ticket.aguardando_desde is None:
        return []
    pausa = _expediente(ticket).entre(ticket.aguardando_desde, agora)
    ticket.sla_pausa_segundos += int(pausa.total_seconds())
    ticket.aguardando_desde = None
    return ["aguardando_desde", "sla_pausa_segundos", *recalcular(ticket)]


# ------------------------------------------------------------------------------- events
def ao_mensagem_do_cliente(ticket: Ticket, quando: datetime) -> list[str]:
    """A customer message after the first response starts the next-response clock (unless an
    older message is still unanswered: its clock keeps running)."""
    campos = retomar(ticket, quando) if ticket.status != Ticket.Status.AGUARDANDO else []
    if ticket.primeira_resposta_em is None or ticket.sla_proxima_resposta_em is not None:
        return campos
    if ticket.primeira_resposta_em >= quando:
        return campos
    minutos = minutos_alvo(ticket.fila, ticket.prioridade, AlvoSla.PROXIMA_RESPOSTA)
    if minutos:
        ticket.sla_proxima_resposta_em = _prazo(_expediente(ticket), quando, minutos, timedelta(0))
        campos.append("sla_proxima_resposta_em")
    return campos


def ao_responder(ticket: Ticket, agora: datetime) -> list[str]:
    """An agent answered: the first-response (first time) and next-response targets are met
    (late ones keep their violation, now with the final lateness)."""
    campos, antes = [], ticket.sla_violado
    if ticket.primeira_resposta_em is None and ticket.sla_primeira_resposta_em:
        cumprir(ticket, AlvoSla.PRIMEIRA_RESPOSTA, ticket.sla_primeira_resposta_em, agora)
    if ticket.sla_proxima_resposta_em is not None:
        cumprir(ticket, AlvoSla.PROXIMA_RESPOSTA, ticket.sla_proxima_resposta_em, agora)
        ticket.sla_proxima_resposta_em = None
        campos.append("sla_proxima_resposta_em")
    if ticket.sla_violado != antes:
        campos.append("sla_violado")
    return campos


def ao_fechar(ticket: Ticket, agora: datetime) -> list[str]:
    """The resolution target is met now (late: the violation keeps the final lateness); the
    running clocks stop."""
    campos, antes = [], ticket.sla_violado
    if ticket.aguardando_desde is not None:
        ticket.aguardando_desde = None
        campos.append("aguardando_desde")
    if ticket.sla_resolucao_em:
        cumprir(ticket, AlvoSla.RESOLUCAO, ticket.sla_resolucao_em, agora)
    if ticket.sla_proxima_resposta_em is not None:
        ticket.sla_proxima_resposta_em = None
        campos.append("sla_proxima_resposta_em")
    if ticket.sla_violado != antes:
        campos.append("sla_violado")
    return campos


def ao_reabrir(ticket: Ticket) -> list[str]:
    """A reopened ticket gets a new resolution clock (pauses of the old one no longer count)."""
    ticket.sla_pausa_segundos = 0
    ticket.aguardando_desde = None
    return ["sla_pausa_segundos", "aguardando_desde", *recalcular(ticket)]


# ------------------------------------------------------------------------------- violations
def registrar_violacao(
    ticket: Ticket, alvo: str, prazo: datetime, agora: datetime
) -> ViolacaoSla | None:
    """Record the missed target once; the new row, or None when it was already recorded.
    Writes Historico and marks the ticket ``sla_violado`` (saved by the caller's update)."""
    violacao = ViolacaoSla(
        empresa_id=ticket.empresa_id,
        ticket_id=ticket.pk,
        fila_id=ticket.fila_id,
        atendente_id=ticket.atendente_id,
        alvo=alvo,
        prioridade=ticket.prioridade,
        prazo=prazo,
        violado_em=agora,
        atraso=max(agora - prazo, timedelta(0)),
    )
    if not inserir_ignorando_conflito(violacao):
        return None
    Historico.objects.create(
        empresa_id=ticket.empresa_id,
        ticket_id=ticket.pk,
        acao=Historico.Acao.SLA_VIOLADO,
        descricao=f"SLA de {AlvoSla(alvo).label.lower()} violado (prazo "
        f"{timezone.localtime(prazo):%d/%m/%Y %H:%M}).",
        dados={
            "alvo": alvo,
            "prazo": prazo.isoformat(),
            "atendente": str(ticket.atendente_id) if ticket.atendente_id else None,
            "atraso_segundos": int(violacao.atraso.total_seconds()),
        },
    )
    ticket.sla_violado = True
    return violacao


def cumprir(ticket: Ticket, alvo: str, prazo: datetime, quando: datetime) -> None:
    """The target of ``prazo`` was met at ``quando``: when late, its violation (recorded now if
    the periodic check had not) gets the final lateness."""
    if quando <= prazo:
        return
    registrar_violacao(ticket, alvo, prazo, quando)
    ViolacaoSla.objects.filter(
        ticket_id=ticket.pk, alvo=alvo, prazo=prazo, cumprido_em__isnull=True
    ).update(cumprido_em=quando, atraso=quando - prazo)


@dataclass(frozen=True)
class Vencimento:
    """A running clock of an open ticket."""

    ticket_id: object
    alvo: str
    prazo: datetime


def relogios_abertos(*, ate: datetime, filas=None, exceto=None):
    """Running clocks (not paused, target not met) with a deadline up to ``ate``.

    ``exceto``: a queryset of rows recording something done once per (ticket, ``alvo``,
    ``prazo``) — the :class:`ViolacaoSla` rows, or the :class:`AlertaSla` rows of one
    moment —: clocks that already have one are left out in the same query, so a periodic check costs
    nothing per clock it already handled (a desk with a thousand overdue tickets used to
    re-examine each of them, a transaction apiece, every minute)."""
    base = Ticket.objects.exclude(status=Ticket.Status.FECHADO).filter(
        aguardando_desde__isnull=True
    )
    if filas is not None:  # tickets of any of these queues
        base = base.filter(fila_id__in=list(filas))
    filtros = {
        AlvoSla.PRIMEIRA_RESPOSTA: Q(
            primeira_resposta_em__isnull=True, sla_primeira_resposta_em__lte=ate
        ),
        AlvoSla.PROXIMA_RESPOSTA: Q(sla_proxima_resposta_em__lte=ate),
        AlvoSla.RESOLUCAO: Q(sla_resolucao_em__lte=ate),
    }
    for alvo, filtro in filtros.items():
        campo = CAMPO_PRAZO[alvo]
        consulta = base.filter(filtro)
        if exceto is not None:
            feitos = exceto.filter(ticket_id=OuterRef("pk"), alvo=alvo, prazo=OuterRef(campo))
            consulta = consulta.filter(~Exists(feitos))
        for ticket_id, prazo in consulta.values_list("id", campo).iterator():
            yield Vencimento(ticket_id, alvo, prazo)


def verificar_violacoes(agora: datetime | None = None) -> list[ViolacaoSla]:
    """Record every deadline passed by ``agora`` (each once); publishes the tickets."""
    agora = agora or timezone.now()
    novas = []
    for venc in list(relogios_abertos(ate=agora, exceto=ViolacaoSla.objects.all())):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("empresa", "fila")
                .filter(pk=venc.ticket_id)
                .first()
            )
            if ticket is None or getattr(ticket, CAMPO_PRAZO[venc.alvo]) != venc.prazo:
                continue  # busy right now (the next run sees it) or the deadline moved
            violacao = registrar_violacao(ticket, venc.alvo, venc.prazo, agora)
            if violacao is not None:
                ticket.save(update_fields=["sla_violado", "atualizado_em"])
                publicar_ticket_atualizado(ticket)
                novas.append(violacao)
    return novas
