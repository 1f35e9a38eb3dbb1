"""Which agents have a socket open, across every daphne process (shared Redis), and the
grace period before a disconnected agent is shown ``offline``.

Per agent, a sorted set ``rt:conexoes:<atendente_id>`` holds the channel names of their open
sockets, scored with the time of the last heartbeat; entries older than three heartbeats are
ignored, so the sockets of a daphne process that died without closing them stop counting.

When a socket closes, the process that served it schedules one check (an asyncio task in that
process's event loop) ``REALTIME_OFFLINE_APOS_SEGUNDOS`` later.  The last socket to close
writes its name to ``rt:saida:<id>``; only the check of that socket may set the agent
offline, and only when no socket is counted (a reconnect in another process during the grace
period keeps the agent online).  The connect path and the check share a Redis lock, so a
connection racing with the check cannot be overwritten by it.

Limitation (documented choice): the check lives in the process that served the socket.  If
that process dies during the grace period the agent keeps their last status until they
connect and leave again.  A Celery countdown task would survive that, but needs a worker and
broker on the presence path of every disconnect; the in-process task needs neither.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import LockError, RedisError

from atendimento.realtime.ajustes import ajuste
from atendimento.realtime.redis import PREFIXO, cliente

logger = logging.getLogger(__name__)

_verificacoes: set[asyncio.Task] = set()


def heartbeat_segundos() -> float:
    return ajuste("REALTIME_HEARTBEAT_SEGUNDOS")


def carencia_segundos() -> float:
    return ajuste("REALTIME_OFFLINE_APOS_SEGUNDOS")


def _chave(atendente_id: str) -> str:
    return f"{PREFIXO}conexoes:{atendente_id}"


def _chave_saida(atendente_id: str) -> str:
    return f"{PREFIXO}saida:{atendente_id}"


def trava(atendente_id: str):
    """Redis lock serialising presence changes of one agent (connect vs. offline check)."""
    return cliente().lock(
        f"{PREFIXO}trava-presenca:{atendente_id}", timeout=15, blocking_timeout=15
    )


async def registrar(atendente_id: str, canal: str) -> None:
    """Count (or refresh, on heartbeat) the socket ``canal`` of the agent."""
    validade = int(heartbeat_segundos() * 3) + 1
    async with cliente().pipeline(transaction=True) as pipe:
        pipe.zadd(_chave(atendente_id), {canal: time.time()})
        pipe.expire(_chave(atendente_id), validade)
        await pipe.execute()


async def remover(atendente_id: str, canal: str) -> None:
    """Stop counting ``canal`` and mark it as the agent's latest disconnect."""
    async with cliente().pipeline(transaction=True) as pipe:
        pipe.zrem(_chave(atendente_id), canal)
        pipe.set(_chave_saida(atendente_id), canal, ex=int(carencia_segundos() * 4) + 60)
        await pipe.execute()


async def abertas(atendente_id: str) -> int:
    """Sockets of the agent open in any process (heartbeat within three periods)."""
    limite = time.time() - heartbeat_segundos() * 3
    async with cliente().pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(_chave(atendente_id), "-inf", limite)
        pipe.zcard(_chave(atendente_id))
        _, total = await pipe.execute()
    return int(total)


def agendar_offline(
    atendente_id: str, canal: str, ficar_offline: Callable[[str], Awaitable[None]]
) -> None:
    """After the grace period, call ``ficar_offline(atendente_id)`` unless the agent has a
    socket open again or closed a later one (whose own check decides)."""

    async def verificar() -> None:
        await asyncio.sleep(carencia_segundos())
        try:
            async with trava(atendente_id):
                ultima = await cliente().get(_chave_saida(atendente_id))
                if ultima is not None and ultima.decode() != canal:
                    return
                if await abertas(atendente_id):
                    return
                await ficar_offline(atendente_id)
        except (LockError, RedisError):
            logger.exception("verificação de presença de %s falhou (Redis)", atendente_id)
        except Exception:  # database down: the agent keeps the last status
            logger.exception("verificação de presença de %s falhou", atendente_id)

    tarefa = asyncio.get_running_loop().create_task(verificar())
    _verificacoes.add(tarefa)
    tarefa.add_done_callback(_verificacoes.discard)


async def aguardar_verificacoes() -> None:
    """Wait for the pending offline checks of this event loop (tests, graceful shutdown)."""
    loop = asyncio.get_running_loop()
    pendentes = [t for t in _verificacoes if t.get_loop() is loop]
    if pendentes:
        await asyncio.gather(*pendentes, return_exceptions=True)
