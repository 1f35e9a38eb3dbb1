"""Which agents have a socket open, across every daphne process (shared Redis), and the
grace period before a disconnected agent is shown ``offline``.

Per agent, a sorted set ``rt:conexoes:<atendente_id>`` holds the channel names of their open
sockets, scored with the time of the last heartbeat; entries older than three heartbeats are
ignored, so the sockets of a daphne process that died without closing them stop counting.

A socket's entry is written when it connects (``registrar``) and then refreshed by its process,
not by the socket: :class:`Batimentos` keeps the process's sockets and, every
``1/FATIAS`` of a heartbeat, rewrites the entries that are a heartbeat old in ONE pipeline
(with 1,000 sockets per process, a round trip per socket per heartbeat was a tenth of the CPU
of a fan-out: bench/README.md, ``fanout.py``).  The same tick checks the process's access
version cache (``acesso.VersoesAcesso``: one GET), which the sockets' heartbeats then read.

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
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import LockError, RedisError

from atendimento.realtime.ajustes import ajuste
from atendimento.realtime.por_loop import um_por_loop
from atendimento.realtime.redis import PREFIXO, cliente
from conectcrm.avisos import AvisoLimitado

logger = logging.getLogger(__name__)
aviso = AvisoLimitado(logger)

#: ticks of the process's presence refresh per heartbeat period
FATIAS = 10
#: entries rewritten per pipeline at most (a reconnect storm makes many due in one tick)
_POR_PIPELINE = 250
#: coroutines each tick runs too, with its monotonic start (``acesso`` checks its cache there)
A_CADA_TICK: list[Callable[[float], Awaitable[None]]] = []

_verificacoes: set[asyncio.Task] = set()


def heartbeat_segundos() -> float:
    return ajuste("REALTIME_HEARTBEAT_SEGUNDOS")


def carencia_segundos() -> float:
    return ajuste("REALTIME_OFFLINE_APOS_SEGUNDOS")


def _chave(atendente_id: str) -> str:
    return f"{PREFIXO}conexoes:{atendente_id}"


def _validade() -> int:
    return int(heartbeat_segundos() * 3) + 1


def _chave_saida(atendente_id: str) -> str:
    return f"{PREFIXO}saida:{atendente_id}"


def trava(atendente_id: str):
    """Redis lock serialising presence changes of one agent (connect vs. offline check)."""
    return cliente().lock(
        f"{PREFIXO}trava-presenca:{atendente_id}", timeout=15, blocking_timeout=15
    )


async def registrar(atendente_id: str, canal: str) -> None:
    """Count (or refresh, on heartbeat) the socket ``canal`` of the agent."""
    async with cliente().pipeline(transaction=True) as pipe:
        pipe.zadd(_chave(atendente_id), {canal: time.time()})
        pipe.expire(_chave(atendente_id), _validade())
        await pipe.execute()


class Batimentos:
    """The open sockets of one process (one event loop) and the task refreshing their presence
    entries: each tick (``heartbeat / FATIAS``) the entries written a heartbeat ago or more are
    rewritten together, at most ``_POR_PIPELINE`` per round trip."""

    def __init__(self) -> None:
        self._sockets: dict[str, tuple[str, float]] = {}  # canal -> (atendente_id, due at)
        self._tarefa: asyncio.Task | None = None
        self._renovando: asyncio.Future | None = None

    def adicionar(self, atendente_id: str, canal: str) -> None:
        """Refresh ``canal``'s entry from now on (its connect just wrote it)."""
        self._sockets[canal] = (atendente_id, time.monotonic() + heartbeat_segundos())
        if self._tarefa is None or self._tarefa.done():
            self._tarefa = asyncio.get_running_loop().create_task(self._rodar())

    async def remover(self, canal: str) -> None:
        """Stop refreshing ``canal``; returns once no refresh that could rewrite its entry is
        in flight (the caller then removes the entry)."""
        if self._sockets.pop(canal, None) is None:
            return
        renovando = self._renovando
        if renovando is not None and not renovando.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(renovando)

    def __len__(self) -> int:
        return len(self._sockets)

    async def _rodar(self) -> None:
        while self._sockets:
            await asyncio.sleep(heartbeat_segundos() / FATIAS)
            inicio = time.monotonic()
            for gancho in A_CADA_TICK:
                try:
                    await gancho(inicio)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    aviso("tick", "presença: verificação periódica falhou", exc=exc)
            vencidos = [c for c, (_, quando) in self._sockets.items() if quando <= inicio]
            for i in range(0, len(vencidos), _POR_PIPELINE):
                self._renovando = asyncio.ensure_future(
                    self._renovar(vencidos[i : i + _POR_PIPELINE])
                )
                try:
                    await asyncio.shield(self._renovando)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # Redis away: the next tick retries; one line per interval
                    aviso("renovar", "presença: renovação falhou", exc=exc)

    async def _renovar(self, canais: list[str]) -> None:
        por_atendente: dict[str, dict[str, float]] = {}
        agora, proximo = time.time(), time.monotonic() + heartbeat_segundos()
        for canal in canais:
            atual = self._sockets.get(canal)
            if atual is not None:
                por_atendente.setdefault(atual[0], {})[canal] = agora
        if not por_atendente:
            return
        validade = _validade()
        async with cliente().pipeline(transaction=False) as pipe:
            for atendente_id, membros in por_atendente.items():
                pipe.zadd(_chave(atendente_id), membros)
                pipe.expire(_chave(atendente_id), validade)
            await pipe.execute()
        for membros in por_atendente.values():
            for canal in membros:
                atual = self._sockets.get(canal)
                if atual is not None:
                    self._sockets[canal] = (atual[0], proximo)


#: the presence refresher of the running event loop
batimentos = um_por_loop(Batimentos)


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
