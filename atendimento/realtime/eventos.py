"""Typed payloads of the server -> client websocket events (``docs/realtime.md``) and the
helpers the services call to publish them (after commit, to the groups that may see the ticket)."""

from __future__ import annotations

from typing import Any, TypedDict

from atendimento.realtime.grupos import (
    grupo_atendente,
    grupo_empresa,
    grupos_que_veem_ticket,
)
from atendimento.realtime.publicar import publicar


class DadosMidia(TypedDict):
    url: str
    mime: str
    tamanho: int | None
    nome: str


class DadosMensagem(TypedDict):
    id: str
    ticket: str
    direcao: str
    remetente_tipo: str
    remetente_nome: str
    tipo: str
    conteudo: str
    midia: DadosMidia | None
    status: str
    erro_detalhe: str
    id_externo: str | None
    criado_em: str
    data: str


class DadosTicket(TypedDict):
    id: str
    numero: int | None
    status: str
    prioridade: str
    canal: str
    fila: str | None
    atendente: str | None
    contato: str
    assunto: str
    nao_lidas: int
    ultima_mensagem_em: str | None
    ultima_mensagem_resumo: str


def _iso(valor) -> str | None:
    return valor.isoformat() if valor else None


def url_midia(mensagem) -> str:
    return f"/midia/{mensagem.id}/"


def dados_mensagem(mensagem) -> DadosMensagem:
    midia: DadosMidia | None = None
    if mensagem.midia_status:
        midia = {
            "url": url_midia(mensagem),
            "mime": mensagem.midia_mime,
            "tamanho": mensagem.midia_tamanho,
            "nome": mensagem.midia_nome,
        }
    return {
        "id": str(mensagem.id),
        "ticket": str(mensagem.ticket_id),
        "direcao": mensagem.direcao,
        "remetente_tipo": mensagem.remetente_tipo,
        "remetente_nome": mensagem.remetente_nome,
        "tipo": mensagem.tipo,
        "conteudo": mensagem.conteudo,
        "midia": midia,
        "status": mensagem.status,
        "erro_detalhe": mensagem.erro_detalhe,
        "id_externo": mensagem.id_externo,
        "criado_em": _iso(mensagem.criado_em) or "",
        "data": _iso(mensagem.data) or "",
    }


def dados_ticket(ticket) -> DadosTicket:
    return {
        "id": str(ticket.id),
        "numero": ticket.numero,
        "status": ticket.status,
        "prioridade": ticket.prioridade,
        "canal": str(ticket.canal_id),
        "fila": str(ticket.fila_id) if ticket.fila_id else None,
        "atendente": str(ticket.atendente_id) if ticket.atendente_id else None,
        "contato": str(ticket.contato_id),
        "assunto": ticket.assunto,
        "nao_lidas": ticket.nao_lidas,
        "ultima_mensagem_em": _iso(ticket.ultima_mensagem_em),
        "ultima_mensagem_resumo": ticket.ultima_mensagem_resumo,
    }


def publicar_nova_mensagem(mensagem, ticket=None) -> None:
    ticket = ticket or mensagem.ticket
    publicar(
        "nova_mensagem",
        dict(dados_mensagem(mensagem)),
        grupos_que_veem_ticket(ticket),
        ticket=ticket,
    )


def publicar_status_mensagem(mensagem, ticket=None) -> None:
    ticket = ticket or mensagem.ticket
    dados: dict[str, Any] = {
        "mensagem_id": str(mensagem.id),
        "ticket_id": str(ticket.id),
        "status": mensagem.status,
        "erro_codigo": mensagem.erro_codigo,
        "erro_detalhe": mensagem.erro_detalhe,
    }
    publicar("status_mensagem", dados, grupos_que_veem_ticket(ticket), ticket=ticket)


def publicar_novo_ticket(ticket) -> None:
    publicar(
        "novo_ticket",
        dict(dados_ticket(ticket)),
        grupos_que_veem_ticket(ticket),
        ticket=ticket,
    )


def publicar_ticket_atualizado(ticket, *, grupos_anteriores: list[str] | None = None) -> None:
    """``grupos_anteriores``: groups that saw the ticket before a transfer, so their lists drop it
    (the consumer's gate then lets through only what each socket may still see)."""
    grupos = grupos_que_veem_ticket(ticket) + list(grupos_anteriores or [])
    publicar("ticket_atualizado", dict(dados_ticket(ticket)), grupos, ticket=ticket)


def publicar_atendente_status(atendente) -> None:
    dados = {"atendente_id": str(atendente.id), "nome": atendente.nome, "status": atendente.status}
    publicar("atendente_status", dados, [grupo_empresa(atendente.empresa_id)])


def publicar_notificacao(atendente, *, titulo: str, texto: str, ticket_id=None, **extra) -> None:
    """``extra``: more keys of the payload (``id``, ``tipo``, ``nao_lidas`` from the
    notification service)."""
    dados = {"titulo": titulo, "texto": texto, "ticket_id": str(ticket_id) if ticket_id else None}
    dados.update(extra)
    publicar("notificacao", dados, [grupo_atendente(atendente.id)], ticket_id=ticket_id)
