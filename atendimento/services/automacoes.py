"""What the desk does by itself: reactions to inbound messages (SLA clocks, the first-contact
menu, the bot, out-of-hours reply, automatic distribution of new tickets) and the periodic
housekeeping (automatic closing of tickets waiting on the customer).

The reactions are registered on the inbound path's one extension point
(:mod:`atendimento.services.reacoes`) by :func:`conectar`, called from ``AppConfig.ready``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Min, Q
from django.utils import timezone

from atendimento.models import Fila, Historico, Mensagem, Ticket
from atendimento.services import distribuicao, sla
from atendimento.services.expediente import expediente_da_fila
from atendimento.services.reacoes import EntradaConfirmada, reagir_a_entrada

logger = logging.getLogger(__name__)

MOTIVO_FORA_HORARIO = "fora do horário de atendimento"
MOTIVO_FECHAMENTO = "fechamento automático por inatividade do cliente"


# ------------------------------------------------------------------------------- inbound
def _a_tratar(entradas: list[EntradaConfirmada]) -> tuple[list, dict]:
    """One query for the batch (the ingest path stays O(1) in queries per batch): the tickets
    whose SLA clocks change, and ``{ticket_id: automacao}`` of the tickets the first-contact
    menu or the bot conducts (usually both empty)."""
    ids = {e.ticket_id for e in entradas}
    retomar = Q(aguardando_desde__isnull=False) & ~Q(status=Ticket.Status.AGUARDANDO)
    proxima = Q(primeira_resposta_em__isnull=False, sla_proxima_resposta_em__isnull=True) & (
        Q(fila__sla_proxima_resposta_min__isnull=False) | ~Q(fila__sla_prioridades={})
    )
    relogio = retomar | proxima
    linhas = list(
        Ticket.objects.filter(pk__in=ids)
        .exclude(status=Ticket.Status.FECHADO)
        .filter(relogio | ~Q(automacao=""))
        .annotate(muda=ExpressionWrapper(relogio, output_field=BooleanField()))
        .values_list("id", "muda", "automacao")
    )
    mudam = [ticket_id for ticket_id, muda, _ in linhas if muda]
    return mudam, {ticket_id: automacao for ticket_id, _, automacao in linhas if automacao}


def _relogios(entradas: list[EntradaConfirmada], mudam: list) -> None:
    """The customer wrote: a pause on the customer ends, the next-response clock starts; each
    ticket of ``mudam`` is updated under its row lock."""
    for ticket_id in mudam:
        mensagens = [e.mensagem_id for e in entradas if e.ticket_id == ticket_id]
        quando = (
            Mensagem.objects.filter(pk__in=mensagens).aggregate(primeira=Min("data"))["primeira"]
            or timezone.now()
        )
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("fila", "empresa")
                .filter(pk=ticket_id)
                .exclude(status=Ticket.Status.FECHADO)
                .first()
            )
            if ticket is None:
                continue
            campos = sla.ao_mensagem_do_cliente(ticket, quando)
            if campos:
                ticket.save(update_fields=[*dict.fromkeys(campos), "atualizado_em"])


def responder_fora_do_horario(ticket_id, quando: datetime) -> bool:
    """The queue's out-of-hours reply, once per conversation (ticket), when ``quando`` is
    outside its business hours.  True when a message was queued."""
    from atendimento.services.saida import mensagem_enviar_automatica

    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("fila", "empresa")
            .filter(pk=ticket_id)
            .first()
        )
        fila = ticket.fila if ticket is not None else None
        if fila is None or not fila.mensagem_fora_horario.strip():
            return False
        if expediente_da_fila(fila, ticket.empresa).aberto(quando):
            return False
        ja_enviada = Historico.objects.filter(
            ticket_id=ticket.pk,
            acao=Historico.Acao.MENSAGEM_AUTOMATICA,
            dados__motivo=MOTIVO_FORA_HORARIO,
        ).exists()
        if ja_enviada:
            return False
        return (
            mensagem_enviar_automatica(
                ticket=ticket, conteudo=fila.mensagem_fora_horario, motivo=MOTIVO_FORA_HORARIO
            )
            is not None
        )


def encaminhar(ticket_id, quando: datetime | None = None) -> None:
    """A ticket that just entered its queue (new, or out of the first-contact menu): the bot
    takes the conversation when the queue's policy says so; otherwise the out-of-hours reply
    and the queue's distribution, as for any new ticket."""
    from atendimento.services import robo

    quando = quando or timezone.now()
    if robo.assumir(ticket_id, quando):
        return
    responder_fora_do_horario(ticket_id, quando)
    filas = set(
        Ticket.objects.filter(pk=ticket_id, atendente__isnull=True, automacao="")
        .exclude(fila__distribuicao=Fila.Distribuicao.MANUAL)
        .values_list("fila_id", flat=True)
    )
    if filas:
        distribuicao.distribuir(filas=filas)


def encaminhar_apos_commit(ticket_id) -> None:
    def rodar() -> None:
        try:
            encaminhar(ticket_id)
        except Exception:
            logger.exception("encaminhamento do ticket %s", ticket_id)

    transaction.on_commit(rodar)


def _conduzidas(entradas: list[EntradaConfirmada], conduzidos: dict) -> None:
    """Messages of tickets the first-contact menu or the bot is conducting go to them."""
    from atendimento.services import menu_inicial, robo

    for ticket_id, automacao in conduzidos.items():
        try:
            if automacao == Ticket.Automacao.MENU:
                mensagens = [e.mensagem_id for e in entradas if e.ticket_id == ticket_id]
                menu_inicial.responder(ticket_id, mensagens)
            else:
                robo.agendar(ticket_id)
        except Exception:
            logger.exception("automação %s do ticket %s", automacao, ticket_id)


def _automacoes_possiveis(ticket_ids: list) -> dict:
    """``{ticket_id: (menu, robo_ou_horario)}`` for new tickets, in one query: whether the
    channel's first-contact menu may start (``menu_ativo``), and whether the bot or the
    out-of-hours reply may act (a bot policy on the channel or queue, or an out-of-hours
    text on the queue).  Each of those steps locks the ticket in a transaction of its own
    (a commit each) before finding it has nothing to do; a ticket of a channel and queue
    with none of them configured — the usual case — now skips them.  The steps still check
    everything themselves."""
    from atendimento.models import ModoResposta

    responde = (ModoResposta.CONFIANTE, ModoResposta.FORA_HORARIO)  # see robo._responde
    linhas = Ticket.objects.filter(pk__in=ticket_ids).values_list(
        "id",
        "canal__menu_ativo",
        "canal__resposta_automatica",
        "fila__resposta_automatica",
        "fila__mensagem_fora_horario",
    )
    return {
        ticket_id: (
            bool(menu_ativo),
            (canal_modo or fila_modo or "") in responde or bool((fora_horario or "").strip()),
        )
        for ticket_id, menu_ativo, canal_modo, fila_modo, fora_horario in linhas
    }


def ao_receber(entradas: list[EntradaConfirmada]) -> None:
    """Reaction to committed customer messages (see :mod:`atendimento.services.reacoes`):
    SLA clocks; answers to the menu and the bot; a new ticket gets the channel's menu, or
    enters its queue (:func:`encaminhar`)."""
    from atendimento.services import menu_inicial, robo

    novos = {e.ticket_id: e for e in entradas if e.ticket_novo}
    try:
        mudam, conduzidos = _a_tratar(entradas)
    except Exception:
        logger.exception("relógios e automações de %d mensagens", len(entradas))
        mudam, conduzidos = [], {}
    try:
        _relogios(entradas, mudam)
    except Exception:
        logger.exception("relógios de SLA de %d mensagens", len(entradas))
    try:
        _conduzidas(entradas, {t: a for t, a in conduzidos.items() if t not in novos})
    except Exception:
        logger.exception("automações de %d mensagens", len(entradas))
    if not novos:
        return
    a_distribuir: set = set()
    try:
        possiveis = _automacoes_possiveis(list(novos))
    except Exception:
        logger.exception("automações de %d tickets novos", len(novos))
        possiveis = {}
    for entrada in novos.values():
        try:
            menu, robo_ou_horario = possiveis.get(entrada.ticket_id, (True, True))
            if menu and menu_inicial.iniciar(entrada.ticket_id):
                continue
            if robo_ou_horario:
                quando = (
                    Mensagem.objects.filter(pk=entrada.mensagem_id)
                    .values_list("data", flat=True)
                    .first()
                ) or timezone.now()
                if robo.assumir(entrada.ticket_id, quando):
                    continue
                responder_fora_do_horario(entrada.ticket_id, quando)
            a_distribuir.add(entrada.ticket_id)
        except Exception:
            logger.exception("automações do ticket novo %s", entrada.ticket_id)
    filas = set(
        Ticket.objects.filter(pk__in=list(a_distribuir), atendente__isnull=True, automacao="")
        .exclude(fila__distribuicao=Fila.Distribuicao.MANUAL)
        .values_list("fila_id", flat=True)
    )
    if filas:
        distribuicao.distribuir(filas=filas)


def conectar() -> None:
    reagir_a_entrada(ao_receber)


# ------------------------------------------------------------------------------- closing
def fechar_inativos(agora: datetime | None = None) -> int:
    """Close the tickets waiting on the customer for longer than their queue's
    ``fechar_aguardando_horas``, each with the queue's closing message (sent when the channel
    allows it).  A customer who writes again reopens it per the queue's reopening rule."""
    from atendimento.services.saida import mensagem_enviar_automatica
    from atendimento.services.tickets import ticket_fechar

    agora = agora or timezone.now()
    candidatos = (
        Ticket.objects.filter(
            status=Ticket.Status.AGUARDANDO,
            aguardando_desde__isnull=False,
            fila__fechar_aguardando_horas__isnull=False,
        )
        .select_related("fila")
        .only("id", "aguardando_desde", "fila__fechar_aguardando_horas")
    )
    fechados = 0
    for item in candidatos.iterator():
        horas = item.fila.fechar_aguardando_horas
        if item.aguardando_desde + timedelta(hours=horas) > agora:
            continue
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("fila")
                .filter(pk=item.pk, status=Ticket.Status.AGUARDANDO)
                .first()
            )
            if ticket is None or ticket.aguardando_desde + timedelta(hours=horas) > agora:
                continue
            if ticket.fila.mensagem_fechamento.strip():
                mensagem_enviar_automatica(
                    ticket=ticket,
                    conteudo=ticket.fila.mensagem_fechamento,
                    motivo=MOTIVO_FECHAMENTO,
                )
            ticket_fechar(
                ticket=ticket,
                motivo=f"Fechado automaticamente: aguardando o cliente há mais de {horas} h.",
                por=None,
            )
            fechados += 1
    return fechados
