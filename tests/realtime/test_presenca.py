"""Presence: connecting shows the agent online; the last socket closing shows them offline
after the grace period (REALTIME_OFFLINE_APOS_SEGUNDOS, 0.2 s in these tests), counted across
processes in Redis."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings

from atendimento.models import Atendente
from atendimento.realtime import conexoes
from atendimento.services.presenca import atendente_atualizar_status, atendente_conectar

from .conftest import conectar, em_sync, nada_antes_do_marcador

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


def _status(atendente) -> str:
    return Atendente.objects.get(pk=atendente.pk).status


def _evento_status(atendente, status: str) -> dict:
    return {
        "evento": "atendente_status",
        "dados": {"atendente_id": str(atendente.id), "nome": atendente.nome, "status": status},
    }


def _offline(atendente) -> None:
    Atendente.objects.filter(pk=atendente.pk).update(status=Atendente.Status.OFFLINE)


async def test_conectar_mostra_o_atendente_online(atendente, supervisor):
    await em_sync(_offline, atendente)
    observa = await conectar(supervisor)

    cliente = await conectar(atendente)

    assert await observa.receber() == _evento_status(atendente, "online")
    assert await em_sync(_status, atendente) == "online"
    await cliente.fechar()
    assert await observa.receber() == _evento_status(atendente, "offline")
    await observa.fechar()


async def test_status_escolhido_e_mantido_ao_conectar(atendente, supervisor):
    await em_sync(atendente_atualizar_status, atendente=atendente, status="ocupado")
    observa = await conectar(supervisor)

    cliente = await conectar(atendente)
    await cliente.sincronizar()

    await nada_antes_do_marcador(observa, supervisor)
    assert await em_sync(_status, atendente) == "ocupado"
    await cliente.fechar()
    await observa.fechar()


async def test_dois_sockets_fechar_um_mantem_online_fechar_os_dois_fica_offline(
    atendente, supervisor
):
    observa = await conectar(supervisor)
    aba1 = await conectar(atendente)
    aba2 = await conectar(atendente)

    await aba1.fechar()
    await conexoes.aguardar_verificacoes()  # the grace period of aba1 has passed

    assert await em_sync(_status, atendente) == "online"
    await nada_antes_do_marcador(observa, supervisor)

    await aba2.fechar()

    assert await observa.receber() == _evento_status(atendente, "offline")
    assert await em_sync(_status, atendente) == "offline"
    await observa.fechar()


async def test_reconectar_dentro_da_carencia_mantem_online(settings, atendente, supervisor):
    settings.REALTIME_OFFLINE_APOS_SEGUNDOS = 3
    observa = await conectar(supervisor)
    aba = await conectar(atendente)

    await aba.fechar()
    aba = await conectar(atendente)  # a page reload
    await conexoes.aguardar_verificacoes()

    assert await em_sync(_status, atendente) == "online"
    await nada_antes_do_marcador(observa, supervisor)
    await aba.fechar()
    await observa.fechar()


async def test_socket_aberto_em_outro_processo_mantem_online(atendente, supervisor):
    observa = await conectar(supervisor)
    await conexoes.registrar(str(atendente.id), "specific.outro-daphne!abc")  # another process
    aba = await conectar(atendente)

    await aba.fechar()
    await conexoes.aguardar_verificacoes()

    assert await em_sync(_status, atendente) == "online"
    await nada_antes_do_marcador(observa, supervisor)
    await observa.fechar()


async def test_socket_de_processo_morto_deixa_de_contar(atendente, supervisor):
    observa = await conectar(supervisor)
    # an entry whose heartbeat stopped three periods ago (its daphne died without closing it)
    chave = f"rt:conexoes:{atendente.id}"
    antigo = time.time() - conexoes.heartbeat_segundos() * 3 - 1
    redis.Redis.from_url(settings.REDIS_CACHE_URL).zadd(chave, {"specific.morto!x": antigo})
    aba = await conectar(atendente)

    await aba.fechar()

    assert await observa.receber() == _evento_status(atendente, "offline")
    await observa.fechar()


def test_atendente_conectar_so_muda_offline(atendente):
    atendente.status = "offline"
    atendente.save()

    assert atendente_conectar(atendente=atendente).status == "online"
    atendente_atualizar_status(atendente=atendente, status="ausente")
    assert atendente_conectar(atendente=atendente).status == "ausente"
    assert _status(atendente) == "ausente"
