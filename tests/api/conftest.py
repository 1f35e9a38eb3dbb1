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


@pytest.fixture
def escuta():
    """Subscribe a fresh channel of the real channel layer to some groups and read what was
    published there.  ``ouvir(*grupos)`` returns ``ler``; ``ler()`` returns the messages
    received before a marker sent after every pending publication, so absence needs no sleep.
    (Run the request under ``django_capture_on_commit_callbacks(execute=True)``.)"""
    import asyncio
    import uuid

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from atendimento.realtime.publicar import aguardar_publicacoes

    camada = get_channel_layer()

    def ouvir(*grupos: str):
        canal = f"teste.api.{uuid.uuid4().hex}"  # a plain channel: readable from any loop
        aguardar_publicacoes(10)  # earlier publications must not reach this new listener
        for grupo in grupos:
            async_to_sync(camada.group_add)(grupo, canal)

        def ler() -> list[dict]:
            aguardar_publicacoes(10)  # everything published so far is in the layer
            marcador = uuid.uuid4().hex
            for grupo in grupos:
                async_to_sync(camada.group_send)(
                    grupo, {"type": "marcador", "evento": "marcador", "dados": {"id": marcador}}
                )

            async def receber_ate_os_marcadores() -> list[dict]:
                recebidos: list[dict] = []
                faltam = len(grupos)
                while faltam:
                    mensagem = await asyncio.wait_for(camada.receive(canal), 10)
                    if mensagem["evento"] != "marcador":
                        recebidos.append(mensagem)
                    elif mensagem["dados"]["id"] == marcador:
                        faltam -= 1
                return recebidos

            # one event loop for the whole read (channels-redis keeps state per loop)
            return async_to_sync(receber_ate_os_marcadores)()

        return ler

    return ouvir
