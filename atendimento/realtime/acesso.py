"""What a websocket may receive, decided per delivery without a database round trip.

A socket keeps its agent's :class:`Perfil` (empresa, role, queues).  Each published event
about a ticket carries a snapshot of the ticket's access keys (``publicar.retrato_ticket``:
empresa, queue, assignee) taken when it was published; :func:`perfil_ve_retrato` applies the
same rule as ``selectors.acesso.ticket_visivel`` to the pair.

The profile must reflect a revoked membership at once, so every change to an agent's access
(queue membership, role, active flag, user deactivation) bumps a per-agent version in Redis
after commit (``atendimento.realtime.sinais``) and tells the agent's sockets
(``acesso.alterado``); the consumer also compares that version (one Redis GET) before using
its cached profile on each delivery and reloads it from the database when it changed.
Changes made with ``QuerySet.update()`` bypass the bump; the consumer's periodic refresh
(REALTIME_HEARTBEAT_SEGUNDOS) reloads the profile anyway.

Events published without a snapshot (only ``ticket_id``) fall back to a database check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado
from atendimento.models import Atendente, Canal
from atendimento.realtime.grupos import grupo_atendente
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


# ------------------------------------------------------------------ loading (sync, database)
def _perfil(atendente: Atendente) -> Perfil:
    filas = atendente.membros_fila.values_list("fila_id", flat=True)
    return Perfil(
        atendente_id=str(atendente.id),
        empresa_id=str(atendente.empresa_id),
        nome=atendente.nome,
        gerencia_empresa=atendente.gerencia_empresa,
        filas=frozenset(str(f) for f in filas),
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


def acesso_alterado(atendente_id) -> None:
    """Bump the agent's access version after the current transaction commits."""
    chave = _chave_versao(atendente_id)

    def incrementar() -> None:
        try:
            cliente_sync().incr(chave)
        except Exception:  # Redis down: sockets still refresh on their periodic reload
            logger.exception("não foi possível registrar a mudança de acesso de %s", chave)
            return
        # the agent's open sockets reload now (a queue added is joined at once)
        enviar_agora([grupo_atendente(atendente_id)], {"type": "acesso.alterado"})

    transaction.on_commit(incrementar)


async def versao_acesso(atendente_id: str) -> int:
    valor = await cliente().get(_chave_versao(atendente_id))
    return int(valor or 0)
