"""Fan-out inside one server process (``atendimento/realtime/entrega.py``): the process is one
member of a group however many of its sockets joined, and a publication to many local sockets
costs Redis work per process, not per socket — through the real ASGI application and Redis."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from atendimento.realtime import entrega
from atendimento.realtime.eventos import publicar_nova_mensagem
from atendimento.realtime.grupos import grupo_fila
from tests.factories import AtendenteFactory, AtendenteFilaFactory, MensagemFactory, TicketFactory

from .conftest import conectar, em_sync, esperar

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]

SOCKETS = 6


def _chave_grupo(grupo: str) -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:group:{grupo}"


def _agentes_da_fila(empresa, fila, n: int) -> list:
    agentes = []
    for i in range(n):
        agente = AtendenteFactory(empresa=empresa, nome=f"Agente {i}")
        AtendenteFilaFactory(atendente=agente, fila=fila)
        agentes.append(agente)
    return agentes


def _comandos(nome: str) -> int:
    """How many ``nome`` commands the cache Redis (access versions) has answered so far."""
    stats = redis.Redis.from_url(settings.REDIS_CACHE_URL).info("commandstats")
    return stats.get(f"cmdstat_{nome}", {}).get("calls", 0)


async def test_o_processo_e_um_membro_do_grupo_por_mais_sockets_que_tenha(empresa, fila):
    canais = redis.Redis.from_url(settings.REDIS_CANAIS_URL)
    chave = _chave_grupo(grupo_fila(fila.id))
    agentes = await em_sync(_agentes_da_fila, empresa, fila, 3)

    clientes = [await conectar(a) for a in agentes]
    assert canais.zcard(chave) == 1  # this process, once

    await clientes[0].fechar()
    assert canais.zcard(chave) == 1  # two local sockets are still in it
    for cliente in clientes[1:]:
        await cliente.fechar()
    assert canais.zcard(chave) == 0  # the last one left: the process leaves


async def test_uma_publicacao_a_muitos_sockets_nao_custa_um_get_por_entrega(
    empresa, fila, canal_whatsapp
):
    agentes = await em_sync(_agentes_da_fila, empresa, fila, SOCKETS)
    ticket = await em_sync(TicketFactory, empresa=empresa, canal=canal_whatsapp, fila=fila)
    clientes = [await conectar(a) for a in agentes]
    for cliente in clientes:
        await cliente.sincronizar()
    primeira = await em_sync(MensagemFactory, ticket=ticket)
    await em_sync(publicar_nova_mensagem, primeira)  # caches every agent's version
    for cliente in clientes:
        assert (await cliente.receber())["evento"] == "nova_mensagem"

    antes = _comandos("get")
    for _ in range(3):
        mensagem = await em_sync(MensagemFactory, ticket=ticket)
        await em_sync(publicar_nova_mensagem, mensagem)
        for cliente in clientes:
            assert (await cliente.receber())["dados"]["id"] == str(mensagem.id)

    # one check of the global access counter per batch taken from Redis, not one per socket
    assert _comandos("get") - antes <= 3
    for cliente in clientes:
        await cliente.fechar()


async def test_membro_perdido_pelo_redis_volta_pela_renovacao_do_processo(
    empresa, fila, monkeypatch
):
    """The process rewrites its membership of every group it is in on its own (heartbeats no
    longer do it per socket): a Redis that lost a group key gets it back."""
    monkeypatch.setattr(entrega, "RENOVAR_SEGUNDOS", 0.2)
    canais = redis.Redis.from_url(settings.REDIS_CANAIS_URL)
    chave = _chave_grupo(grupo_fila(fila.id))
    agentes = await em_sync(_agentes_da_fila, empresa, fila, 3)
    clientes = [await conectar(a) for a in agentes]
    assert canais.zcard(chave) == 1

    canais.delete(chave)

    await esperar(lambda: canais.zcard(chave) == 1)
    for cliente in clientes:
        await cliente.fechar()
    assert canais.zcard(chave) == 0
