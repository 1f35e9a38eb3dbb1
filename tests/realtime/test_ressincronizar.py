"""A socket that misses group messages is told to ``ressincronizar`` (through the real ASGI
application and Redis; the loss is made by advancing a group's counter past a message, as the
layer does when it drops one)."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from atendimento.realtime.grupos import grupo_atendente
from atendimento.realtime.publicar import aguardar_publicacoes, publicar

from .conftest import TIMEOUT, conectar, em_sync, nada_antes_do_marcador

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
