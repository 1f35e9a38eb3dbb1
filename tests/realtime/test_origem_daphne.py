"""Who may open ``/ws/atendimento/`` against a real daphne, with a real websocket client that
sends no ``Origin`` header unless told to (as API clients, mobile apps and integrations do):
a valid token is enough whatever the Origin; the session cookie only from the desk's own
origin (cross-site websocket hijacking)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import pytest
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from atendimento.realtime.grupos import grupo_atendente
from atendimento.realtime.publicar import publicar
from tests.processos import servidor_daphne

from .conftest import TIMEOUT, em_sync, token_de

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integracao]


@pytest.fixture(scope="module")
def daphne(django_db_setup):
    """One daphne for the module, on the test database (hence after ``django_db_setup``)."""
    with servidor_daphne() as base:
        yield urlsplit(base).netloc


def _cookie_de_sessao(usuario) -> str:
    cliente = Client()
    cliente.force_login(usuario)
    return f"sessionid={cliente.cookies['sessionid'].value}"


async def _recebe_evento(ws, atendente) -> None:
    """The open socket gets an event published to its agent (so it is authenticated and live)."""
    await ws.send(json.dumps({"evento": "sincronizar", "dados": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["evento"] == "erro"
    dados = {"titulo": "Olá", "texto": "de fora", "ticket_id": None}
    await em_sync(publicar, "notificacao", dados, [grupo_atendente(atendente.id)])
    assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) == {
        "evento": "notificacao",
        "dados": dados,
    }


async def test_token_sem_origin_conecta_e_recebe_eventos(daphne, atendente):
    token = await em_sync(token_de, atendente)

    async with connect(f"ws://{daphne}/ws/atendimento/?token={token}") as ws:
        assert "Origin" not in ws.request.headers
        await _recebe_evento(ws, atendente)


async def test_token_de_outra_origem_conecta(daphne, atendente):
    token = await em_sync(token_de, atendente)

    url = f"ws://{daphne}/ws/atendimento/?token={token}"
    async with connect(url, origin="http://evil.example") as ws:
        await _recebe_evento(ws, atendente)


async def test_token_invalido_sem_origin_e_fechado_4401(daphne, atendente):
    async with connect(f"ws://{daphne}/ws/atendimento/?token=nao-e-um-jwt") as ws:
        with pytest.raises(ConnectionClosed) as erro:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert erro.value.rcvd.code == 4401


async def test_cookie_da_propria_origem_conecta(daphne, atendente):
    cookie = await em_sync(_cookie_de_sessao, atendente.usuario)

    async with connect(
        f"ws://{daphne}/ws/atendimento/",
        origin=f"http://{daphne}",
        additional_headers={"Cookie": cookie},
    ) as ws:
        await _recebe_evento(ws, atendente)


@pytest.mark.parametrize("origem", ["http://evil.example", None])
async def test_cookie_de_outra_origem_ou_sem_origin_e_recusado(daphne, atendente, origem):
    cookie = await em_sync(_cookie_de_sessao, atendente.usuario)

    with pytest.raises(InvalidStatus) as erro:
        async with connect(
            f"ws://{daphne}/ws/atendimento/",
            origin=origem,
            additional_headers={"Cookie": cookie},
        ):
            pass

    assert erro.value.response.status_code == 403
