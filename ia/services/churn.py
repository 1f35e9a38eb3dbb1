"""A contact's churn risk kept current (``RiscoChurn``, one row per contact) and the
``alerta_churn`` notice when it turns high.

The score itself is ``ia.services.analise.predizer_churn`` (the contact's whole history across
tickets and channels). It is stored by every full analysis, by the daily sweep over the
contacts active in the last ``DIAS_ATIVOS`` days and when one of the contact's tickets is
closed. A change from baixo/medio to alto sets ``alto_desde`` and, after commit, queues the
``alerta_churn`` job: the ticket's agent and the queue's supervisors are told once per turn
(the notice's ``chave`` names the contact and the moment it turned high)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.models import Contato, Ticket, TipoNotificacao
from ia.models import AIInsight, RiscoChurn

logger = logging.getLogger(__name__)

DIAS_ATIVOS = 90  # contacts with a ticket touched in this many days are re-scored daily
ALTO = RiscoChurn.Risco.ALTO


@transaction.atomic
def churn_registrar(*, ticket: Ticket, churn: dict) -> RiscoChurn:
    """Store ``churn`` (``{"risco", "probabilidade", "motivos"}``) as the contact's current
    risk; queue ``alerta_churn`` when it turns high."""
    agora = timezone.now()
    risco = RiscoChurn.objects.select_for_update().filter(contato_id=ticket.contato_id).first()
    if risco is None:  # the contact's first score (a concurrent first one: get_or_create)
        RiscoChurn.objects.get_or_create(
            contato_id=ticket.contato_id,
            defaults={
                "empresa_id": ticket.empresa_id,
                "ticket": ticket,
                "risco": churn["risco"],
                "probabilidade": churn["probabilidade"],
                "motivos": churn["motivos"],
                "calculado_em": agora,
                "alto_desde": None,  # set below, like any turn to high
            },
        )
        risco = RiscoChurn.objects.select_for_update().get(contato_id=ticket.contato_id)
    virou_alto = churn["risco"] == ALTO and risco.alto_desde is None
    risco.ticket = ticket
    risco.risco = churn["risco"]
    risco.probabilidade = churn["probabilidade"]
    risco.motivos = churn["motivos"]
    risco.calculado_em = agora
    if virou_alto:
        risco.alto_desde = agora
    elif churn["risco"] != ALTO:
        risco.alto_desde = None
    risco.save()
    if virou_alto:
        from ia.tasks import agendar_alerta_churn

        agendar_alerta_churn(risco.pk, agora)
    return risco


def _base_do_ticket(ticket: Ticket) -> tuple[dict, dict]:
    """Sentiment and intent of the ticket: its latest analysis, or computed from its text."""
    from ia.services import analise

    insight = (
        AIInsight.objects.filter(ticket=ticket)
        .exclude(sentimento="")
        .order_by("-criado_em")
        .only("sentimento", "sentimento_score", "intencao", "intencao_confianca")
        .first()
    )
    if insight is not None:
        return (
            {"valor": insight.sentimento, "score": insight.sentimento_score or 0.0},
            {"valor": insight.intencao, "confianca": insight.intencao_confianca or 0.0},
        )
    texto = analise.pergunta_do_ticket(ticket, n=5)
    return analise.sentimento(texto), analise.intencao(texto)


def churn_recalcular(*, ticket: Ticket) -> RiscoChurn:
    """Re-score the ticket's contact (on close, and by the daily sweep)."""
    from ia.services import analise

    sent, inten = _base_do_ticket(ticket)
    return churn_registrar(ticket=ticket, churn=analise.predizer_churn(ticket, sent, inten))


def recalcular_ativos(agora=None) -> int:
    """Daily: re-score every contact with a ticket touched in the last ``DIAS_ATIVOS`` days,
    from its latest ticket. One contact's failure does not stop the others."""
    desde = (agora or timezone.now()) - timedelta(days=DIAS_ATIVOS)
    ultimos = (
        Ticket.objects.filter(atualizado_em__gte=desde)
        .order_by("contato_id", "-criado_em")
        .distinct("contato_id")
        .values_list("id", flat=True)
    )
    feitos = 0
    for ticket_id in ultimos.iterator(chunk_size=500):
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None:
            continue
        try:
            churn_recalcular(ticket=ticket)
        except Exception:
            logger.exception("risco de churn do contato %s não recalculado", ticket.contato_id)
            continue
        feitos += 1
    return feitos


def alertar_churn(risco_id, alto_desde_iso: str) -> int:
    """``alerta_churn``: tell the agent of the contact's latest ticket and that queue's
    supervisors that the contact's churn risk turned high (once per turn). Nothing when the
    risk is no longer high since that moment."""
    from atendimento.services.alertas_sla import destinatarios
    from atendimento.services.notificacoes import notificar

    with transaction.atomic():
        risco = RiscoChurn.objects.select_related("contato", "ticket").filter(pk=risco_id).first()
        if risco is None or risco.alto_desde is None:
            return 0
        if risco.alto_desde.isoformat() != alto_desde_iso:
            return 0  # it went down and up again since: that turn has its own job
        ticket = risco.ticket or (
            Ticket.objects.filter(contato_id=risco.contato_id).order_by("-criado_em").first()
        )
        if ticket is None:
            return 0
        ticket = Ticket.objects.select_related("atendente", "fila").get(pk=ticket.pk)
        contato: Contato = risco.contato
        nome = contato.nome or contato.telefone or contato.email or str(contato.pk)
        motivos = "; ".join(risco.motivos)
        criadas = notificar(
            empresa=risco.empresa_id,
            usuarios=destinatarios(ticket),
            tipo=TipoNotificacao.ALERTA_CHURN,
            titulo=lambda: _("Risco alto de churn: %(nome)s") % {"nome": nome},
            corpo=lambda: (
                _("Probabilidade %(p)s%%. Motivos: %(motivos)s")
                % {"p": round(risco.probabilidade * 100), "motivos": motivos or "—"}
            ),
            ticket=ticket,
            chave=f"alerta_churn:{risco.contato_id}:{alto_desde_iso}",
        )
        return len(criadas)


def realertar_recentes(horas: int = 48) -> int:
    """Alert every high-risk turn of the last ``horas`` again (idempotent: a notice already
    sent is not repeated), so a turn whose job was lost is still told."""
    desde = timezone.now() - timedelta(hours=horas)
    enviados = 0
    for risco_id, alto_desde in RiscoChurn.objects.filter(alto_desde__gte=desde).values_list(
        "id", "alto_desde"
    ):
        enviados += alertar_churn(risco_id, alto_desde.isoformat())
    return enviados
