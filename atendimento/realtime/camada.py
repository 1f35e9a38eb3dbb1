"""The Channels layer of the desk: channels-redis' ``RedisChannelLayer`` with two additions.

**Many group messages in one round trip** (``group_send_lote``).  channels-redis' own
``group_send`` costs three round trips per group (purge + read the members, purge the
channel keys, the insert script); a batch of inbound events published to 3-4 groups each
paid that for every event.  ``group_send_lote`` sends a whole list of ``(grupos, mensagem)``
with ONE Lua script call: the script reads each group's members once, builds the message of
each receiving process (channels-redis' ``__asgi_channel__`` list of its local channels) and
inserts it, with channels-redis' capacity and expiry rules, into the same keys and the same
serialized format its receivers read.  ``group_send`` goes through the same script.

**A sequence number per group.**  Every message sent to a group through this layer carries
``grupo`` (the group's name) and ``seq`` (a per-group counter incremented in the same script,
so the numbers follow the order in which messages enter Redis).  channels-redis drops messages
without telling anyone — a process's key over ``capacity`` (logged at INFO) or, more often, a
socket that does not read fast enough: its in-process buffer keeps only the newest
``capacity`` messages.  A receiver seeing a hole in a group's numbers knows it missed
something (``atendimento/realtime/sequencia.py``); the consumer then tells its client to
re-fetch (``ressincronizar``, docs/realtime.md).  Over-capacity inserts are also counted and
logged here as a WARNING.

**One member per process, in-memory fan-out** (``atendimento/realtime/entrega.py``).  A
process-local channel (a socket) joining a group makes the *process* a member of it in Redis
(once, however many of its sockets join); the process reads its messages with one task and
hands each one to the buffers of its local sockets of the message's group.  Redis work per
group message is one insert per receiving process; the per-socket work is a queue put.

The script path needs one Redis host (no sharding), no encryption and no per-channel capacity
patterns; any other configuration falls back to channels-redis' ``group_send`` per group
(without sequence numbers) and its own per-socket membership and receive.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgpack
from channels_redis.core import RedisChannelLayer

from atendimento.realtime.entrega import EntregaLocal, esperar_mensagem

logger = logging.getLogger(__name__)

#: KEYS: the group keys, then their sequence keys.  ARGV: now, group_expiry, expiry, capacity,
#: channel key prefix, seq key lifetime, 8 random bytes, then (group number, message head)
#: pairs.  A head is the serialized message up to the ``seq`` key; the script appends
#: ``seq``'s value and ``__asgi_channel__`` (the receiving process's local channels).
_SCRIPT = """
local now = tonumber(ARGV[1])
local group_expiry = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local prefix = ARGV[5]
local seq_ttl = tonumber(ARGV[6])
local rand = ARGV[7]
local ngroups = #KEYS / 2
local t = redis.call('TIME')
local base = tonumber(t[1]) + tonumber(t[2]) / 1000000
local targets = {}
local purged = {}
local function targets_of(g)
  local found = targets[g]
  if found then return found end
  redis.call('ZREMRANGEBYSCORE', KEYS[g], 0, now - group_expiry)
  local by_key, order = {}, {}
  for _, channel in ipairs(redis.call('ZRANGE', KEYS[g], 0, -1)) do
    local bang = string.find(channel, '!', 1, true)
    local key = prefix .. (bang and string.sub(channel, 1, bang) or channel)
    if not by_key[key] then
      by_key[key] = {}
      order[#order + 1] = key
    end
    table.insert(by_key[key], channel)
  end
  found = {}
  for _, key in ipairs(order) do
    if not purged[key] then
      redis.call('ZREMRANGEBYSCORE', key, 0, now - expiry)
      purged[key] = true
    end
    found[#found + 1] = {key, cmsgpack.pack(by_key[key])}
  end
  targets[g] = found
  return found
end
local asgi = cmsgpack.pack('__asgi_channel__')
local n, full = 0, 0
for i = 8, #ARGV, 2 do
  local g = tonumber(ARGV[i])
  local seq = redis.call('INCR', KEYS[ngroups + g])
  redis.call('EXPIRE', KEYS[ngroups + g], seq_ttl)
  local head = ARGV[i + 1] .. cmsgpack.pack(seq) .. asgi
  for _, target in ipairs(targets_of(g)) do
    n = n + 1
    if redis.call('ZCOUNT', target[1], '-inf', '+inf') < capacity then
      local tag = string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
                              math.floor(n / 256) % 256, n % 256)
      redis.call('ZADD', target[1], base + n * 0.000001, rand .. tag .. head .. target[2])
      redis.call('EXPIRE', target[1], expiry)
    else
      full = full + 1
    end
  end
end
return full
"""

#: what ends a message packed with ``seq`` and ``__asgi_channel__`` last, both None
_CAUDA = b"\xc0" + msgpack.packb("__asgi_channel__") + b"\xc0"
#: keys this layer writes into every group message
_RESERVADAS = frozenset({"__asgi_channel__", "grupo", "seq"})
#: sequence counters outlive the group's membership entries (a reset reads as "new baseline")
_SEQ_TTL_FATOR = 24


class CamadaRedis(RedisChannelLayer):
    """``RedisChannelLayer`` + ``group_send_lote`` and per-group sequence numbers."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        serializer = self._serializer
        self._por_script = (
            self.ring_size == 1
            and not self.channel_capacity
            and getattr(serializer, "crypter", None) is None
            and getattr(serializer, "random_prefix_length", None) == 12
            and getattr(serializer, "as_bytes", None) is msgpack.packb
        )
        self._scripts: dict[int, Any] = {}  # per event loop (a connection cannot cross loops)
        #: this process's member name in groups (channels-redis' key of its local channels)
        self.membro_processo = f"specific.{self.client_prefix}!"
        self._entrega: EntregaLocal | None = None  # of the event loop that receives

    @property
    def envia_sequencias(self) -> bool:
        """Whether group messages carry ``grupo``/``seq`` (the script path is in use)."""
        return self._por_script

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self.group_send_lote([((group,), message)])

    async def group_send_lote(self, envios: Sequence[tuple[Iterable[str], dict[str, Any]]]) -> int:
        """Send each message to each of its groups, in order, in one round trip.  Returns how
        many process deliveries were refused because a receiving key was over capacity."""
        envios = [(list(grupos), mensagem) for grupos, mensagem in envios]
        for grupos, mensagem in envios:
            if not isinstance(mensagem, dict) or _RESERVADAS & mensagem.keys():
                raise ValueError(f"mensagem inválida para um grupo: {sorted(mensagem)!r}")
            for grupo in grupos:
                self.require_valid_group_name(grupo)  # raises TypeError on a bad name
        if not self._por_script:
            for grupos, mensagem in envios:
                for grupo in grupos:
                    await super().group_send(grupo, mensagem)
            return 0
        indices: dict[str, int] = {}
        argumentos: list[Any] = []
        for grupos, mensagem in envios:
            for grupo in grupos:
                numero = indices.setdefault(grupo, len(indices) + 1)
                argumentos += [numero, _cabeca(mensagem, grupo)]
        if not argumentos:
            return 0
        chaves = [self._group_key(g) for g in indices] + [self._chave_seq(g) for g in indices]
        cheios = await self._script()(
            keys=chaves,
            args=[
                time.time(),
                self.group_expiry,
                int(self.expiry),
                self.capacity,
                self.prefix,
                int(self.group_expiry) * _SEQ_TTL_FATOR,
                os.urandom(8),
                *argumentos,
            ],
        )
        if cheios:
            logger.warning(
                "%s entregas recusadas: processo receptor acima da capacidade (%s mensagens); "
                "os sockets afetados verão a lacuna e ressincronizarão",
                cheios,
                self.capacity,
            )
        return int(cheios)

    # ------------------------------------------------------------ process-level membership
    def _local(self, canal: str) -> bool:
        return self._por_script and canal.startswith(self.membro_processo)

    def entrega(self) -> EntregaLocal:
        """The local delivery state, bound to the running event loop (moved to it when the
        loop that had it stopped; two live loops receiving at once is an error, as in
        channels-redis)."""
        loop = asyncio.get_running_loop()
        entrega = self._entrega
        if entrega is None:
            entrega = self._entrega = EntregaLocal(
                loop=loop,
                membro=self.membro_processo,
                capacidade=self.capacity,
                conexao=lambda: self.connection(0),
                chave=self.prefix + self.membro_processo,
                desserializar=self.deserialize,
                gravar=self._gravar_membros,
            )
        elif entrega.loop is not loop:
            if entrega.lendo and entrega.loop.is_running():
                raise RuntimeError("Two event loops are trying to receive() on one channel layer!")
            entrega.trocar_loop(loop)
        return entrega

    @property
    def recebido_em(self) -> float | None:
        """Monotonic time at which this process last took messages from Redis (None when this
        layer does not deliver in memory): every message a local socket handles now was taken
        at or before it."""
        if not self._por_script:
            return None
        entrega = self._entrega
        return entrega.recebido_em if entrega is not None else float("-inf")

    async def group_add(self, group: str, channel: str) -> None:
        if not self._local(channel):
            await super().group_add(group, channel)
            return
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        if self.entrega().entrar(group, channel):
            await self._gravar_membro(group)

    async def group_discard(self, group: str, channel: str) -> None:
        if not self._local(channel):
            await super().group_discard(group, channel)
            return
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        entrega = self.entrega()
        if entrega.sair(group, channel):
            await self.connection(0).zrem(self._group_key(group), self.membro_processo)
            if entrega.grupos.get(group):  # a socket joined while the removal was on its way
                await self._gravar_membro(group)
        if not entrega.grupos and not entrega.buffers:
            entrega.parar()

    async def _gravar_membro(self, group: str) -> None:
        await self._gravar_membros([group])

    async def _gravar_membros(self, grupos: list[str]) -> None:
        """The process's member (re)written into ``grupos``, in one round trip."""
        agora = time.time()
        async with self.connection(0).pipeline(transaction=False) as pipe:
            for grupo in grupos:
                chave = self._group_key(grupo)
                pipe.zadd(chave, {self.membro_processo: agora})
                pipe.expire(chave, self.group_expiry)
            await pipe.execute()

    def receber_direto(self, canal: str, receptor: Callable[[dict[str, Any]], bool]) -> bool:
        """Offer ``canal``'s messages to ``receptor`` before its buffer (``entrega``: a True
        answer means handled).  False when this configuration does not deliver in memory."""
        if not self._local(canal):
            return False
        self.require_valid_channel_name(canal)
        self.entrega().receptores[canal] = receptor
        return True

    def parar_direto(self, canal: str) -> None:
        if self._entrega is not None:
            self._entrega.receptores.pop(canal, None)

    async def receive(self, channel: str) -> dict[str, Any]:
        if not self._local(channel):
            return await super().receive(channel)
        self.require_valid_channel_name(channel)
        return await esperar_mensagem(self.entrega(), channel)

    async def close_pools(self) -> None:
        if self._entrega is not None:
            self._entrega.parar()
        await super().close_pools()

    def _chave_seq(self, grupo: str) -> bytes:
        return f"{self.prefix}:seq:{grupo}".encode()

    def _script(self):
        """The registered script for the connection of the running loop (EVALSHA, EVAL once)."""
        conexao = self.connection(0)
        script = self._scripts.get(id(conexao))
        if script is None:
            script = conexao.register_script(_SCRIPT)
            self._scripts = {id(conexao): script}
        return script


def _cabeca(mensagem: dict[str, Any], grupo: str) -> bytes:
    """``mensagem`` + ``grupo`` serialized up to the ``seq`` key (the script adds the rest)."""
    completo = msgpack.packb({**mensagem, "grupo": grupo, "seq": None, "__asgi_channel__": None})
    return completo[: -len(_CAUDA)]
