"""``alerta_sla``: tell the ticket's agent and the queue's supervisors that an SLA deadline is
near (under a quarter of its window left) and when it is missed, through
:func:`atendimento.services.notificacoes.notificar` (in the app, live; muted per person).  Each
alert is sent once per ticket, target, deadline and moment (:class:`AlertaSla`, unique, and the
notice's ``chave``): a re-run sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from atendimento.models import AlertaSla, Atendente, Fila, Ticket, TipoNotificacao
from atendimento.models.sla import AlvoSla
from atendimento.services import sla
from atendimento.services.insercao import inserir_ignorando_conflito
from atendimento.services.notificacoes import notificar

PAPEIS_SUPERVISAO = (Atendente.Papel.SUPERVISOR, Atendente.Papel.ADMIN)


def destinatarios(ticket: Ticket) -> list[Atendente]:
    """The ticket's agent and the queue's supervisors (members of the queue with a supervising
    role; none: the empresa's supervisors)."""
    supervisores = Atendente.objects.filter(
        empresa_id=ticket.empresa_id, ativo=True, papel__in=PAPEIS_SUPERVISAO
    )
    da_fila = supervisores.filter(membros_fila__fila_id=ticket.fila_id) if ticket.fila_id else None
    pessoas = list(da_fila) if da_fila is not None and da_fila.exists() else list(supervisores)
    if ticket.atendente_id and ticket.atendente.ativo:
        pessoas.insert(0, ticket.atendente)
    return list({p.pk: p for p in pessoas}.values())


def _enviar(ticket_id, alvo: str, prazo: datetime, momento: str, agora: datetime) -> bool:
    with transaction.atomic():
        ticket = Ticket.objects.select_related("atendente", "fila").filter(pk=ticket_id).first()
        if ticket is None:
            return False
        registro = AlertaSla(
            empresa_id=ticket.empresa_id, ticket=ticket, alvo=alvo, prazo=prazo, momento=momento
        )
        if not inserir_ignorando_conflito(registro):
            return False  # already sent
        local = timezone.localtime(prazo)
        restante = max(int((prazo - agora).total_seconds() // 60), 0)
        valores = {"numero": ticket.numero, "restante": restante}

        def titulo() -> str:  # rendered in each recipient's language
            if momento == AlertaSla.Momento.VIOLADO:
                return _("SLA violado: ticket #%(numero)s") % valores
            return _("SLA perto de vencer: ticket #%(numero)s") % valores

        def texto() -> str:
            prazo_txt = {
                "alvo": str(AlvoSla(alvo).label).lower(),
                "hora": time_format(local, "TIME_FORMAT"),
                "dia": date_format(local, "SHORT_DATE_FORMAT"),
            }
            if momento == AlertaSla.Momento.VIOLADO:
                return _("O prazo de %(alvo)s venceu às %(hora)s de %(dia)s.") % prazo_txt
            return _("Faltam %(restante)s min para o prazo de %(alvo)s (%(dia)s %(hora)s).") % {
                **valores,
                **prazo_txt,
            }

        notificar(
            empresa=ticket.empresa_id,
            usuarios=destinatarios(ticket),
            tipo=TipoNotificacao.ALERTA_SLA,
            titulo=titulo,
            corpo=texto,
            ticket=ticket,
            chave=f"alerta_sla:{momento}:{alvo}:{ticket.pk}:{prazo.isoformat()}",
        )
        return True


def _maior_alvo(fila: Fila) -> int:
    """The longest SLA target of a queue in minutes (its own and its per-priority ones; 0:
    none)."""
    por_prioridade = [
        m or 0 for alvos in (fila.sla_prioridades or {}).values() for m in alvos.values()
    ]
    proprios = (
        fila.sla_primeira_resposta_min,
        fila.sla_proxima_resposta_min,
        fila.sla_resolucao_min,
    )
    return max([*(m or 0 for m in proprios), *por_prioridade])


def alertar(agora: datetime | None = None) -> dict[str, int]:
    """Record new violations, then alert on every missed and nearly-missed deadline not
    alerted yet.  Idempotent."""
    agora = agora or timezone.now()
    sla.verificar_violacoes(agora)
    enviados = {"antes": 0, "violado": 0}
    # missed: every running clock past its deadline (its violation is recorded above)
    violados = AlertaSla.objects.filter(momento=AlertaSla.Momento.VIOLADO)
    for venc in list(sla.relogios_abertos(ate=agora, exceto=violados)):
        if _enviar(venc.ticket_id, venc.alvo, venc.prazo, AlertaSla.Momento.VIOLADO, agora):
            enviados["violado"] += 1
    # near: clocks within a quarter of their queue's target for the ticket's priority, of every
    # active queue with a target at all, in one query per target (not one per queue: a desk's
    # every queue was three queries a minute even with nothing to send)
    fracao = sla.fracao_alerta()
    maiores = {fila: _maior_alvo(fila) for fila in Fila.objects.filter(ativo=True)}
    filas = [fila for fila, maior in maiores.items() if maior]
    if not filas:
        return enviados
    por_id = {fila.pk: fila for fila in filas}
    ate = agora + timedelta(minutes=max(maiores[fila] for fila in filas) * fracao)
    avisados = AlertaSla.objects.filter(momento=AlertaSla.Momento.ANTES)
    proximos = list(sla.relogios_abertos(ate=ate, filas=por_id, exceto=avisados))
    dos_tickets = {
        ticket_id: (fila_id, prioridade)
        for ticket_id, fila_id, prioridade in Ticket.objects.filter(
            pk__in={v.ticket_id for v in proximos}
        ).values_list("id", "fila_id", "prioridade")
    }
    ordem = {fila.pk: n for n, fila in enumerate(filas)}  # the queues' order, as before
    proximos.sort(key=lambda venc: ordem.get(dos_tickets.get(venc.ticket_id, (None,))[0], -1))
    for venc in proximos:
        fila_id, prioridade = dos_tickets.get(venc.ticket_id, (None, ""))
        if venc.prazo <= agora or fila_id not in por_id:
            continue  # (or the ticket left the queue meanwhile: the next run sees it)
        minutos = sla.minutos_alvo(por_id[fila_id], prioridade, venc.alvo)
        if not minutos or venc.prazo - agora > timedelta(minutes=minutos * fracao):
            continue
        if _enviar(venc.ticket_id, venc.alvo, venc.prazo, AlertaSla.Momento.ANTES, agora):
            enviados["antes"] += 1
    return enviados
