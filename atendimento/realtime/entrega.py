"""Delivery inside one server process: the process is ONE member of each group its sockets are
in, reads its messages from Redis with one reader task, and hands each message to its local
sockets in memory (``camada.CamadaRedis`` uses it).

channels-redis makes every socket a member of its groups in Redis and lets every socket's
``receive()`` compete for the process's messages (a lock, two tasks and an ``asyncio.wait``
per socket per message, four round trips per message popped).  With 2,000 sockets in a
process that per-socket machinery, not Redis, was the cost of a fan-out (bench/README.md,
``fanout.py``).  Here:

* **membership**: a group's Redis sorted set holds the process's member name
  (``specific.<process prefix>!``) once, however many local sockets joined; which local sockets
  are in which group is a dict in memory.  The member is written when a socket joins, rewritten
  every ``RENOVAR_SEGUNDOS`` by one task of the process for all its groups at once (pipelines
  of ``_POR_PIPELINE``: a Redis that lost its data gets it back as fast as before, and a
  socket's heartbeat re-add costs no round trip), and removed when the last local socket
  leaves.
* **reading**: one task per process pops the process's messages in batches (``ZPOPMIN`` with a
  count, blocking ``BZPOPMIN`` when idle) and puts each message — the same dict, decoded once —
  in the buffer of each local socket of the message's ``grupo``.  It pops only while some
  local ``receive()`` waits on an empty buffer, so what nobody waits for stays in Redis.
* **direct delivery**: a socket may register a synchronous receptor (``receber_direto``); a
  message for it while its buffer is empty goes to the receptor first, which handles it in the
  reader's own step (the consumer writes its frame at once, ``conectcrm/protocolo_ws.py``) or
  declines (the message then goes to the buffer as usual).  Nothing overtakes a buffered
  message: a socket with anything buffered gets the buffer.
* **slow sockets**: a socket's buffer keeps at most ``capacity`` messages; past that the oldest
  is dropped (counted and logged here, once per interval).  The socket sees the hole in the
  group's sequence numbers and tells its client to ``ressincronizar`` — never a silent drop.

Redis work per group publication is therefore one insert per receiving process, and nothing
in Redis depends on how many sockets a process holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from conectcrm.avisos import AvisoLimitado

logger = logging.getLogger(__name__)
aviso = AvisoLimitado(logger)

#: seconds between two rewrites of the process's membership of a group on heartbeat re-adds
RENOVAR_SEGUNDOS = 30.0
#: ticks of the membership renewal per ``RENOVAR_SEGUNDOS``
_FATIAS = 10
#: group memberships rewritten per pipeline at most
_POR_PIPELINE = 250
#: messages popped per round trip at most
LOTE = 256
#: coroutines run by the reader after taking a batch from Redis and before handing it out,
#: with the time it was taken (``acesso`` checks its per-process version cache there, so the
#: sockets of the batch find it checked instead of each waiting for the check)
ANTES_DE_ENTREGAR: list[Callable[[float], Awaitable[None]]] = []
#: at most this long of a batch's hand-out in one step of the event loop (direct deliveries
#: write frames in the reader's step; other tasks of the process run between steps)
PASSO_SEGUNDOS = 0.02
#: seconds an idle reader's blocking pop lasts.  Short on purpose: redis-py 8 sometimes swallows
#: a cancellation that arrives while a command is being sent (the reader checks after every
#: call), so a stopping reader may still finish one blocking pop first.
ESPERA_SEGUNDOS = 1.0


class Buffer(asyncio.Queue):
    """A socket's buffer: keeps the newest ``maxsize`` messages; over that the oldest goes."""

    def colocar(self, item: Any) -> bool:
        """Put ``item``; False when the oldest message had to be dropped for it."""
        descartou = False
        if self.full():
            self.get_nowait()
            descartou = True
        self.put_nowait(item)
        return not descartou


class EntregaLocal:
    """Local groups, buffers and the reader task of one process.  Membership outlives an event
    loop (sync code may join in one loop and receive in the next); buffers and the reader
    belong to the loop that receives (``trocar_loop``)."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        membro: str,
        capacidade: int,
        conexao: Callable[[], Any],
        chave: bytes | str,
        desserializar: Callable[[bytes], dict[str, Any]],
        gravar: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self.loop = loop
        self.membro = membro  # the process's member name in groups: "specific.<prefix>!"
        self.capacidade = capacidade
        self._conexao = conexao  # the layer's Redis client of this loop
        self._chave = chave  # the process's message key
        self._desserializar = desserializar
        self._gravar = gravar  # writes the process's member into the given groups
        self._renovador: asyncio.Task | None = None
        self.grupos: dict[str, set[str]] = {}  # group -> local channels
        self._canais: dict[str, set[str]] = {}  # local channel -> its groups
        self._renovado: dict[str, float] = {}  # group -> when its member was last written
        self.buffers: dict[str, Buffer] = {}
        self._esperando: dict[str, int] = {}  # local channel -> receive() calls waiting
        #: local channel -> synchronous receptor: True when it handled the message itself
        self.receptores: dict[str, Callable[[dict[str, Any]], bool]] = {}
        self.diretas = 0  # deliveries handled by a receptor (no buffer, no task switch)
        self._leitor: asyncio.Task | None = None
        #: monotonic time at which the latest batch was taken from Redis; every message a
        #: socket handles was taken at or before it (``acesso.VersoesAcesso`` orders on it)
        self.recebido_em = float("-inf")
        self.descartes = 0  # messages dropped from full socket buffers (slow sockets)

    def trocar_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Receive in ``loop`` from now on: the old loop's reader stops and what its buffers
        held moves to new ones (a queue cannot cross loops; a batch may have been taken)."""
        self.parar()
        self.loop = loop
        antigos, self.buffers = self.buffers, {}
        for canal, antigo in antigos.items():
            novo = self.buffer(canal)
            while not antigo.empty():
                novo.colocar(antigo.get_nowait())
        self.recebido_em = float("-inf")

    # ------------------------------------------------------------------ membership
    def entrar(self, grupo: str, canal: str) -> bool:
        """Note ``canal`` in ``grupo``; True when the process's member must be written now (the
        socket is new in the group; later re-adds leave it to the renewal task)."""
        membros = self.grupos.setdefault(grupo, set())
        novo = canal not in membros
        membros.add(canal)
        self._canais.setdefault(canal, set()).add(grupo)
        self._garantir_renovador()
        if novo:
            self._renovado[grupo] = time.monotonic()
        return novo

    def _garantir_renovador(self) -> None:
        tarefa, loop = self._renovador, asyncio.get_running_loop()
        if tarefa is None or tarefa.done() or tarefa.get_loop() is not loop:
            self._renovador = loop.create_task(self._renovar())

    async def _renovar(self) -> None:
        """Rewrite the process's member in every group it has not written for
        ``RENOVAR_SEGUNDOS``, a pipeline per ``_POR_PIPELINE`` groups, until no group is left."""
        while self.grupos:
            await asyncio.sleep(RENOVAR_SEGUNDOS / _FATIAS)
            agora = time.monotonic()
            vencidos = [
                g
                for g in self.grupos
                if agora - self._renovado.get(g, float("-inf")) >= RENOVAR_SEGUNDOS
            ]
            for i in range(0, len(vencidos), _POR_PIPELINE):
                lote = vencidos[i : i + _POR_PIPELINE]
                try:
                    await self._gravar(lote)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # Redis away: the next tick retries; one line per interval
                    _se_cancelado()
                    aviso("renovar", "entrega local: renovação dos grupos falhou", exc=exc)
                    break
                for grupo in lote:
                    if grupo in self.grupos:
                        self._renovado[grupo] = agora

    def sair(self, grupo: str, canal: str) -> bool:
        """Forget ``canal`` in ``grupo``; True when no local socket is left in it."""
        membros = self.grupos.get(grupo)
        if membros is not None:
            membros.discard(canal)
        grupos = self._canais.get(canal)
        if grupos is not None:
            grupos.discard(grupo)
            if not grupos:
                del self._canais[canal]
        if membros:
            return False
        self.grupos.pop(grupo, None)
        self._renovado.pop(grupo, None)
        return True

    def esquecer_canal(self, canal: str) -> list[str]:
        """A socket is gone: leave all its groups; the groups left without local sockets."""
        self.buffers.pop(canal, None)
        self.receptores.pop(canal, None)
        return [g for g in list(self._canais.get(canal, ())) if self.sair(g, canal)]

    # ------------------------------------------------------------------ receiving
    def buffer(self, canal: str) -> Buffer:
        buffer = self.buffers.get(canal)
        if buffer is None:
            buffer = self.buffers[canal] = Buffer(self.capacidade)
        return buffer

    def garantir_leitor(self) -> None:
        if self._leitor is None or self._leitor.done():
            self._leitor = self.loop.create_task(self._ler())

    def parar(self) -> None:
        if self._leitor is not None:
            self._leitor.cancel()
            self._leitor = None
        if self._renovador is not None:
            self._renovador.cancel()
            self._renovador = None

    @property
    def lendo(self) -> bool:
        return self._leitor is not None and not self._leitor.done()

    def _ha_demanda(self) -> bool:
        """Whether some local ``receive()`` waits on an empty buffer.  The reader stops when
        none does (what is not popped stays in Redis, under the process key's capacity), so
        a loop that ends never takes messages with it."""
        return any(not self.buffers[c].qsize() for c in self._esperando if c in self.buffers)

    async def _ler(self) -> None:
        while self._ha_demanda():
            try:
                itens = await self._tirar()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:  # Redis away: retry, one line per interval
                _se_cancelado()
                aviso("leitor", "entrega local: Redis indisponível", exc=exc)
                await asyncio.sleep(1)
                continue
            if itens:
                self.recebido_em = recebido_em = time.monotonic()
                for gancho in ANTES_DE_ENTREGAR:
                    try:
                        await gancho(recebido_em)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # each socket then checks for itself
                        aviso("gancho", "entrega local: verificação prévia falhou", exc=exc)
                cancelado = False
                pausa = time.monotonic() + PASSO_SEGUNDOS
                for conteudo in itens:
                    try:
                        mensagem = self._desserializar(conteudo)
                    except Exception:
                        logger.exception("entrega local: mensagem ilegível descartada")
                        continue
                    self.distribuir(mensagem.pop("__asgi_channel__", None), mensagem)
                    if not cancelado and time.monotonic() >= pausa:
                        # direct deliveries write in this step: let the loop breathe
                        try:
                            await asyncio.sleep(0)
                        except asyncio.CancelledError:
                            cancelado = True  # the rest of the batch is handed out first
                        pausa = time.monotonic() + PASSO_SEGUNDOS
                if cancelado:
                    raise asyncio.CancelledError
            _se_cancelado()  # only now: what was taken is in the buffers

    async def _tirar(self) -> list[bytes]:
        """Up to ``LOTE`` messages of the process: one round trip when some are waiting,
        a blocking pop when none is."""
        conexao = self._conexao()
        itens = await conexao.zpopmin(self._chave, LOTE)
        if itens:
            return [item[0] for item in itens]
        _se_cancelado()
        resultado = await conexao.bzpopmin(self._chave, timeout=ESPERA_SEGUNDOS)
        if resultado is None:
            return []
        return [resultado[1]]

    def distribuir(self, destino: str | list[str] | None, mensagem: dict[str, Any]) -> None:
        """Hand ``mensagem`` to its local sockets: those of its group when the process's member
        is among the destinations, and any socket named directly."""
        if destino is None:
            return
        if isinstance(destino, str):
            destino = [destino]
        alvos: set[str] = set()
        for canal in destino:
            if canal == self.membro:
                alvos.update(self.grupos.get(mensagem.get("grupo"), ()))
            else:
                alvos.add(canal)
        perdidas = 0
        buffers, receptores = self.buffers, self.receptores
        for canal in alvos:
            buffer = buffers.get(canal)
            receptor = receptores.get(canal)
            if receptor is not None and (buffer is None or not buffer.qsize()):
                try:
                    if receptor(mensagem):
                        self.diretas += 1
                        continue
                except Exception:  # the ordinary path handles it (and reports its own errors)
                    logger.exception("entrega local: receptor direto de %s falhou", canal)
            if not self.buffer(canal).colocar(mensagem):
                perdidas += 1
        if perdidas:
            self.descartes += perdidas
            aviso(
                "cheio",
                "entrega local: %s mensagens descartadas de sockets lentos (buffer de %s); "
                "eles verão a lacuna e ressincronizarão (total %s)",
                perdidas,
                self.capacidade,
                self.descartes,
            )


def _se_cancelado() -> None:
    """Raise the cancellation of the current task if a Redis call swallowed it."""
    tarefa = asyncio.current_task()
    if tarefa is not None and tarefa.cancelling():
        raise asyncio.CancelledError


async def esperar_mensagem(entrega: EntregaLocal, canal: str) -> dict[str, Any]:
    """The next message of local ``canal`` (the reader fills its buffer).  A cancelled wait
    that leaves an empty buffer drops it (the socket is gone; its groups are left by the
    caller)."""
    buffer = entrega.buffer(canal)
    esperando = entrega._esperando
    esperando[canal] = esperando.get(canal, 0) + 1
    try:
        if buffer.empty():
            entrega.garantir_leitor()
        return await buffer.get()
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            if entrega.buffers.get(canal) is buffer and buffer.empty():
                del entrega.buffers[canal]
        raise
    finally:
        restantes = esperando.get(canal, 1) - 1
        if restantes > 0:
            esperando[canal] = restantes
        else:
            esperando.pop(canal, None)
