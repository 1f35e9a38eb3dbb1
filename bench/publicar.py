"""Cost of ``atendimento.realtime.publicar.publicar`` per call, outside a transaction (the
after-commit callback runs at once), to groups that each hold one listening channel, against
the naive way it replaced (``async_to_sync(group_send)`` per call: new loop, new connection).

    .venv/bin/python bench/publicar.py [N] [GRUPOS] [RODADAS]

For each round it runs both, back to back, and prints: the caller's cost per call, the time
until every frame is in Redis, and the frames the listener channels hold afterwards.  Figures
only, no thresholds; run it on a quiet machine (other load moves both numbers).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings_test")
os.environ.setdefault("REDIS_DB_BASE", "60")
os.environ.setdefault("CHANNELS_PREFIX", "bench")

import django

django.setup()

from asgiref.sync import async_to_sync  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from django.conf import settings  # noqa: E402

from atendimento.realtime.publicar import (  # noqa: E402
    TIPO_MENSAGEM,
    aguardar_publicacoes,
    publicar,
)

# room for every frame of the run in the listener channels (no over-capacity drops)
settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = 10_000_000


def ingenuo(evento: str, dados: dict, grupos: list[str]) -> None:
    """The replaced implementation: one async_to_sync(group_send) round per publication."""
    camada = get_channel_layer()
    mensagem = {"type": TIPO_MENSAGEM, "evento": evento, "dados": dados, "ticket_id": None}

    async def todos() -> None:
        for grupo in grupos:
            await camada.group_send(grupo, mensagem)

    async_to_sync(todos)()


def rodada(nome: str, funcao, n: int, grupos: list[str], loop) -> dict[str, float]:
    camada = get_channel_layer()
    canais = [f"bench.ouvinte{i}" for i in range(len(grupos))]

    async def preparar() -> None:
        await camada.flush()
        for grupo, canal in zip(grupos, canais, strict=True):
            await camada.group_add(grupo, canal)

    async def contar() -> int:
        conexao = camada.connection(0)
        return sum([await conexao.zcard(camada.prefix + canal) for canal in canais])

    loop.run_until_complete(preparar())
    for _ in range(20):  # warm-up: imports, connections, the background thread
        funcao("bench", {"i": -1}, grupos)
    aguardar_publicacoes(60)
    custos = []
    inicio = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        funcao("bench", {"i": i, "texto": "x" * 200}, grupos)
        custos.append(time.perf_counter() - t0)
    aguardar_publicacoes(120)
    total = time.perf_counter() - inicio
    entregues = loop.run_until_complete(contar())
    custos.sort()
    print(
        f"  {nome:<24} caller median {statistics.median(custos) * 1e3:7.3f} ms, "
        f"p99 {custos[int(len(custos) * 0.99) - 1] * 1e3:7.3f} ms | all frames in Redis: "
        f"{total * 1e3:7.0f} ms = {n / total:5.0f} publishes/s | "
        f"frames {entregues}/{(n + 20) * len(grupos)}"
    )
    return {"caller": statistics.median(custos), "taxa": n / total}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    qtd_grupos = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rodadas = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    grupos = [f"bench.grupo{i}" for i in range(qtd_grupos)]
    loop = asyncio.new_event_loop()
    print(f"{n} publishes x {qtd_grupos} groups (1 listener each), {rodadas} rounds")
    resultados: dict[str, list[dict[str, float]]] = {"ingenuo": [], "fundo": []}
    for r in range(rodadas):
        print(f"round {r + 1}")
        resultados["ingenuo"].append(rodada("async_to_sync per call", ingenuo, n, grupos, loop))
        resultados["fundo"].append(rodada("background loop", publicar, n, grupos, loop))
    loop.run_until_complete(get_channel_layer().flush())
    loop.close()
    med = {
        k: {m: statistics.median(r[m] for r in v) for m in ("caller", "taxa")}
        for k, v in resultados.items()
    }
    print(
        f"median of rounds: caller {med['ingenuo']['caller'] * 1e3:.3f} -> "
        f"{med['fundo']['caller'] * 1e3:.3f} ms "
        f"({med['ingenuo']['caller'] / med['fundo']['caller']:.0f}x less), throughput "
        f"{med['ingenuo']['taxa']:.0f} -> {med['fundo']['taxa']:.0f} publishes/s "
        f"({med['fundo']['taxa'] / med['ingenuo']['taxa']:.1f}x)"
    )


if __name__ == "__main__":
    main()
