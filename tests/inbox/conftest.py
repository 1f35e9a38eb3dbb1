from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cliente_de():
    """A browser logged in as ``atendente``'s user."""

    def criar(atendente) -> Client:
        cliente = Client()
        cliente.force_login(atendente.usuario)
        return cliente

    return criar


@pytest.fixture
def novo_ticket(empresa, canal_whatsapp, fila):
    """Tickets of ``empresa`` on its WhatsApp channel, in ``fila`` unless told otherwise."""

    def criar(**campos):
        campos.setdefault("empresa", empresa)
        campos.setdefault("canal", canal_whatsapp)
        campos.setdefault("fila", fila)
        return TicketFactory(**campos)

    return criar


def ids_na_lista(html: str) -> list[str]:
    """Ticket ids of the list items, in order."""
    return re.findall(r'<li class="item[^"]*" data-ticket-id="([0-9a-f-]+)"', html)


def texto(resposta) -> str:
    return resposta.content.decode()
