"""The socket's periodic upkeep (REALTIME_HEARTBEAT_SEGUNDOS, 0.05 s here) catches access changes
that bypass the signals (``QuerySet.update()``) and keeps its presence entry fresh."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings

from atendimento.models import Atendente
from atendimento.realtime.grupos import grupo_supervisores

from .conftest import conectar, em_sync, esperar

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


@pytest.fixture(autouse=True)
def batimento_rapido(settings):
    settings.REALTIME_HEARTBEAT_SEGUNDOS = 0.05


def _chave_grupo(grupo: str) -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:group:{grupo}"


async def test_promocao_por_update_entra_no_grupo_dos_supervisores(atendente):
    canais = redis.Redis.from_url(settings.REDIS_CANAIS_URL)
    chave = _chave_grupo(grupo_supervisores(atendente.empresa_id))
    cliente = await conectar(atendente)
    assert canais.zcard(chave) == 0

    await em_sync(
        lambda: Atendente.objects.filter(pk=atendente.pk).update(papel=Atendente.Papel.SUPERVISOR)
    )

    await esperar(lambda: canais.zcard(chave) == 1)
    await cliente.fechar()


async def test_desativacao_por_update_fecha_o_socket(atendente):
    cliente = await conectar(atendente)

    await em_sync(lambda: Atendente.objects.filter(pk=atendente.pk).update(ativo=False))

    assert await cliente.fechamento() == 4401


async def test_batimento_renova_a_presenca(atendente):
    cache = redis.Redis.from_url(settings.REDIS_CACHE_URL)
    chave = f"rt:conexoes:{atendente.id}"
    cliente = await conectar(atendente)
    ((_, primeiro),) = cache.zrange(chave, 0, -1, withscores=True)

    await esperar(lambda: cache.zrange(chave, 0, -1, withscores=True)[0][1] > primeiro)
    await cliente.fechar()


async def test_socket_fechado_nao_volta_pela_renovacao_do_processo(atendente, supervisor):
    """The process refreshes its sockets' presence together; a socket that closed is not
    written back by a refresh that was on its way."""
    cache = redis.Redis.from_url(settings.REDIS_CACHE_URL)
    fica = await conectar(supervisor)
    sai = await conectar(atendente)
    chave_fica, chave_sai = f"rt:conexoes:{supervisor.id}", f"rt:conexoes:{atendente.id}"
    ((_, primeiro),) = cache.zrange(chave_fica, 0, -1, withscores=True)

    await sai.fechar()
    assert cache.zcard(chave_sai) == 0
    for _ in range(3):  # three refreshes of the socket that stays
        await esperar(lambda p=primeiro: cache.zrange(chave_fica, 0, -1, withscores=True)[0][1] > p)
        ((_, primeiro),) = cache.zrange(chave_fica, 0, -1, withscores=True)
        assert cache.zcard(chave_sai) == 0
    await fica.fechar()


async def test_renovacao_do_processo_sobrevive_ao_redis_fora(atendente, monkeypatch, tmp_path):
    """While Redis cannot be reached the process's refresh fails (one warning per interval)
    and keeps trying; once it is back, the entries are refreshed again."""
    import redis.asyncio

    from atendimento.realtime import conexoes

    cache = redis.Redis.from_url(settings.REDIS_CACHE_URL)
    chave = f"rt:conexoes:{atendente.id}"
    cliente = await conectar(atendente)
    fora = redis.asyncio.Redis(unix_socket_path=str(tmp_path / "nada.sock"))
    verdadeiro = conexoes.cliente
    falhas = []

    def cliente_fora():
        falhas.append(1)
        return fora

    monkeypatch.setattr(conexoes, "cliente", cliente_fora)
    await esperar(lambda: len(falhas) >= 2)  # refreshes failed (the entry may expire meanwhile)
    monkeypatch.setattr(conexoes, "cliente", verdadeiro)
    de_volta = time.time()

    await esperar(lambda: any(s > de_volta for _, s in cache.zrange(chave, 0, -1, withscores=True)))
    await cliente.fechar()
