"""The inbound orchestrator: normalised events from a channel adapter become contacts, tickets
and messages.

``evento_processar`` dispatches on the event's class (a dict, not an if-chain).  A message is
stored once per (canal, id_externo) — ``INSERT … ON CONFLICT DO NOTHING`` decides even between
concurrent provider retries — and only the call that inserted it updates the ticket's counters
and publishes ``nova_mensagem`` (after commit).  The conversation's ticket row is locked while
its counters change, so messages of one conversation are applied one at a time; their display
order is the provider's (``data``, then ``ordem`` — Telegram's message_id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

from atendimento.models import Canal, Contato, Historico, Mensagem, Ticket
from atendimento.realtime.eventos import publicar_nova_mensagem, publicar_ticket_atualizado
from atendimento.services.abertura import ticket_da_conversa
from atendimento.services.contatos import contato_resolver
from atendimento.services.insercao import inserir_ignorando_conflito
from atendimento.services.reacoes import EntradaConfirmada, agendar_apos_commit
from canais.adapters.base import (
    EdicaoEntrada,
    Entrada,
    Identidade,
    MensagemEntrada,
    MidiaRef,
    Remetente,
    StatusEntrada,
    TemplateStatusEntrada,
)
from canais.enfileirar import baixar_midia, enfileirar

logger = logging.getLogger(__name__)

Tipo = Mensagem.Tipo

#: ticket list summary of messages without text
RESUMOS = {
    Tipo.IMAGEM: "📷 Imagem",
    Tipo.AUDIO: "🎤 Áudio",
    Tipo.VIDEO: "🎥 Vídeo",
    Tipo.DOCUMENTO: "📄 Documento",
    Tipo.STICKER: "Figurinha",
    Tipo.LOCALIZACAO: "📍 Localização",
    Tipo.CONTATO: "👤 Contato",
    Tipo.REACAO: "Reação removida",
    Tipo.DESCONHECIDO: "Mensagem não suportada",
}

#: media announced beyond the first one (Twilio MMS) become messages of their own
_TIPO_POR_MIME = {"image": Tipo.IMAGEM, "audio": Tipo.AUDIO, "video": Tipo.VIDEO}


def resumo(mensagem: Mensagem) -> str:
    if mensagem.tipo == Tipo.REACAO and mensagem.conteudo:
        return f"Reagiu com {mensagem.conteudo}"
    texto = " ".join(mensagem.conteudo.split())
    return (texto or RESUMOS.get(mensagem.tipo, ""))[:200]


# ------------------------------------------------------------------------------- messages
def _contato_da_conversa(canal: Canal, evento: MensagemEntrada) -> Contato:
    """The sender; for a group chat, a contact standing for the group (the ticket's contact),
    while each message keeps its own sender's name and id."""
    remetente = evento.remetente
    if evento.conversa.grupo and remetente.identidades:
        tipo = remetente.identidades[0].tipo
        remetente = Remetente(
            identidades=(Identidade(tipo, evento.conversa.id_externo),),
            nome=evento.conversa.titulo,
        )
    return contato_resolver(empresa=canal.empresa, remetente=remetente)


def _tipo(valor: str) -> str:
    return valor if valor in Tipo.values else Tipo.DESCONHECIDO


def _nova_mensagem(
    canal: Canal,
    ticket: Ticket,
    evento: MensagemEntrada,
    *,
    id_externo: str,
    tipo: str,
    conteudo: str,
    midia: MidiaRef | None,
    responder_a_id: Any,
) -> Mensagem:
    remetente = evento.remetente
    dados = dict(evento.dados)
    if evento.cabecalhos:
        dados["cabecalhos"] = dict(evento.cabecalhos)
    return Mensagem(
        empresa_id=canal.empresa_id,
        ticket=ticket,
        canal=canal,
        direcao=Mensagem.Direcao.ENTRADA,
        remetente_tipo=(
            Mensagem.Remetente.SISTEMA if tipo == Tipo.SISTEMA else Mensagem.Remetente.CONTATO
        ),
        remetente_nome=(remetente.nome or remetente.username)[:200],
        remetente_id_externo=(remetente.identidades[0].valor if remetente.identidades else "")[
            :255
        ],
        tipo=tipo,
        tipo_original=evento.tipo_original[:50],
        conteudo=conteudo,
        dados=dados,
        status=Mensagem.Status.RECEBIDA,
        id_externo=id_externo[:255],
        responde_a_id_externo=evento.responde_a[:255],
        responder_a_id=responder_a_id,
        data=evento.data,
        ordem=evento.ordem,
        midia_ref=midia.ref[:500] if midia else "",
        midia_mime=midia.mime[:150] if midia else "",
        midia_nome=midia.nome[:255] if midia else "",
        midia_tamanho=midia.tamanho if midia else None,
        midia_status=Mensagem.StatusMidia.PENDENTE if midia else Mensagem.StatusMidia.NENHUMA,
    )


def _mensagens(canal: Canal, ticket: Ticket, evento: MensagemEntrada) -> list[Mensagem]:
    responder_a_id = None
    if evento.responde_a:
        responder_a_id = (
            Mensagem.objects.filter(canal=canal, id_externo=evento.responde_a)
            .values_list("id", flat=True)
            .first()
        )
    comum = {"responder_a_id": responder_a_id}
    midias = list(evento.midias)
    mensagens = [
        _nova_mensagem(
            canal,
            ticket,
            evento,
            id_externo=evento.id_externo,
            tipo=_tipo(str(evento.tipo)),
            conteudo=evento.conteudo,
            midia=midias[0] if midias else None,
            **comum,
        )
    ]
    for n, midia in enumerate(midias[1:], start=2):
        tipo = _TIPO_POR_MIME.get(midia.mime.split("/")[0], Tipo.DOCUMENTO)
        mensagens.append(
            _nova_mensagem(
                canal,
                ticket,
                evento,
                id_externo=f"{evento.id_externo}#midia{n}",
                tipo=tipo,
                conteudo="",
                midia=midia,
                **comum,
            )
        )
    return mensagens


def ticket_aplicar_entrada(
    ticket: Ticket, inseridas: list[Mensagem], evento: MensagemEntrada
) -> tuple[list[str], bool]:
    """Counters and summary of the (locked) ticket after ``inseridas``, in memory: the fields
    changed and whether its status changed (the caller saves; the batch path saves many
    tickets in one statement)."""
    campos = ["total_mensagens", "atualizado_em"]
    ticket.total_mensagens += len(inseridas)
    do_cliente = [m for m in inseridas if m.tipo != Tipo.SISTEMA]
    if do_cliente:
        ticket.nao_lidas += len(do_cliente)
        campos.append("nao_lidas")
        if ticket.ultima_entrada_em is None or evento.data > ticket.ultima_entrada_em:
            ticket.ultima_entrada_em = evento.data
            campos.append("ultima_entrada_em")
    if ticket.ultima_mensagem_em is None or evento.data >= ticket.ultima_mensagem_em:
        ticket.ultima_mensagem_em = evento.data
        ticket.ultima_mensagem_resumo = resumo(inseridas[0])
        campos += ["ultima_mensagem_em", "ultima_mensagem_resumo"]
    titulo = evento.conversa.titulo
    if evento.conversa.grupo and titulo and ticket.titulo_conversa != titulo[:255]:
        ticket.titulo_conversa = titulo[:255]
        campos.append("titulo_conversa")
    mudou_status = bool(do_cliente) and ticket.status == Ticket.Status.AGUARDANDO
    if mudou_status:  # the customer answered: back to the agent (or to the queue)
        ticket.status = (
            Ticket.Status.EM_ATENDIMENTO if ticket.atendente_id else Ticket.Status.ABERTO
        )
        campos.append("status")
    return campos, mudou_status


def _atualizar_ticket(ticket: Ticket, inseridas: list[Mensagem], evento: MensagemEntrada) -> bool:
    """Counters and summary of the (locked) ticket saved; True when its status changed."""
    campos, mudou_status = ticket_aplicar_entrada(ticket, inseridas, evento)
    ticket.save(update_fields=campos)
    return mudou_status


def apos_commit_baixar_midia(mensagem_id) -> None:
    enfileirar(baixar_midia, str(mensagem_id))


@transaction.atomic(savepoint=False)
def mensagem_registrar_entrada(*, canal: Canal, evento: MensagemEntrada) -> Mensagem | None:
    """Store an inbound message (None when it was already stored: a provider retry).

    The batch path (``entrada_lote``) does the same for the common case with set-based SQL;
    a step added here must be added there too, or the event excluded from it (``_rapida``)."""
    if Mensagem.objects.filter(canal=canal, id_externo=evento.id_externo).exists():
        return None  # fast path for retries; the insert below is the real guard
    contato = _contato_da_conversa(canal, evento)
    ticket, aberto_agora = ticket_da_conversa(
        canal=canal,
        contato=contato,
        conversa=evento.conversa,
        quando=evento.data,
        assunto=evento.assunto,
        referencias=evento.referencias,
        ticket_ref=evento.ticket_ref,
    )
    inseridas = [m for m in _mensagens(canal, ticket, evento) if inserir_ignorando_conflito(m)]
    if not inseridas:
        return None
    if _atualizar_ticket(ticket, inseridas, evento) and not aberto_agora:
        publicar_ticket_atualizado(ticket)
    for mensagem in inseridas:
        publicar_nova_mensagem(mensagem, ticket)
        if mensagem.midia_status == Mensagem.StatusMidia.PENDENTE:
            transaction.on_commit(partial(apos_commit_baixar_midia, mensagem.pk))
    agendar_apos_commit(
        [
            EntradaConfirmada(
                empresa_id=ticket.empresa_id,
                ticket_id=ticket.pk,
                mensagem_id=m.pk,
                canal_id=canal.pk,
                contato_id=contato.pk,
                ticket_novo=aberto_agora and i == 0,
            )
            for i, m in enumerate(inseridas)
        ]
    )
    return inseridas[0]


# ------------------------------------------------------------------------------- edits
@transaction.atomic(savepoint=False)
def mensagem_registrar_edicao(*, canal: Canal, evento: EdicaoEntrada) -> Mensagem | None:
    """The customer edited a message: new text, the old one kept in ``historico_edicoes``."""
    mensagem = (
        Mensagem.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(canal=canal, id_externo=evento.id_externo)
        .first()
    )
    if mensagem is None:
        logger.info("edição de mensagem desconhecida %s no canal %s", evento.id_externo, canal.pk)
        return None
    if mensagem.conteudo == evento.conteudo or (
        mensagem.editada_em is not None and evento.data < mensagem.editada_em
    ):
        return None  # repeated or older than the edit already applied
    anterior = mensagem.conteudo
    mensagem.historico_edicoes = [
        *mensagem.historico_edicoes,
        {"conteudo": anterior, "substituido_em": evento.data.isoformat()},
    ]
    mensagem.conteudo = evento.conteudo
    mensagem.editada_em = evento.data
    mensagem.save(update_fields=["conteudo", "historico_edicoes", "editada_em", "atualizado_em"])
    Historico.objects.create(
        empresa_id=mensagem.empresa_id,
        ticket=mensagem.ticket,
        acao=Historico.Acao.MENSAGEM_EDITADA,
        descricao="O cliente editou uma mensagem.",
        dados={"mensagem_id": str(mensagem.pk), "anterior": anterior, "novo": evento.conteudo},
    )
    publicar_nova_mensagem(mensagem, mensagem.ticket)
    return mensagem


# ------------------------------------------------------------------------------- statuses
def _status(*, canal: Canal, evento: StatusEntrada) -> Mensagem | None:
    from atendimento.services.saida import mensagem_aplicar_status

    return mensagem_aplicar_status(canal=canal, status=evento)


def _status_template(*, canal: Canal, evento: TemplateStatusEntrada) -> None:
    from atendimento.services.templates_whatsapp import template_status_aplicar

    template_status_aplicar(canal=canal, evento=evento)


TRATADORES: dict[type, Callable[..., Mensagem | None]] = {
    MensagemEntrada: mensagem_registrar_entrada,
    EdicaoEntrada: mensagem_registrar_edicao,
    StatusEntrada: _status,
    TemplateStatusEntrada: _status_template,
}


def evento_processar(*, canal: Canal, evento: Entrada) -> Mensagem | None:
    """Apply one normalised inbound event of ``canal``; the message touched, if any."""
    return TRATADORES[type(evento)](canal=canal, evento=evento)
