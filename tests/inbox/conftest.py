from __future__ import annotations

import pytest
from django.test import Client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cliente_de():
    """A browser logged in as ``atendente``'s user."""

    def criar(atendente) -> Client:
        cliente = Client()
        cliente.force_login(atendente.usuario)
        return cliente

    return criar
