"""The one publishing helper. Services call ``publicar(...)`` inside their transaction; the frame
goes out after commit (never for a rolled-back change), to the given Channels groups.

Frames are ``{"evento": <name>, "dados": {...}}`` (CONTRACT §6).  The consumer receiving a
group message re-checks that its user may still see the ticket before sending it on, and drops
the copies of one publication that reach it through several groups (``id``).

Cost: ``async_to_sync(group_send)`` builds a new event loop and a new Redis connection on every
call (≈4-8 ms here, anchors/performance.md §i).  Instead each process keeps ONE event loop in a
daemon thread with ONE channel layer instance (so its Redis connections persist); ``publicar``
only enqueues (fire-and-forget after commit) and the thread sends, in order, each publication's
groups concurrently.  The queue is bounded: past ``REALTIME_PUBLICAR_FILA_MAX`` pending
publications new ones are dropped and logged (clients re-fetch; the data is committed).
Fork-safe: a child process (Celery prefork) starts its own thread on first use.
``bench/publicar.py`` measures it.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import uuid
from collections.abc import Iterable
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
_TEMPO_MAX_ENVIO = 15.0  # seconds for one publication's group_sends before it is given up


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
    transaction.on_commit(lambda: _publicador.enviar(grupos, mensagem))


def enviar_agora(grupos: Iterable[str], mensagem: dict[str, Any]) -> None:
    """Queue a raw group message now (callers already running after commit)."""
    _publicador.enviar(list(dict.fromkeys(grupos)), mensagem)


def aguardar_publicacoes(timeout: float = 5.0, *, restantes: int = 0) -> bool:
    """Block until at most ``restantes`` queued publications of this process have not
    reached the channel layer yet (0: all of them; tests, shutdown). True when that happened
    within ``timeout`` seconds."""
    return _publicador.aguardar(timeout, restantes)


publicar_agora_para_testes = aguardar_publicacoes


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
    def enviar(self, grupos: list[str], mensagem: dict[str, Any]) -> None:
        if not grupos or not self._garantir():
            return
        limite = int(ajuste("REALTIME_PUBLICAR_FILA_MAX"))
        with self._condicao:
            if self._pendentes >= limite:
                logger.warning(
                    "fila de publicação cheia (%s): %s descartado", limite, mensagem.get("evento")
                )
                return
            self._pendentes += 1
        try:
            self._loop.call_soon_threadsafe(self._fila.put_nowait, (grupos, mensagem))
        except RuntimeError:  # loop closed (interpreter shutting down)
            self._concluir()
            logger.warning("publicação %s perdida: loop encerrado", mensagem.get("evento"))

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

    def _concluir(self) -> None:
        with self._condicao:
            self._pendentes -= 1
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
            grupos, mensagem = await fila.get()
            try:
                await asyncio.wait_for(self._enviar_grupos(grupos, mensagem), _TEMPO_MAX_ENVIO)
            except _FORA_DO_AR as exc:  # Redis down: one line per interval
                aviso(
                    "redis",
                    "falha ao publicar %s: Redis indisponível",
                    mensagem.get("evento"),
                    exc=exc,
                )
            except Exception:  # the change is committed; a lost live frame is re-fetched
                logger.exception("falha ao publicar %s", mensagem.get("evento"))
            finally:
                self._concluir()

    async def _enviar_grupos(self, grupos: list[str], mensagem: dict[str, Any]) -> None:
        resultados = await asyncio.gather(
            *(self._camada.group_send(grupo, mensagem) for grupo in grupos),
            return_exceptions=True,
        )
        for grupo, resultado in zip(grupos, resultados, strict=True):
            if isinstance(resultado, _FORA_DO_AR):
                aviso(
                    "redis",
                    "falha ao publicar %s: Redis indisponível",
                    mensagem.get("evento"),
                    exc=resultado,
                )
            elif isinstance(resultado, BaseException):
                logger.error(
                    "falha ao publicar %s no grupo %s: %r", mensagem.get("evento"), grupo, resultado
                )


_publicador = _Publicador()

if hasattr(os, "register_at_fork"):
    # The child inherits the lock state and pending count but not the thread: start afresh.
    os.register_at_fork(after_in_child=_publicador._reiniciar)


@atexit.register
def _esvaziar_ao_sair() -> None:
    if _publicador._pid == os.getpid():
        _publicador.aguardar(2.0)
