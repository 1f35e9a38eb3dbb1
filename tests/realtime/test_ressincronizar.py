"""A socket that misses group messages is told to ``ressincronizar`` (through the real ASGI
application and Redis; the loss is made by advancing a group's counter past a message, as the
layer does when it drops one)."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from websockets.asyncio.client import connect

from atendimento.realtime.grupos import grupo_atendente
from atendimento.realtime.publicar import aguardar_publicacoes, publicar
from tests.processos import servidor_uvicorn

from .conftest import TIMEOUT, conectar, em_sync, nada_antes_do_marcador, socket_em, token_de

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


@pytest.fixture(autouse=True)
def espera_curta(settings):
    settings.REALTIME_LACUNA_ESPERA_SEGUNDOS = 0.2


def _notificar(atendente, texto: str) -> None:
    publicar(
        "notificacao",
        {"titulo": "t", "texto": texto, "ticket_id": None},
        [grupo_atendente(atendente.id)],
    )
    assert aguardar_publicacoes(TIMEOUT)


def _perder(atendente, quantas: int) -> None:
    """``quantas`` messages of the agent's group dropped on their way (numbers used, never
    delivered)."""
    prefixo = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    chave = f"{prefixo}:seq:{grupo_atendente(atendente.id)}"
    redis.Redis.from_url(settings.REDIS_CANAIS_URL).incrby(chave, quantas)


def _quadro(texto: str) -> dict:
    return {"evento": "notificacao", "dados": {"titulo": "t", "texto": texto, "ticket_id": None}}


async def test_mensagem_perdida_pede_ressincronizar(atendente):
    cliente = await conectar(atendente)
    await em_sync(_notificar, atendente, "1")
    assert await cliente.receber() == _quadro("1")

    await em_sync(_perder, atendente, 1)
    await em_sync(_notificar, atendente, "3")

    assert await cliente.receber() == _quadro("3")  # what did arrive still goes out
    assert await cliente.receber() == {"evento": "ressincronizar", "dados": {"perdidos": 1}}
    await nada_antes_do_marcador(cliente, atendente)  # once
    await cliente.fechar()


async def test_muitas_perdidas_pedem_ressincronizar_na_hora(atendente, settings):
    settings.REALTIME_LACUNA_ESPERA_SEGUNDOS = 60
    cliente = await conectar(atendente)
    await em_sync(_notificar, atendente, "1")
    assert await cliente.receber() == _quadro("1")

    await em_sync(_perder, atendente, 500)
    await em_sync(_notificar, atendente, "502")

    assert await cliente.receber() == {"evento": "ressincronizar", "dados": {"perdidos": 500}}
    assert await cliente.receber() == _quadro("502")
    await cliente.fechar()


async def test_sem_perda_nada_de_ressincronizar(atendente):
    cliente = await conectar(atendente)
    for n in range(20):
        await em_sync(_notificar, atendente, str(n))
    for n in range(20):
        assert await cliente.receber() == _quadro(str(n))
    await em_sync(_perder, atendente, 0)
    await nada_antes_do_marcador(cliente, atendente)
    await cliente.fechar()


# ------------------------------------------------------------------ from outside: a slow client
def _rajada(atendentes, quantas: int) -> None:
    """``quantas`` notifications of ~8 KB to each agent, 25 at a time: faster than the slow
    client reads, slower than the server process takes them from Redis."""
    for n in range(quantas):
        recheio = secrets.token_hex(4000)  # random: permessage-deflate must not shrink it
        for atendente in atendentes:
            publicar(
                "notificacao",
                {"titulo": recheio, "texto": str(n), "ticket_id": None},
                [grupo_atendente(atendente.id)],
            )
        if n % 25 == 24:
            assert aguardar_publicacoes(60)
            time.sleep(0.15)
    assert aguardar_publicacoes(60)


@pytest.mark.integracao
async def test_cliente_lento_de_verdade_e_avisado_o_rapido_nao(atendente, supervisor):
    """A real uvicorn (channel capacity 50) and real sockets: one client stops reading during
    a burst (a tiny receive buffer, so the server's writes back up), the other keeps reading.
    The slow one gets ``ressincronizar`` counting exactly what it missed; the fast one gets
    everything and no ``ressincronizar``."""
    total = 1000
    with servidor_uvicorn(CHANNELS_CAPACITY="50", REALTIME_LACUNA_ESPERA_SEGUNDOS="0.5") as base:
        host = urlsplit(base).netloc
        lento_sock = socket.socket()
        lento_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lento_sock.connect(("127.0.0.1", int(host.split(":")[1])))
        token_lento = await em_sync(token_de, atendente)
        async with (
            connect(
                f"ws://{host}/ws/atendimento/?token={token_lento}",
                origin=f"http://{host}",
                sock=lento_sock,
                max_queue=1,
            ) as lento,
            socket_em(base, supervisor) as rapido,
        ):
            await rapido.sincronizar()
            await lento.send(json.dumps({"evento": "sincronizar", "dados": {}}))
            assert json.loads(await asyncio.wait_for(lento.recv(), TIMEOUT))["evento"] == "erro"

            rajada = asyncio.ensure_future(em_sync(_rajada, [atendente, supervisor], total))
            recebidos_rapido = []
            while len(recebidos_rapido) < total:
                quadro = await rapido.receber()
                assert quadro["evento"] == "notificacao", quadro
                recebidos_rapido.append(int(quadro["dados"]["texto"]))
            await rajada
            assert recebidos_rapido == list(range(total))
            await asyncio.sleep(1)  # the slow client only now starts reading

            recebidos, perdidos = [], 0
            while len(recebidos) + perdidos < total:
                quadro = json.loads(await asyncio.wait_for(lento.recv(), TIMEOUT))
                if quadro["evento"] == "ressincronizar":
                    perdidos += quadro["dados"]["perdidos"]
                else:
                    recebidos.append(int(quadro["dados"]["texto"]))
            assert perdidos > 0
            assert recebidos == sorted(recebidos)  # what arrived, in order, no duplicate
            assert len(set(recebidos)) + perdidos == total
        await nada_depois(rapido_base=base, atendente=supervisor)


async def nada_depois(*, rapido_base: str, atendente) -> None:
    """A fresh socket of the fast agent sees a marker first: no late ``ressincronizar``."""
    async with socket_em(rapido_base, atendente) as novo:
        await novo.sincronizar()
