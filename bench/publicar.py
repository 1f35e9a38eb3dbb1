"""Cost of ``atendimento.realtime.publicar.publicar`` per call, outside a transaction (the
after-commit callback runs at once), to groups that each hold one listening channel.

    .venv/bin/python bench/publicar.py [N] [GRUPOS]

Prints: the caller's cost per call, the time until every frame is in Redis (the flush), and
the number of frames the listener channels hold afterwards.  Figures only, no thresholds.
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

from django.conf import settings  # noqa: E402

# room for every frame of the run in the listener channels (no over-capacity drops)
settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = 1_000_000

from channels.layers import get_channel_layer  # noqa: E402

from atendimento.realtime import publicar as modulo  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    qtd_grupos = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    grupos = [f"bench.grupo{i}" for i in range(qtd_grupos)]
    camada = get_channel_layer()

    async def preparar() -> list[str]:
        await camada.flush()
        canais = []
        for i, grupo in enumerate(grupos):
            canal = f"bench.ouvinte{i}"
            await camada.group_add(grupo, canal)
            canais.append(canal)
        return canais

    loop = asyncio.new_event_loop()
    canais = loop.run_until_complete(preparar())

    for _ in range(20):  # warm-up: imports, connections, the background thread
        modulo.publicar("bench", {"i": -1}, grupos)
    aguardar = getattr(modulo, "aguardar_publicacoes", None)
    if aguardar:
        aguardar(30)

    custos = []
    inicio = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        modulo.publicar("bench", {"i": i, "texto": "x" * 200}, grupos)
        custos.append(time.perf_counter() - t0)
    fim_chamadas = time.perf_counter()
    if aguardar:
        aguardar(60)
    fim = time.perf_counter()

    async def contar() -> int:
        conexao = camada.connection(0)
        total = 0
        for canal in canais:
            total += await conexao.zcard(camada.prefix + canal)
        await camada.flush()
        return total

    entregues = loop.run_until_complete(contar())
    loop.close()
    custos.sort()
    print(f"implementation: {'background loop' if aguardar else 'async_to_sync per call'}")
    print(f"publishes: {n} x {qtd_grupos} groups (1 listener each)")
    print(
        f"caller cost per publicar(): median {statistics.median(custos) * 1e3:.3f} ms, "
        f"p99 {custos[int(len(custos) * 0.99) - 1] * 1e3:.3f} ms"
    )
    print(f"all calls returned after {(fim_chamadas - inicio) * 1e3:.1f} ms")
    print(
        f"all frames in Redis after {(fim - inicio) * 1e3:.1f} ms "
        f"({n / (fim - inicio):.0f} publishes/s, {(fim - inicio) / n * 1e3:.3f} ms per publish)"
    )
    print(f"frames held for the listeners: {entregues} (expected {(n + 20) * qtd_grupos})")


if __name__ == "__main__":
    main()
