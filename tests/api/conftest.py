from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import (
    AtendenteFactory,
    CanalFactory,
    ContatoFactory,
    FilaFactory,
    TicketFactory,
)

API = "/api/atendimento"


@pytest.fixture(autouse=True)
def _cache_limpo():
    """Throttle counters live in the Redis cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cliente_de():
    """``cliente_de(atendente)``: an API client sending that user's JWT."""

    def criar(atendente) -> APIClient:
        cliente = APIClient()
        token = AccessToken.for_user(atendente.usuario)
        cliente.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return cliente

    return criar


@pytest.fixture
def anonimo() -> APIClient:
    return APIClient()


@pytest.fixture
def api_admin(cliente_de, admin):
    return cliente_de(admin)


@pytest.fixture
def api_supervisor(cliente_de, supervisor):
    return cliente_de(supervisor)


@pytest.fixture
def api_atendente(cliente_de, atendente):
    return cliente_de(atendente)


@pytest.fixture
def ticket(empresa, canal_whatsapp, fila):
    """A ticket in ``fila`` (visible to ``atendente``)."""
    return TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)


@pytest.fixture
def ticket_outra_fila(empresa, canal_whatsapp, outra_fila):
    """A ticket in ``outra_fila``, not assigned: ``atendente`` does not see it."""
    return TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=outra_fila)


@pytest.fixture
def ticket_outra_empresa(outra_empresa):
    fila = FilaFactory(empresa=outra_empresa)
    canal = CanalFactory(empresa=outra_empresa, fila_padrao=fila)
    return TicketFactory(empresa=outra_empresa, canal=canal, fila=fila)


@pytest.fixture
def fila_outra_empresa(outra_empresa):
    return FilaFactory(empresa=outra_empresa, nome="Fila alheia")


@pytest.fixture
def atendente_outra_empresa(outra_empresa):
    return AtendenteFactory(empresa=outra_empresa, nome="Agente alheio")


@pytest.fixture
def contato(empresa):
    return ContatoFactory(empresa=empresa, nome="Maria Cliente", telefone="5511987654321")
