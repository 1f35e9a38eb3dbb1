"""Direct delivery through a real uvicorn with the project's websocket protocol
(``conectcrm/protocolo_ws.py``), served from this process so the layer's counters can be read:
the common case is written in the reader's step, and the gate, the sequence numbers and the
fall-back to the ordinary path behave as through the ASGI ``send``."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
import uvicorn
from channels.layers import get_channel_layer

from atendimento.models import AtendenteFila
from atendimento.realtime.eventos import dados_mensagem, publicar_nova_mensagem
from conectcrm.asgi import application
from conectcrm.protocolo_ws import CAMINHO
from tests.factories import MensagemFactory, TicketFactory
from tests.processos import porta_livre

from .conftest import TIMEOUT, em_sync, socket_em
from .test_ressincronizar import _notificar, _perder, _quadro

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


@pytest.fixture(autouse=True)
def espera_curta(settings):
    settings.REALTIME_LACUNA_ESPERA_SEGUNDOS = 0.2


@contextlib.asynccontextmanager
async def uvicorn_aqui():
    """uvicorn in this event loop, with ``make run``'s websocket protocol."""
    porta = porta_livre()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=porta,
        ws=CAMINHO,
        ws_per_message_deflate=False,
        lifespan="off",
        log_level="warning",
    )
    servidor = uvicorn.Server(config)
    tarefa = asyncio.ensure_future(servidor.serve())
    fim = asyncio.get_running_loop().time() + TIMEOUT
    while not servidor.started:
        assert not tarefa.done(), "uvicorn não subiu"
        assert asyncio.get_running_loop().time() < fim, "uvicorn não subiu a tempo"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{porta}"
    finally:
        servidor.should_exit = True
        await asyncio.wait_for(tarefa, TIMEOUT)


def _diretas() -> int:
    return get_channel_layer().entrega().diretas


async def _marcador(socket, atendente, texto: str) -> None:
    """Nothing published before now is still on its way to ``socket``."""
    await em_sync(_notificar, atendente, texto)
    assert json.loads(await asyncio.wait_for(socket.ws.recv(), TIMEOUT)) == _quadro(texto)


async def test_evento_sai_direto_so_para_quem_ve_o_ticket(
    atendente, atendente_outra_fila, admin_outra_empresa, fila, canal_whatsapp, empresa
):
    ticket = await em_sync(TicketFactory, empresa=empresa, canal=canal_whatsapp, fila=fila)
    mensagem = await em_sync(MensagemFactory, ticket=ticket)
    async with (
        uvicorn_aqui() as base,
        socket_em(base, atendente) as dono,
        socket_em(base, atendente_outra_fila) as colega,
        socket_em(base, admin_outra_empresa) as estranho,
    ):
        for s in (dono, colega, estranho):
            await s.sincronizar()
        antes = _diretas()

        await em_sync(publicar_nova_mensagem, mensagem)

        esperado = json.loads(json.dumps(dados_mensagem(mensagem)))
        assert await dono.receber() == {"evento": "nova_mensagem", "dados": esperado}
        await _marcador(dono, atendente, "depois")  # exactly once
        await _marcador(colega, atendente_outra_fila, "nada")  # another queue: never
        await _marcador(estranho, admin_outra_empresa, "nada")  # another empresa: never
        assert _diretas() > antes  # written in the reader's step, not through the buffer


async def test_acesso_revogado_vale_para_a_entrega_direta_seguinte(
    atendente, fila, canal_whatsapp, empresa
):
    ticket = await em_sync(TicketFactory, empresa=empresa, canal=canal_whatsapp, fila=fila)
    mensagem = await em_sync(MensagemFactory, ticket=ticket)
    async with uvicorn_aqui() as base, socket_em(base, atendente) as socket:
        await socket.sincronizar()
        await em_sync(publicar_nova_mensagem, mensagem)
        assert (await socket.receber())["evento"] == "nova_mensagem"

        await em_sync(AtendenteFila.objects.filter(atendente=atendente, fila=fila).delete)
        await em_sync(publicar_nova_mensagem, mensagem)

        await _marcador(socket, atendente, "depois da remoção")


async def test_lacuna_na_entrega_direta_pede_ressincronizar(atendente):
    async with uvicorn_aqui() as base, socket_em(base, atendente) as socket:
        await socket.sincronizar()
        await em_sync(_notificar, atendente, "1")
        assert await socket.receber() == _quadro("1")

        await em_sync(_perder, atendente, 2)
        await em_sync(_notificar, atendente, "4")

        assert await socket.receber() == _quadro("4")
        assert await socket.receber() == {"evento": "ressincronizar", "dados": {"perdidos": 2}}
        await _marcador(socket, atendente, "5")  # told once, and the next one flows again
