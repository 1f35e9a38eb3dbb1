"""The one publishing helper. Services call ``publicar(...)`` inside their transaction; the frame
goes out after commit (never for a rolled-back change), to the given Channels groups.

Frames are ``{"evento": <name>, "dados": {...}}`` (``docs/realtime.md``).  The consumer receiving a
group message re-checks that its user may still see the ticket before sending it on, and drops
the copies of one publication that reach it through several groups (``id``).

Cost: ``async_to_sync(group_send)`` builds a new event loop and a new Redis connection on every
call (≈4-8 ms, measured on the development machine), and channels-redis' ``group_send``
itself costs three round trips per group.  Instead each process keeps ONE event loop in a
daemon thread with ONE channel layer instance (so its Redis connections persist); ``publicar``
only enqueues (fire-and-forget after commit) and the thread sends everything queued so far —
in order — with ONE
``group_send_lote`` call (one Lua script, one round trip: ``atendimento/realtime/camada.py``).
Inside ``publicacoes_em_lote()`` (the batch drain) the publications of a transaction are handed
over together at commit, so a whole batch of inbound events goes out in one round trip.
The queue is bounded: past ``REALTIME_PUBLICAR_FILA_MAX`` pending publications new ones are
dropped and logged (clients re-fetch; the data is committed).
Fork-safe: a child process (Celery prefork) starts its own thread on first use.
``bench/publicar.py`` measures it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from atendimento.realtime.ajustes import ajuste
from conectcrm.avisos import AvisoLimitado


def retrato_ticket(ticket) -> dict[str, Any]:
    """The access keys of ``ticket`` carried by each event about it (see ``acesso``)."""
    return {
        "empresa": str(ticket.empresa_id),
        "fila": str(ticket.fila_id) if ticket.fila_id else None,
        "atendente": str(ticket.atendente_id) if ticket.atendente_id else None,
    }


logger = logging.getLogger(__name__)
aviso = AvisoLimitado(logger)
#: errors meaning "Redis is not there" (logged once per interval, not per publication)
_FORA_DO_AR = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)

TIPO_MENSAGEM = "evento.atendimento"
_TEMPO_MAX_ENVIO = 15.0  # seconds for one round of group sends before it is given up
_MAX_POR_ENVIO = 500  # publications sent in one round trip at most

Envio = tuple[list[str], dict[str, Any]]

_coleta = threading.local()  # the open publicacoes_em_lote() of this thread, if any


@contextlib.contextmanager
def publicacoes_em_lote() -> Iterator[None]:
    """Hand the publications made inside this block over together, at commit (one round trip
    to Redis for all of them).  Must be used inside the transaction; a publication made inside
    a savepoint that rolls back is still left out (each keeps its own ``on_commit``)."""
    anterior = getattr(_coleta, "lista", None)
    lista: list[Envio] = []
    _coleta.lista = lista
    try:
        yield
    finally:
        _coleta.lista = anterior
    if anterior is not None:  # nested: the outer block hands them over
        transaction.on_commit(lambda: anterior.extend(lista))
    else:
        transaction.on_commit(lambda: _publicador.enviar(lista))


def publicar(
    evento: str,
    dados: dict[str, Any],
    grupos: Iterable[str],
    *,
    ticket_id: str | None = None,
    ticket=None,
) -> None:
    """Send ``{"evento", "dados"}`` to ``grupos`` after commit.

    An event about a ticket names it: ``ticket=`` (preferred: the message then carries the
    ticket's access keys and each socket decides without a database query) or ``ticket_id=``
    (each receiving socket checks the database)."""
    grupos = list(dict.fromkeys(grupos))
    if ticket is not None and ticket_id is None:
        ticket_id = ticket.pk
    mensagem = {
        "type": TIPO_MENSAGEM,
        "id": uuid.uuid4().hex,
        "evento": evento,
        "dados": dados,
        "ticket_id": str(ticket_id) if ticket_id else None,
        "acesso": retrato_ticket(ticket) if ticket is not None else None,
    }
    lista = getattr(_coleta, "lista", None)
    if lista is not None:
        transaction.on_commit(lambda: lista.append((grupos, mensagem)))
    else:
        transaction.on_commit(lambda: _publicador.enviar([(grupos, mensagem)]))


def enviar_agora(grupos: Iterable[str], mensagem: dict[str, Any]) -> None:
    """Queue a raw group message now (callers already running after commit)."""
    _publicador.enviar([(list(dict.fromkeys(grupos)), mensagem)])


def aguardar_publicacoes(timeout: float = 5.0, *, restantes: int = 0) -> bool:
    """Block until at most ``restantes`` queued publications of this process have not
    reached the channel layer yet (0: all of them; tests, shutdown). True when that happened
    within ``timeout`` seconds."""
    return _publicador.aguardar(timeout, restantes)


publicar_agora_para_testes = aguardar_publicacoes


def iniciar_publicador() -> bool:
    """Start this process's publishing thread and channel layer now (a worker warming up)
    rather than at its first publication; False when no channel layer is configured."""
    return _publicador._garantir()


class _Publicador:
    """One event loop in a daemon thread per process, sending queued publications in order."""

    def __init__(self) -> None:
        self._reiniciar()

    def _reiniciar(self) -> None:
        self._pid: int | None = None
        self._trava = threading.Lock()
        self._condicao = threading.Condition()
        self._pendentes = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fila: asyncio.Queue | None = None
        self._camada = None

    # -------------------------------------------------------------- caller side (any thread)
    def enviar(self, envios: list[Envio]) -> None:
        envios = [(grupos, mensagem) for grupos, mensagem in envios if grupos]
        if not envios or not self._garantir():
            return
        limite = int(ajuste("REALTIME_PUBLICAR_FILA_MAX"))
        with self._condicao:
            cabem = max(limite - self._pendentes, 0)
            if cabem < len(envios):
                logger.warning(
                    "fila de publicação cheia (%s): %s publicações descartadas (%s)",
                    limite,
                    len(envios) - cabem,
                    ", ".join(sorted({m.get("evento", "?") for _, m in envios[cabem:]})),
                )
                envios = envios[:cabem]
            if not envios:
                return
            self._pendentes += len(envios)
        try:
            self._loop.call_soon_threadsafe(self._fila.put_nowait, envios)
        except RuntimeError:  # loop closed (interpreter shutting down)
            self._concluir(len(envios))
            logger.warning("%s publicações perdidas: loop encerrado", len(envios))

    def aguardar(self, timeout: float, restantes: int = 0) -> bool:
        with self._condicao:
            return self._condicao.wait_for(lambda: self._pendentes <= restantes, timeout)

    def _garantir(self) -> bool:
        if self._pid == os.getpid():
            return True
        with self._trava:
            if self._pid == os.getpid():
                return True
            if DEFAULT_CHANNEL_LAYER not in channel_layers.configs:
                return False
            camada = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
            loop = asyncio.new_event_loop()
            pronto = threading.Event()
            threading.Thread(
                target=self._rodar, args=(loop, pronto), name="publicar-realtime", daemon=True
            ).start()
            pronto.wait()
            self._camada = camada
            self._loop = loop
            self._pid = os.getpid()
            return True

    def _concluir(self, quantas: int = 1) -> None:
        with self._condicao:
            self._pendentes -= quantas
            self._condicao.notify_all()

    # -------------------------------------------------------------- loop side (daemon thread)
    def _rodar(self, loop: asyncio.AbstractEventLoop, pronto: threading.Event) -> None:
        asyncio.set_event_loop(loop)

        async def iniciar() -> None:
            self._fila = asyncio.Queue()
            pronto.set()

        loop.run_until_complete(iniciar())
        loop.create_task(self._trabalhar(self._fila))
        loop.run_forever()

    async def _trabalhar(self, fila: asyncio.Queue) -> None:
        while True:
            envios: list[Envio] = list(await fila.get())
            while len(envios) < _MAX_POR_ENVIO and not fila.empty():
                envios += fila.get_nowait()  # everything queued meanwhile: same round trip
            try:
                await asyncio.wait_for(self._enviar(envios), _TEMPO_MAX_ENVIO)
            except _FORA_DO_AR as exc:  # Redis down: one line per interval
                aviso(
                    "redis",
                    "falha ao publicar %s eventos: Redis indisponível",
                    len(envios),
                    exc=exc,
                )
            except Exception:  # the change is committed; a lost live frame is re-fetched
                logger.exception(
                    "falha ao publicar %s",
                    ", ".join(sorted({m.get("evento", "?") for _, m in envios})),
                )
            finally:
                self._concluir(len(envios))

    async def _enviar(self, envios: list[Envio]) -> None:
        lote = getattr(self._camada, "group_send_lote", None)
        if lote is not None:
            await lote(envios)
            return
        for grupos, mensagem in envios:  # another layer (tests' in-memory one): group by group
            for grupo in grupos:
                await self._camada.group_send(grupo, mensagem)


_publicador = _Publicador()

if hasattr(os, "register_at_fork"):
    # The child inherits the lock state and pending count but not the thread: start afresh.
    os.register_at_fork(after_in_child=_publicador._reiniciar)


@atexit.register
def _esvaziar_ao_sair() -> None:
    if _publicador._pid == os.getpid():
        _publicador.aguardar(2.0)
