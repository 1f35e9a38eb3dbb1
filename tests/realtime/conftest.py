"""Websocket test helpers: ``WebsocketCommunicator`` against the real ``conectcrm.asgi``
application and the real channels-redis layer of this test run (REDIS_DB_BASE..+2).

Absence is proved without sleeping: :func:`nada_antes_do_marcador` publishes a marker that the
socket may receive after the event under test; publications of one process go out in order and
a socket handles its messages in order, so the marker arriving first proves the event never
will.

Sockets opened here carry the server extension ``make run``'s uvicorn gives every socket
(``conectcrm.envio_direto``, conectcrm/protocolo_ws.py), so server events take the same direct
path as in production; ``abrir(..., direto=False)`` opens one without it (daphne's case).  The
real extension is tested against a real uvicorn in ``test_envio_direto.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken
from websockets.asyncio.client import connect

from atendimento.realtime import conexoes
from atendimento.realtime.grupos import grupo_atendente
from atendimento.realtime.publicar import aguardar_publicacoes, publicar
from conectcrm.asgi import application
from conectcrm.protocolo_ws import EXTENSAO

ORIGEM = b"http://testserver"
TIMEOUT = 10


@pytest.fixture(autouse=True)
def redis_limpo():
    """Groups, presence and access versions of an earlier test must not leak into this one."""
    for url in (settings.REDIS_CACHE_URL, settings.REDIS_CANAIS_URL):
        redis.Redis.from_url(url).flushdb()
    yield
    aguardar_publicacoes(TIMEOUT)


@pytest.fixture
async def verificacoes(transactional_db):
    """Teardown waits for pending offline checks before the database is emptied."""
    yield
    await conexoes.aguardar_verificacoes()


@pytest.fixture(autouse=True)
def ajustes_rapidos(settings):
    settings.REALTIME_OFFLINE_APOS_SEGUNDOS = 0.2


def token_de(atendente) -> str:
    return str(AccessToken.for_user(atendente.usuario))


class Cliente:
    """A connected test socket speaking the contract's frames."""

    def __init__(self, comunicador: WebsocketCommunicator) -> None:
        self.com = comunicador

    async def enviar(self, evento: str, **dados: Any) -> None:
        await self.com.send_json_to({"evento": evento, "dados": dados})

    async def enviar_texto(self, texto: str) -> None:
        await self.com.send_to(text_data=texto)

    async def receber(self) -> dict[str, Any]:
        return await self.com.receive_json_from(timeout=TIMEOUT)

    async def sincronizar(self) -> None:
        """Every frame sent before this one has been handled (frames are handled in order)."""
        await self.enviar("sincronizar")
        assert await self.receber() == {
            "evento": "erro",
            "dados": {"detail": "Evento desconhecido: sincronizar."},
        }

    async def fechamento(self) -> int | None:
        """The close code the server sent (the test side then completes the close)."""
        saida = await self.com.receive_output(timeout=TIMEOUT)
        assert saida["type"] == "websocket.close", saida
        await self.com.disconnect()
        return saida.get("code")

    async def fechar(self) -> None:
        await self.com.disconnect()


class EnvioDiretoDeTeste:
    """The communicator's side of ``conectcrm.envio_direto``: a frame written now is put in
    the output queue as the ASGI ``send`` would put it."""

    def __init__(self, comunicador: WebsocketCommunicator) -> None:
        self._comunicador = comunicador

    def pode(self) -> bool:
        return not self._comunicador.future.done()

    def enviar(self, dados: bytes) -> bool:
        quadro = {"type": "websocket.send", "text": dados.decode()}
        self._comunicador.output_queue.put_nowait(quadro)
        return True


async def abrir(
    atendente=None, *, token: str | None = None, cookie: str | None = None, direto: bool = True
) -> WebsocketCommunicator:
    caminho = "/ws/atendimento/"
    if atendente is not None:
        token = await database_sync_to_async(token_de)(atendente)
    if token is not None:
        caminho += f"?token={token}"
    cabecalhos = [(b"origin", ORIGEM)]
    if cookie is not None:
        cabecalhos.append((b"cookie", cookie.encode()))
    comunicador = WebsocketCommunicator(application, caminho, headers=cabecalhos)
    if direto:  # before the application starts (its scope is read then)
        comunicador.scope["extensions"] = {EXTENSAO: EnvioDiretoDeTeste(comunicador)}
    conectado, _ = await comunicador.connect(timeout=TIMEOUT)
    assert conectado
    return comunicador


async def conectar(atendente=None, **kwargs) -> Cliente:
    return Cliente(await abrir(atendente, **kwargs))


async def em_sync(funcao, *args, **kwargs):
    return await database_sync_to_async(funcao)(*args, **kwargs)


async def nada_antes_do_marcador(cliente: Cliente, atendente) -> None:
    """Prove that ``cliente`` (a socket of ``atendente``) got nothing published before now."""
    marca = uuid.uuid4().hex
    await em_sync(
        publicar,
        "notificacao",
        {"titulo": "marcador", "texto": marca, "ticket_id": None},
        [grupo_atendente(atendente.id)],
    )
    assert await cliente.receber() == {
        "evento": "notificacao",
        "dados": {"titulo": "marcador", "texto": marca, "ticket_id": None},
    }


async def esperar(condicao, limite: float = TIMEOUT) -> None:
    """Poll ``condicao`` (state in Redis or the database) until it holds."""
    loop = asyncio.get_running_loop()
    fim = loop.time() + limite
    while not condicao():
        assert loop.time() < fim, "condição não atingida"
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------ real processes (daphne)
class Socket:
    """A real websocket client (``websockets``) to a daphne process."""

    def __init__(self, ws) -> None:
        self.ws = ws

    async def enviar(self, evento: str, **dados) -> None:
        await self.ws.send(json.dumps({"evento": evento, "dados": dados}))

    async def receber(self) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))

    async def sincronizar(self) -> None:
        await self.enviar("sincronizar")
        assert await self.receber() == {
            "evento": "erro",
            "dados": {"detail": "Evento desconhecido: sincronizar."},
        }


@contextlib.asynccontextmanager
async def socket_em(base: str, atendente):
    token = await em_sync(token_de, atendente)
    host = urlsplit(base).netloc
    async with connect(f"ws://{host}/ws/atendimento/?token={token}", origin=f"http://{host}") as ws:
        yield Socket(ws)
