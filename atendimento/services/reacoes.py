"""Reactions to committed inbound messages: the one extension point of the inbound path.

Features that act on what a customer wrote (AI analysis, auto-distribution, notifications,
out-of-hours replies, first-contact menus) register a function here instead of adding calls to
the inbound orchestrator. The orchestrator — one message at a time or a whole batch — calls
:func:`apos_entrada` once, **after** its transaction commits, with every newly stored customer
message of that commit. A reaction must be quick (queue a task, run one short transaction);
one that raises is logged and the others still run: ingest never fails because of a reaction.

Register in an ``AppConfig.ready``::

    from atendimento.services.reacoes import reagir_a_entrada

    @reagir_a_entrada
    def _analisar(entradas: list[EntradaConfirmada]) -> None: ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerIndisponivel
from redis.exceptions import ConnectionError as RedisIndisponivel
from redis.exceptions import TimeoutError as RedisLento

from conectcrm.avisos import AvisoLimitado

logger = logging.getLogger(__name__)
#: while Redis is down every batch's reactions fail the same way: one line per interval
aviso = AvisoLimitado(logger)
FORA_DO_AR = (BrokerIndisponivel, RedisIndisponivel, RedisLento)


@dataclass(frozen=True, slots=True)
class EntradaConfirmada:
    """A customer message that is now durably stored (and the ticket it went to)."""

    empresa_id: UUID
    ticket_id: UUID
    mensagem_id: UUID
    canal_id: UUID
    contato_id: UUID
    #: the ticket was opened (or reopened) by this message
    ticket_novo: bool


#: canal_id -> tipo (a channel's type never changes): reactions that concern one kind of
#: channel cost no query for the other channels' messages once their channel was seen
_TIPOS: dict = {}


def tipos_dos_canais(canal_ids: set) -> dict:
    """``{canal_id: tipo}`` of ``canal_ids`` (one query for the ids this process never saw)."""
    desconhecidos = canal_ids - _TIPOS.keys()
    if desconhecidos:
        from atendimento.models import Canal

        if len(_TIPOS) > 10_000:
            _TIPOS.clear()
        _TIPOS.update(Canal.objects.filter(pk__in=desconhecidos).values_list("pk", "tipo"))
    return {c: _TIPOS.get(c) for c in canal_ids}


Reacao = Callable[[list[EntradaConfirmada]], None]
_REACOES: list[Reacao] = []


def reagir_a_entrada(reacao: Reacao) -> Reacao:
    """Register ``reacao`` (idempotent: registering the same function twice keeps one)."""
    if reacao not in _REACOES:
        _REACOES.append(reacao)
    return reacao


def reacoes() -> tuple[Reacao, ...]:
    return tuple(_REACOES)


def apos_entrada(entradas: Sequence[EntradaConfirmada]) -> None:
    """Run every registered reaction on ``entradas`` (call after commit)."""
    lista = list(entradas)
    if not lista:
        return
    for reacao in _REACOES:
        try:
            reacao(lista)
        except FORA_DO_AR as exc:
            aviso(
                reacao.__qualname__,
                "reaction %s skipped: Redis unreachable",
                reacao.__qualname__,
                exc=exc,
            )
        except Exception:
            logger.exception("reaction %s failed (%d messages)", reacao.__qualname__, len(lista))


#: the messages collected by an open :func:`em_lote` block (None outside one)
_LOTE: ContextVar[list[EntradaConfirmada] | None] = ContextVar("reacoes_lote", default=None)


@contextmanager
def em_lote() -> Iterator[list[EntradaConfirmada]]:
    """A batch of inbound events in one transaction: inside the block
    :func:`agendar_apos_commit` collects, and when the block ends without an error ONE
    :func:`apos_entrada` is scheduled with everything collected (in order)."""
    coletadas: list[EntradaConfirmada] = []
    marca = _LOTE.set(coletadas)
    try:
        yield coletadas
    finally:
        _LOTE.reset(marca)
    agendar_apos_commit(coletadas)


def agendar_apos_commit(entradas: Sequence[EntradaConfirmada]) -> None:
    """Schedule :func:`apos_entrada` for when the current transaction commits (inside
    :func:`em_lote`: add to the batch's single call)."""
    lote = _LOTE.get()
    if lote is not None:
        lote.extend(entradas)
        return
    if entradas and _REACOES:
        lista = list(entradas)
        transaction.on_commit(lambda: apos_entrada(lista))
