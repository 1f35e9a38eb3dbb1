"""The list, the conversation and the sidebar run the same number of queries for 5 rows as for
50 (no N+1), whatever each row carries (tags, assignee, queue, replies, authors)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atendimento.models import Historico, Mensagem
from tests.factories import (
    AtendenteFactory,
    ContatoFactory,
    IdentidadeContatoFactory,
    MensagemFactory,
    TagFactory,
    TicketFactory,
)

from .conftest import HTMX


def _consultas(cliente, url, **extra) -> int:
    with CaptureQueriesContext(connection) as capturadas:
        resposta = cliente.get(url, **extra)
    assert resposta.status_code == 200
    return len(capturadas)


def _tickets(n, *, empresa, canal, fila, atendente):
    tags = [TagFactory(empresa=empresa) for _ in range(3)]
    agora = timezone.now()
    for i in range(n):
        ticket = TicketFactory(
            empresa=empresa,
            canal=canal,
            fila=fila,
            atendente=atendente,
            contato=ContatoFactory(empresa=empresa),
            ultima_mensagem_em=agora - timedelta(minutes=i),
            sla_primeira_resposta_em=agora + timedelta(minutes=30),
            nao_lidas=i % 3,
        )
        ticket.tags.add(*tags[: i % 4])


def test_lista_com_5_e_com_50_tickets(cliente_de, empresa, fila, atendente, canal_whatsapp):
    cliente = cliente_de(atendente)
    _tickets(5, empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
    poucas = _consultas(cliente, "/inbox/")
    poucas_htmx = _consultas(cliente, "/inbox/", **HTMX)
    _tickets(45, empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
    assert _consultas(cliente, "/inbox/") == poucas
    assert _consultas(cliente, "/inbox/", **HTMX) == poucas_htmx


def test_lista_do_supervisor_com_5_e_com_50(cliente_de, empresa, fila, supervisor, canal_whatsapp):
    cliente = cliente_de(supervisor)
    dono = AtendenteFactory(empresa=empresa)
    _tickets(5, empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=dono)
    cliente.get("/inbox/?aba=todos", **HTMX)  # the first choice of a tab is saved (session)
    poucas = _consultas(cliente, "/inbox/?aba=todos", **HTMX)
    _tickets(45, empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=dono)
    assert _consultas(cliente, "/inbox/?aba=todos", **HTMX) == poucas


def _mensagens(ticket, n, atendente, inicio):
    anterior = None
    for i in range(n):
        saida = i % 2 == 1
        anterior = MensagemFactory(
            ticket=ticket,
            data=inicio + timedelta(seconds=i),
            direcao=Mensagem.Direcao.SAIDA if saida else Mensagem.Direcao.ENTRADA,
            remetente_tipo="atendente" if saida else "contato",
            atendente=atendente if saida else None,
            status=Mensagem.Status.ENTREGUE if saida else Mensagem.Status.RECEBIDA,
            responder_a=anterior if i % 5 == 0 else None,
            tipo="imagem" if i % 7 == 0 else "texto",
            midia_status=Mensagem.StatusMidia.DISPONIVEL if i % 7 == 0 else "",
        )
        Historico.objects.create(
            empresa=ticket.empresa, ticket=ticket, acao="atualizado", atendente=atendente
        )


def test_conversa_com_5_e_com_50_mensagens(cliente_de, empresa, fila, atendente, canal_whatsapp):
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
    for _ in range(2):
        IdentidadeContatoFactory(contato=ticket.contato, valor=ContatoFactory.build().telefone)
    cliente = cliente_de(atendente)
    inicio = timezone.now() - timedelta(days=1)
    _mensagens(ticket, 5, atendente, inicio)
    urls = [
        f"/inbox/tickets/{ticket.id}/",
        f"/inbox/tickets/{ticket.id}/mensagens/recentes/",
        f"/inbox/tickets/{ticket.id}/lateral/",
    ]
    poucas = {url: _consultas(cliente, url, **HTMX) for url in urls}
    pagina_poucas = _consultas(cliente, urls[0])
    colegas = [AtendenteFactory(empresa=empresa) for _ in range(3)]
    _mensagens(ticket, 45, colegas[0], inicio + timedelta(minutes=1))
    for i in range(9):
        TicketFactory(
            empresa=empresa, canal=canal_whatsapp, fila=fila, contato=ticket.contato,
            status="fechado", conversa_id_externo=f"antigo-{i}",
        )  # fmt: skip
    assert {url: _consultas(cliente, url, **HTMX) for url in urls} == poucas
    assert _consultas(cliente, urls[0]) == pagina_poucas


def test_pagina_de_historico_com_5_e_com_30(cliente_de, empresa, fila, atendente, canal_whatsapp):
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
    cliente = cliente_de(atendente)
    fim = MensagemFactory(ticket=ticket, data=timezone.now())
    _mensagens(ticket, 5, atendente, timezone.now() - timedelta(days=2))
    url = f"/inbox/tickets/{ticket.id}/mensagens/?antes={fim.id}"
    poucas = _consultas(cliente, url, **HTMX)
    _mensagens(ticket, 40, atendente, timezone.now() - timedelta(days=3))
    assert _consultas(cliente, url, **HTMX) == poucas
