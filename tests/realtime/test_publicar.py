"""``publicar``: after commit only, through the per-process background loop, fork-safe,
bounded."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from atendimento.realtime.publicar import aguardar_publicacoes, publicar

from .conftest import em_sync

pytestmark = pytest.mark.django_db(transaction=True)

GRUPO = "teste.publicar"


async def _ouvinte():
    camada = get_channel_layer()
    canal = await camada.new_channel()
    await camada.group_add(GRUPO, canal)
    return camada, canal


async def _proximo(camada, canal) -> dict:
    mensagem = await asyncio.wait_for(camada.receive(canal), 10)
    return {k: mensagem[k] for k in ("type", "evento", "dados", "ticket_id")}


def _esperado(evento: str, **dados) -> dict:
    return {"type": "evento.atendimento", "evento": evento, "dados": dados, "ticket_id": None}


class Desfazer(Exception):
    pass


def _publicar_e_desfazer() -> None:
    try:
        with transaction.atomic():
            publicar("desfeito", {}, [GRUPO])
            raise Desfazer
    except Desfazer:
        pass


def _publicar_e_confirmar() -> None:
    with transaction.atomic():
        publicar("confirmado", {"n": 1}, [GRUPO])
        # still inside the transaction: nothing queued yet
        assert aguardar_publicacoes(0)


async def test_so_depois_do_commit_e_nunca_num_rollback():
    camada, canal = await _ouvinte()

    await em_sync(_publicar_e_desfazer)
    await em_sync(_publicar_e_confirmar)

    assert await _proximo(camada, canal) == _esperado("confirmado", n=1)


def _filho() -> None:
    publicar("do_filho", {"pid": "filho"}, [GRUPO])
    raise SystemExit(0 if aguardar_publicacoes(10) else 1)


async def test_processo_filho_de_fork_publica_pelo_proprio_loop():
    camada, canal = await _ouvinte()
    await em_sync(publicar, "antes", {}, [GRUPO])  # the parent's thread is running
    assert await _proximo(camada, canal) == _esperado("antes")

    processo = multiprocessing.get_context("fork").Process(target=_filho)
    processo.start()
    await asyncio.get_running_loop().run_in_executor(None, processo.join, 30)

    assert processo.exitcode == 0
    assert await _proximo(camada, canal) == _esperado("do_filho", pid="filho")
    await em_sync(publicar, "depois", {}, [GRUPO])  # and the parent still publishes
    assert await _proximo(camada, canal) == _esperado("depois")


async def test_fila_cheia_descarta_e_registra(settings, caplog):
    camada, canal = await _ouvinte()
    settings.REALTIME_PUBLICAR_FILA_MAX = 0

    with caplog.at_level(logging.WARNING, logger="atendimento.realtime.publicar"):
        await em_sync(publicar, "descartado", {}, [GRUPO])
    settings.REALTIME_PUBLICAR_FILA_MAX = 10
    await em_sync(publicar, "aceito", {}, [GRUPO])

    assert await _proximo(camada, canal) == _esperado("aceito")
    assert "fila de publicação cheia (0): 1 publicações descartadas (descartado)" in caplog.text
