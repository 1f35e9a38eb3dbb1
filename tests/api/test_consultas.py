"""List endpoints run a constant number of queries whatever the page holds: the count for a page
of 5 rows equals the count for a page of 50."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ia.models import AIInsight
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    ContatoFactory,
    IdentidadeContatoFactory,
    MensagemFactory,
    TagFactory,
    TicketFactory,
)

from .conftest import API

pytestmark = pytest.mark.django_db


def consultas(cliente, url: str) -> int:
    with CaptureQueriesContext(connection) as capturadas:
        resposta = cliente.get(url)
    assert resposta.status_code == 200, resposta.content
    return len(capturadas)


def tickets_completos(n, *, empresa, canal, fila, atendente, tag):
    """Tickets with everything the list shows: contact, queue, agent, tags, an AI insight."""
    for _ in range(n):
        ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila, atendente=atendente)
        ticket.tags.add(tag)
        MensagemFactory(ticket=ticket)
        AIInsight.objects.create(
            empresa=empresa, ticket=ticket, tipo="sentimento", sentimento="neutro", provider="local"
        )


@pytest.mark.parametrize("papel", ["admin", "atendente"])
def test_lista_de_tickets_5_e_50(papel, request, cliente_de, empresa, canal_whatsapp, fila):
    ator = request.getfixturevalue(papel)
    cliente = cliente_de(ator)
    tag = TagFactory(empresa=empresa)
    dados = {
        "empresa": empresa,
        "canal": canal_whatsapp,
        "fila": fila,
        "atendente": ator,
        "tag": tag,
    }
    url = f"{API}/tickets/?page_size=200&q=ajuda"

    tickets_completos(5, **dados)
    com_5 = consultas(cliente, url)
    tickets_completos(45, **dados)
    com_50 = consultas(cliente, url)

    assert com_50 == com_5
    # user+atendente, the page's keys with the count, tickets+contact+queue+agent, tags, insights
    assert com_5 <= 5
    assert cliente.get(url).json()["count"] == 50


def test_outras_listas_5_e_50(api_admin, admin, empresa, canal_whatsapp, fila):
    def popular(n):
        for _ in range(n):
            agente = AtendenteFactory(empresa=empresa)
            AtendenteFilaFactory(atendente=agente, fila=fila)
            contato = ContatoFactory(empresa=empresa)
            IdentidadeContatoFactory(contato=contato)
            ticket = TicketFactory(
                empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=admin, contato=contato
            )
            MensagemFactory(ticket=ticket)
            TagFactory(empresa=empresa)

    urls = [
        f"{API}/mensagens/?page_size=200",
        f"{API}/atendentes/?page_size=200",
        f"{API}/filas/?page_size=200",
        f"{API}/contatos/?page_size=200",
        f"{API}/tags/?page_size=200",
        f"{API}/canais/?page_size=200",
        f"{API}/atendentes/{admin.id}/tickets/?page_size=200",
        f"{API}/tickets/estatisticas/geral/",
    ]
    popular(5)
    com_5 = {url: consultas(api_admin, url) for url in urls}
    popular(45)
    com_50 = {url: consultas(api_admin, url) for url in urls}

    assert com_50 == com_5
    assert max(com_5.values()) <= 10


def test_detalhe_do_ticket_com_50_mensagens(api_admin, ticket, empresa):
    MensagemFactory.create_batch(5, ticket=ticket)
    com_5 = consultas(api_admin, f"{API}/tickets/{ticket.id}/")
    MensagemFactory.create_batch(50, ticket=ticket)
    TagFactory.create_batch(3, empresa=empresa)
    com_55 = consultas(api_admin, f"{API}/tickets/{ticket.id}/")
    mensagens = consultas(api_admin, f"{API}/tickets/{ticket.id}/mensagens/?page_size=200")

    assert com_55 == com_5
    assert mensagens <= com_5
