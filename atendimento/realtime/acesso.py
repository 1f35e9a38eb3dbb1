"""What a websocket may receive, decided per delivery without a database round trip.

A socket keeps its agent's :class:`Perfil` (empresa, role, queues).  Each published event
about a ticket carries a snapshot of the ticket's access keys (``publicar.retrato_ticket``:
empresa, queue, assignee) taken when it was published; :func:`perfil_ve_retrato` applies the
same rule as ``selectors.acesso.ticket_visivel`` to the pair.

The profile must reflect a revoked membership at once, so every change to an agent's access
(queue membership, role, active flag, user deactivation) bumps a per-agent version in Redis
after commit (``atendimento.realtime.sinais``) and tells the agent's sockets
(``acesso.alterado``); the consumer also compares that version before using its cached profile
on each delivery and reloads it from the database when it changed.  The versions a process's
sockets compare come from one per-process cache (:class:`VersoesAcesso`), not a GET per
delivery: every bump also increments one global counter, and before a socket uses the cache
for a message the cache has checked that counter (one GET, shared by every socket of the
process) *after* the message was taken from Redis — a change committed before the event was
published is therefore always seen, as with the GET per delivery.
Changes made with ``QuerySet.update()`` bypass the bump; the consumer's periodic refresh
(REALTIME_HEARTBEAT_SEGUNDOS) reloads the profile anyway.

Events published without a snapshot (only ``ticket_id``) fall back to a database check.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado
from atendimento.models import Atendente, Canal
from atendimento.realtime.conexoes import A_CADA_TICK
from atendimento.realtime.entrega import ANTES_DE_ENTREGAR
from atendimento.realtime.grupos import grupo_atendente
from atendimento.realtime.por_loop import um_por_loop
from atendimento.realtime.publicar import enviar_agora
from atendimento.realtime.redis import PREFIXO, cliente, cliente_sync
from atendimento.selectors.acesso import ticket_obter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Perfil:
    atendente_id: str
    empresa_id: str
    nome: str
    gerencia_empresa: bool
    filas: frozenset[str]
    idioma: str = ""  # the agent's stored language ("" = none chosen)


# ------------------------------------------------------------------ loading (sync, database)
def _perfil(atendente: Atendente) -> Perfil:
    filas = atendente.membros_fila.values_list("fila_id", flat=True)
    return Perfil(
        atendente_id=str(atendente.id),
        empresa_id=str(atendente.empresa_id),
        nome=atendente.nome,
        gerencia_empresa=atendente.gerencia_empresa,
        filas=frozenset(str(f) for f in filas),
        idioma=atendente.idioma,
    )


def carregar_perfil(*, usuario=None, atendente_id: str | None = None) -> tuple[Perfil | None, int]:
    """(profile, access version) of a logged-in user or of an agent; None for an anonymous
    user, a user without an active Atendente, or an inactive user.

    The version is read BEFORE the rows, so a change committed meanwhile is seen as a newer
    version on the next comparison and the profile is loaded again."""
    if atendente_id is None:
        if usuario is None or not usuario.is_authenticated:
            return None, 0
        atendente_id = (
            Atendente.objects.filter(usuario_id=usuario.pk).values_list("pk", flat=True).first()
        )
        if atendente_id is None:
            return None, 0
    try:
        versao = int(cliente_sync().get(_chave_versao(atendente_id)) or 0)
    except Exception:  # Redis down: force a reload at the next comparison
        logger.exception("versão de acesso indisponível")
        versao = -1
    atendente = (
        Atendente.objects.filter(pk=atendente_id, ativo=True, usuario__is_active=True)
        .select_related("usuario")
        .first()
    )
    return (_perfil(atendente) if atendente else None), versao


def ticket_para_sala(atendente_id: str, ticket_id: str) -> bool:
    """Check that the agent may see ``ticket_id`` (NaoEncontrado otherwise) and tell whether
    its channel can show "typing" to the customer."""
    atendente = Atendente.objects.filter(pk=atendente_id, ativo=True).first()
    if atendente is None:
        raise NaoEncontrado(_("Ticket não encontrado."))
    ticket = ticket_obter(atendente=atendente, ticket_id=ticket_id)
    tipo = Canal.objects.values_list("tipo", flat=True).get(pk=ticket.canal_id)
    return canal_suporta_digitando(tipo)


def canal_suporta_digitando(tipo: str) -> bool:
    """Whether queuing ``canais.tasks.digitando`` can show anything to the customer: the
    adapter's ``suporta_digitando`` flag when it declares one, else whether it overrides
    ``digitando`` at all (an override that only raises still costs one no-op task)."""
    from canais.adapters.base import AdaptadorCanal
    from canais.registry import TipoCanalDesconhecido, classe_adaptador

    try:
        classe = classe_adaptador(tipo)
    except TipoCanalDesconhecido:
        return False
    declarado = getattr(classe, "suporta_digitando", None)
    if isinstance(declarado, bool):
        return declarado
    return classe.digitando is not AdaptadorCanal.digitando


def atendente_ve_ticket(atendente_id: str, ticket_id: str) -> bool:
    """Database check for events published without a snapshot."""
    atendente = Atendente.objects.filter(pk=atendente_id, ativo=True).first()
    if atendente is None:
        return False
    try:
        ticket_obter(atendente=atendente, ticket_id=ticket_id)
    except NaoEncontrado:
        return False
    return True


# ------------------------------------------------------------------ the rule (pure)
def perfil_ve_retrato(perfil: Perfil, retrato: dict[str, Any]) -> bool:
    """Same rule as ``selectors.acesso.ticket_visivel``: the empresa for admins/supervisors;
    for an atendente, the tickets of their queues and those assigned to them."""
    if retrato.get("empresa") != perfil.empresa_id:
        return False
    if perfil.gerencia_empresa or retrato.get("atendente") == perfil.atendente_id:
        return True
    return retrato.get("fila") is not None and retrato["fila"] in perfil.filas


# ------------------------------------------------------------------ access versions (Redis)
def _chave_versao(atendente_id) -> str:
    return f"{PREFIXO}acesso:{atendente_id}"


#: incremented with every agent's version: "some access changed somewhere"
_CHAVE_GERAL = f"{PREFIXO}acesso-geral"


def acesso_alterado(atendente_id) -> None:
    """Bump the agent's access version after the current transaction commits."""
    chave = _chave_versao(atendente_id)

    def incrementar() -> None:
        try:
            with cliente_sync().pipeline(transaction=True) as pipe:
                pipe.incr(chave)
                pipe.incr(_CHAVE_GERAL)
                pipe.execute()
        except Exception:  # Redis down: sockets still refresh on their periodic reload
            logger.exception("não foi possível registrar a mudança de acesso de %s", chave)
            return
        # the agent's open sockets reload now (a queue added is joined at once)
        enviar_agora([grupo_atendente(atendente_id)], {"type": "acesso.alterado"})

    transaction.on_commit(incrementar)


async def versao_acesso(atendente_id: str) -> int:
    valor = await cliente().get(_chave_versao(atendente_id))
    return int(valor or 0)


class VersoesAcesso:
    """The access versions of the agents with sockets in this process, for one event loop.

    ``versao(atendente_id, recebido_em)`` answers for a message taken from Redis at monotonic
    time ``recebido_em``: if no check of the global counter started after that moment, one is
    made first (a single GET, shared by every socket waiting on it); when the counter moved,
    every cached version is re-read with one MGET.  An agent not cached yet costs one GET.
    Versions read in flight while a change is being noticed are not kept (``_epoca``)."""

    def __init__(self) -> None:
        self._versoes: dict[str, int] = {}
        self._geral: int | None = None
        self._epoca = 0
        self._validado_desde = float("-inf")  # start of the latest completed check
        self._checagem: tuple[float, asyncio.Task] | None = None

    async def versao(self, atendente_id: str, recebido_em: float) -> int:
        while self._validado_desde < recebido_em:  # usually checked already (``checar``)
            await self._checar(recebido_em)
        versao = self._versoes.get(atendente_id)
        if versao is None:
            epoca = self._epoca
            versao = int(await cliente().get(_chave_versao(atendente_id)) or 0)
            if epoca == self._epoca:
                self._versoes[atendente_id] = versao
        return versao

    def versao_pronta(self, atendente_id: str, recebido_em: float) -> int | None:
        """What :meth:`versao` would answer without waiting on Redis; None when it would
        have to (the cache was not checked after ``recebido_em``, or the agent is not cached)."""
        if self._validado_desde < recebido_em:
            return None
        return self._versoes.get(atendente_id)

    async def checar(self, recebido_em: float) -> None:
        """Make sure the cache was checked after ``recebido_em`` (the reader of the process
        calls it once per batch taken from Redis, before handing the batch out)."""
        while self._validado_desde < recebido_em:
            await self._checar(recebido_em)

    async def _checar(self, recebido_em: float) -> None:
        checagem = self._checagem
        if checagem is None or checagem[1].done() or checagem[0] < recebido_em:
            inicio = time.monotonic()
            tarefa = asyncio.get_running_loop().create_task(self._ler_geral(inicio))
            self._checagem = checagem = (inicio, tarefa)
        await asyncio.shield(checagem[1])

    async def _ler_geral(self, inicio: float) -> None:
        geral = int(await cliente().get(_CHAVE_GERAL) or 0)
        if geral != self._geral:
            self._epoca += 1
            ids = list(self._versoes)
            valores = await cliente().mget([_chave_versao(i) for i in ids]) if ids else []
            self._versoes = {i: int(v or 0) for i, v in zip(ids, valores, strict=True)}
            self._geral = geral
        self._validado_desde = max(self._validado_desde, inicio)


#: the access-version cache of the running event loop
versoes = um_por_loop(VersoesAcesso)


async def _checar_antes_de_entregar(recebido_em: float) -> None:
    await versoes().checar(recebido_em)


ANTES_DE_ENTREGAR.append(_checar_antes_de_entregar)
# the presence tick (every 1/10 of a heartbeat) keeps the cache checked for the heartbeats
A_CADA_TICK.append(_checar_antes_de_entregar)
