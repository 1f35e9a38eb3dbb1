"""The bot: automatic replies from the knowledge base, per queue and channel.

Policy (``Canal.resposta_automatica``, empty = the queue's ``Fila.resposta_automatica``):

- ``desligada`` / ``sugerir``: the bot never writes to the customer (the agent still gets the
  suggested reply in the inbox);
- ``confiante``: the bot conducts every new conversation of the queue;
- ``fora_horario``: only conversations that start outside the queue's business hours.

A conducted ticket (``Ticket.automacao == "robo"``) is not distributed.  Each burst of customer
messages queues one answer off the request path (``ia.tasks.responder_robo``, debounced like the
AI analysis); the answer comes from ``ia.services.sugestao.sugerir`` and goes out through the
same outbound path as the agents' messages, marked as the bot's (``remetente_tipo == "bot"``,
``dados.robo``) and published live.  The bot hands off — says so to the customer with the queue's
``mensagem_transferencia`` and puts the ticket in its queue's distribution with a ``Historico``
line saying why — when the customer asks for a person, when the answer's ``confianca`` is below
the queue's ``confianca_minima`` (or it has no source), when the answer came from the offline
provider (``local``: a fallback of a failing external one; its answers are suggestions only,
never sent on their own), when the AI call fails,
when the business hours open (``fora_horario``), or when free text cannot go out (WhatsApp's
24-hour window).  An agent who takes the ticket ends the bot's turn.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from atendimento.models import Canal, Fila, Historico, Mensagem, ModoResposta, Ticket
from atendimento.realtime.eventos import publicar_ticket_atualizado
from atendimento.services.expediente import expediente_da_fila
from atendimento.services.texto_livre import pede_atendente

logger = logging.getLogger(__name__)

ROBO = Ticket.Automacao.ROBO
MOTIVO_RESPOSTA = "resposta automática do robô"
MOTIVO_TRANSFERENCIA = "robô transferindo para um atendente"
PROVIDER_LOCAL = "local"

# hand-off reasons (Historico ``dados.motivo``)
PEDIU_ATENDENTE = "pediu_atendente"
CONFIANCA_BAIXA = "confianca_baixa"
PROVEDOR_LOCAL = "provedor_local"
FALHA_IA = "falha_ia"
EXPEDIENTE_ABERTO = "expediente_aberto"
JANELA_FECHADA = "janela_fechada"

DESCRICOES = {
    PEDIU_ATENDENTE: "o cliente pediu para falar com um atendente",
    CONFIANCA_BAIXA: "a resposta da base de conhecimento não atingiu a confiança mínima",
    PROVEDOR_LOCAL: "a resposta veio do provedor local (o externo não respondeu), que só "
    "sugere ao atendente",
    FALHA_IA: "o provedor de IA falhou",
    EXPEDIENTE_ABERTO: "o horário de atendimento começou",
    JANELA_FECHADA: "a janela de 24 horas do WhatsApp está fechada",
}


def modo(canal: Canal, fila: Fila | None) -> str:
    """The policy for a ticket of ``canal`` in ``fila``: the channel's, else the queue's."""
    if canal.resposta_automatica:
        return canal.resposta_automatica
    return fila.resposta_automatica if fila is not None else ModoResposta.DESLIGADA


def _responde(ticket: Ticket, quando: datetime) -> bool:
    atual = modo(ticket.canal, ticket.fila)
    if atual == ModoResposta.CONFIANTE:
        return True
    if atual == ModoResposta.FORA_HORARIO:
        return not expediente_da_fila(ticket.fila, ticket.empresa).aberto(quando)
    return False


def _provedor_externo(empresa) -> bool:
    from ia.provedores import provedor_para

    try:
        return provedor_para(empresa).nome != PROVIDER_LOCAL
    except Exception:
        logger.exception("provedor de IA da empresa %s", getattr(empresa, "pk", empresa))
        return False


def assumir(ticket_id, quando: datetime) -> bool:
    """A ticket entering its queue: the bot takes the conversation when the policy says so and
    the empresa's AI provider may answer by itself (not ``local``).  True when it did (the
    answer is queued; the ticket is not distributed)."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("canal", "fila", "empresa")
            .filter(pk=ticket_id, atendente__isnull=True, automacao="")
            .exclude(status=Ticket.Status.FECHADO)
            .first()
        )
        if ticket is None or not _responde(ticket, quando):
            return False
        if not _provedor_externo(ticket.empresa):
            return False
        ticket.automacao = ROBO
        ticket.automacao_desde = timezone.now()
        ticket.save(update_fields=["automacao", "automacao_desde", "atualizado_em"])
        Historico.objects.create(
            empresa_id=ticket.empresa_id,
            ticket=ticket,
            acao=Historico.Acao.ATUALIZADO,
            descricao="O robô assumiu a conversa (resposta automática).",
            dados={"automacao": "robo", "modo": modo(ticket.canal, ticket.fila)},
        )
        publicar_ticket_atualizado(ticket)
        transaction.on_commit(lambda: agendar(ticket_id))
    return True


def agendar(ticket_id) -> bool:
    """Queue the bot's answer to the ticket's latest messages (one per burst)."""
    from ia.tasks import agendar_robo

    return agendar_robo(ticket_id)


def _ultima_pergunta(ticket: Ticket) -> str:
    """What the customer wrote since the bot (or anyone) last wrote."""
    ultima_saida = (
        Mensagem.objects.filter(ticket_id=ticket.pk, direcao=Mensagem.Direcao.SAIDA)
        .order_by("-data")
        .values_list("data", flat=True)
        .first()
    )
    entradas = Mensagem.objects.filter(ticket_id=ticket.pk, direcao=Mensagem.Direcao.ENTRADA)
    if ultima_saida is not None:
        entradas = entradas.filter(data__gt=ultima_saida)
    return "\n".join(entradas.order_by("data", "ordem").values_list("conteudo", flat=True))


def _travar(ticket_id) -> Ticket | None:
    """The ticket, locked, while the bot still conducts it (an agent who took it ends that)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("canal", "contato", "fila", "empresa")
        .filter(pk=ticket_id, automacao=ROBO)
        .first()
    )
    if ticket is None:
        return None
    if ticket.atendente_id is not None or ticket.status == Ticket.Status.FECHADO:
        ticket.automacao = Ticket.Automacao.NENHUMA
        ticket.automacao_desde = None
        ticket.save(update_fields=["automacao", "automacao_desde", "atualizado_em"])
        return None
    return ticket


def transferir(ticket_id, motivo: str, dados: dict | None = None) -> bool:
    """The bot hands off: tells the customer (the queue's ``mensagem_transferencia``, when it
    can go out), writes why in the history and puts the ticket in the queue's distribution."""
    from atendimento.services.automacoes import responder_fora_do_horario
    from atendimento.services.distribuicao import distribuir_apos_commit
    from atendimento.services.saida import mensagem_enviar_automatica

    with transaction.atomic():
        ticket = _travar(ticket_id)
        if ticket is None:
            return False
        ticket.automacao = Ticket.Automacao.NENHUMA
        ticket.automacao_desde = None
        ticket.save(update_fields=["automacao", "automacao_desde", "atualizado_em"])
        texto = ticket.fila.mensagem_transferencia if ticket.fila is not None else ""
        if texto.strip():
            from atendimento.services.templates import texto_renderizar

            texto = texto_renderizar(texto, ticket=ticket, atendente=None)
        avisado = False
        if motivo != JANELA_FECHADA and texto.strip():
            avisado = (
                mensagem_enviar_automatica(
                    ticket=ticket,
                    conteudo=texto,
                    motivo=MOTIVO_TRANSFERENCIA,
                    dados={"robo": {"transferencia": motivo}},
                )
                is not None
            )
        destino = f"fila {ticket.fila.nome}" if ticket.fila is not None else "atendimento"
        Historico.objects.create(
            empresa_id=ticket.empresa_id,
            ticket=ticket,
            acao=Historico.Acao.ATUALIZADO,
            descricao=f"O robô passou a conversa para a {destino}: {DESCRICOES[motivo]}.",
            dados={
                "automacao": "robo",
                "transferencia": True,
                "motivo": motivo,
                "cliente_avisado": avisado,
                **(dados or {}),
            },
        )
        publicar_ticket_atualizado(ticket)
        if ticket.fila is not None and ticket.fila.distribuicao != Fila.Distribuicao.MANUAL:
            distribuir_apos_commit(filas=[ticket.fila_id])
    try:
        responder_fora_do_horario(ticket_id, timezone.now())
    except Exception:
        logger.exception("resposta fora do horário do ticket %s", ticket_id)
    return True


def responder(ticket_id) -> str:
    """The bot's turn on a conducted ticket (run by ``ia.tasks.responder_robo``): answer from
    the knowledge base or hand off.  Returns what happened (``respondido``, a hand-off reason,
    or ``nada`` when the bot no longer conducts the ticket)."""
    from ia.services.sugestao import sugerir

    with transaction.atomic():
        ticket = _travar(ticket_id)
    if ticket is None:
        return "nada"
    if pede_atendente(_ultima_pergunta(ticket)):
        return _transferido(ticket_id, PEDIU_ATENDENTE)
    if modo(ticket.canal, ticket.fila) == ModoResposta.FORA_HORARIO and expediente_da_fila(
        ticket.fila, ticket.empresa
    ).aberto(timezone.now()):
        return _transferido(ticket_id, EXPEDIENTE_ABERTO)
    try:
        sugestao = sugerir(ticket)  # outside any lock: it may call an external provider
    except Exception:
        logger.exception("resposta automática do ticket %s", ticket_id)
        return _transferido(ticket_id, FALHA_IA)
    if sugestao.get("provider", PROVIDER_LOCAL) == PROVIDER_LOCAL:
        # the external provider failed (or nothing was retrieved): an offline answer is a
        # suggestion for the agent, never sent by itself
        motivo = PROVEDOR_LOCAL if sugestao.get("fontes") else CONFIANCA_BAIXA
        return _transferido(ticket_id, motivo, {"confianca": sugestao.get("confianca")})
    confianca = float(sugestao.get("confianca") or 0)
    minima = ticket.fila.confianca_minima if ticket.fila is not None else 1.0
    resposta = str(sugestao.get("resposta") or "").strip()
    if confianca < minima or not sugestao.get("fontes") or not resposta:
        return _transferido(
            ticket_id, CONFIANCA_BAIXA, {"confianca": confianca, "confianca_minima": minima}
        )
    return _enviar(ticket_id, resposta, sugestao)


def _transferido(ticket_id, motivo: str, dados: dict | None = None) -> str:
    return motivo if transferir(ticket_id, motivo, dados) else "nada"


def _enviar(ticket_id, resposta: str, sugestao: dict) -> str:
    from atendimento.services.saida import janela_aberta, mensagem_enviar_automatica

    with transaction.atomic():
        ticket = _travar(ticket_id)
        if ticket is None:
            return "nada"
        if not janela_aberta(ticket):
            fechada = True
        else:
            fechada = False
            marca = {
                "sugestao_id": sugestao.get("sugestao_id"),
                "confianca": sugestao.get("confianca"),
                "fontes": [f.get("id") for f in sugestao.get("fontes") or []],
                "provider": sugestao.get("provider"),
                "modelo": sugestao.get("modelo"),
            }
            mensagem = mensagem_enviar_automatica(
                ticket=ticket, conteudo=resposta, motivo=MOTIVO_RESPOSTA, dados={"robo": marca}
            )
            if mensagem is None:
                fechada = True
            elif sugestao.get("sugestao_id"):
                from ia.models import AIResposta

                AIResposta.objects.filter(
                    pk=sugestao["sugestao_id"], empresa_id=ticket.empresa_id
                ).update(mensagem=mensagem)
    if fechada:
        return _transferido(ticket_id, JANELA_FECHADA)
    return "respondido"
