"""``CamadaRedis``: many group messages in one round trip, in channels-redis' own format (its
receivers read them unchanged), numbered per group, over-capacity counted — on the real Redis
of this test run."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest
import redis
from django.conf import settings

from atendimento.realtime.camada import CamadaRedis
from atendimento.realtime.publicar import aguardar_publicacoes, publicacoes_em_lote, publicar
from atendimento.services.entrada_lote import eventos_processar
from tests.atendimento.test_entrada import msg_wa
from tests.factories import CanalFactory

from .conftest import TIMEOUT, em_sync

pytestmark = pytest.mark.django_db(transaction=True)


def _camada(**extra) -> CamadaRedis:
    """A layer as another server process would have it (its own process-local channels)."""
    config = dict(settings.CHANNEL_LAYERS["default"]["CONFIG"]) | extra
    return CamadaRedis(**config)


def _chamadas_de_script() -> int:
    """EVAL/EVALSHA calls the Redis server has answered so far (all clients)."""
    stats = redis.Redis.from_url(settings.REDIS_CANAIS_URL).info("commandstats")
    return sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("eval", "evalsha"))


async def _receber(camada, canal) -> dict:
    return await asyncio.wait_for(camada.receive(canal), TIMEOUT)


async def test_lote_entrega_a_cada_processo_a_mensagem_intacta_numerada_por_grupo():
    envia, proc_a, proc_b = _camada(), _camada(), _camada()
    a1, a2 = await proc_a.new_channel(), await proc_a.new_channel()
    b1 = await proc_b.new_channel()
    for canal in (a1, a2, b1):
        await proc_a.group_add("fila.x", canal)
    await proc_a.group_add("ticket.y", a1)
    mensagem = {
        "type": "evento.atendimento",
        "id": uuid.uuid4().hex,
        "evento": "nova_mensagem",
        "dados": {"texto": "olá ✓", "midia": None, "vazio": {}, "lista": [], "n": 3, "x": 1.5},
        "ticket_id": None,
        "acesso": {"empresa": "e", "fila": None, "atendente": None},
    }
    outra = dict(mensagem, id="2", evento="ticket_atualizado")

    recusadas = await envia.group_send_lote(
        [(["fila.x", "ticket.y"], mensagem), (["fila.x"], outra)]
    )

    assert recusadas == 0
    recebido = [await _receber(proc_a, a1) for _ in range(3)]
    assert recebido[0] == mensagem | {"grupo": "fila.x", "seq": 1}
    assert recebido[1] == mensagem | {"grupo": "ticket.y", "seq": 1}
    assert recebido[2] == outra | {"grupo": "fila.x", "seq": 2}
    for camada, canal in ((proc_a, a2), (proc_b, b1)):
        assert await _receber(camada, canal) == mensagem | {"grupo": "fila.x", "seq": 1}
        assert await _receber(camada, canal) == outra | {"grupo": "fila.x", "seq": 2}

    # the single-group API goes through the same numbering
    await envia.group_send("fila.x", {"type": "t"})
    assert await _receber(proc_b, b1) == {"type": "t", "grupo": "fila.x", "seq": 3}


async def test_um_lote_inteiro_custa_uma_chamada_ao_redis():
    envia, recebe = _camada(), _camada()
    canais = [await recebe.new_channel() for _ in range(3)]
    for n, canal in enumerate(canais):
        await recebe.group_add(f"fila.{n}", canal)
    envios = [([f"fila.{i % 3}", "empresa.z"], {"type": "t", "i": i}) for i in range(50)]
    await envia.group_send_lote([(["aquecer"], {"type": "t"})])  # script loaded

    antes = _chamadas_de_script()
    await envia.group_send_lote(envios)

    assert _chamadas_de_script() - antes == 1
    recebidos = [await _receber(recebe, canais[0]) for _ in range(17)]
    assert [m["i"] for m in recebidos] == list(range(0, 50, 3))
    assert [m["seq"] for m in recebidos] == list(range(1, 18))


async def test_processo_acima_da_capacidade_e_contado_e_deixa_lacuna(caplog):
    envia, recebe = _camada(capacity=2), _camada(capacity=2)
    canal = await recebe.new_channel()
    await recebe.group_add("fila.cheia", canal)

    with caplog.at_level(logging.WARNING, logger="atendimento.realtime.camada"):
        recusadas = await envia.group_send_lote([(["fila.cheia"], {"type": "t"})] * 3)

    assert recusadas == 1
    assert "1 entregas recusadas" in caplog.text
    assert [(await _receber(recebe, canal))["seq"] for _ in range(2)] == [1, 2]
    await envia.group_send("fila.cheia", {"type": "t"})
    assert (await _receber(recebe, canal))["seq"] == 4  # 3 was refused: the receiver sees it


def _lote_de_entrada(canal) -> None:
    itens = [(canal, msg_wa(f"55119{n:08d}", f"wamid.lote.{n}", f"oi {n}")) for n in range(20)]
    eventos_processar(itens)


async def test_lote_de_entrada_publica_depois_do_commit_numa_chamada(empresa, fila):
    canal_wa = await em_sync(CanalFactory, empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    await em_sync(publicar, "aquecer", {}, ["aquecer"])
    assert await em_sync(aguardar_publicacoes, TIMEOUT)
    recebe = _camada()
    canal = await recebe.new_channel()
    await recebe.group_add(f"fila.{fila.id}", canal)

    antes = _chamadas_de_script()
    await em_sync(_lote_de_entrada, canal_wa)
    assert await em_sync(aguardar_publicacoes, TIMEOUT)

    assert _chamadas_de_script() - antes == 1
    eventos = [await _receber(recebe, canal) for _ in range(40)]  # novo_ticket + nova_mensagem
    assert {m["evento"] for m in eventos} == {"novo_ticket", "nova_mensagem"}
    assert [m["seq"] for m in eventos] == list(range(1, 41))


class Desfazer(Exception):
    pass


def _lote_desfeito() -> None:
    from django.db import transaction

    try:
        with transaction.atomic(), publicacoes_em_lote():
            publicar("desfeito", {}, ["fila.desfeita"])
            raise Desfazer
    except Desfazer:
        pass
    with transaction.atomic(), publicacoes_em_lote():
        try:
            with transaction.atomic():  # a savepoint that rolls back
                publicar("no_savepoint", {}, ["fila.desfeita"])
                raise Desfazer
        except Desfazer:
            pass
        publicar("confirmado", {}, ["fila.desfeita"])


async def test_lote_desfeito_nao_publica_nem_o_savepoint_desfeito():
    recebe = _camada()
    canal = await recebe.new_channel()
    await recebe.group_add("fila.desfeita", canal)

    await em_sync(_lote_desfeito)

    assert (await _receber(recebe, canal))["evento"] == "confirmado"
