"""Typing state of one socket: ``atendente_digitando`` / ``atendente_parou_digitar`` to the
others in the ticket's room, and "typing" shown to the customer where the channel supports it.

Only transitions are broadcast (a burst of ``digitando`` frames is one ``atendente_digitando``);
a state without a new ``digitando`` for REALTIME_DIGITANDO_EXPIRA_SEGUNDOS ends by itself with
``atendente_parou_digitar``.  The provider call is the Celery task ``canais.tasks.digitando``
(which debounces on its side too), queued at most once per REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS
per ticket while the agent keeps typing; a broker failure is logged and never reaches the agent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from channels.db import DatabaseSyncToAsync

from atendimento.realtime.ajustes import ajuste
from atendimento.realtime.grupos import grupo_ticket

if TYPE_CHECKING:
    from atendimento.realtime.consumers import AtendimentoConsumer

logger = logging.getLogger(__name__)


@dataclass
class _Estado:
    ate: float  # loop time at which the state expires
    provedor_em: float | None = None  # loop time of the last provider task queued
    vigia: asyncio.Task | None = field(default=None, repr=False)


class Digitacao:
    def __init__(self, consumer: AtendimentoConsumer) -> None:
        self._consumer = consumer
        self._estados: dict[str, _Estado] = {}

    async def digitando(self, ticket_id: str, *, avisar_cliente: bool) -> None:
        agora = asyncio.get_running_loop().time()
        ate = agora + ajuste("REALTIME_DIGITANDO_EXPIRA_SEGUNDOS")
        estado = self._estados.get(ticket_id)
        if estado is None:
            estado = self._estados[ticket_id] = _Estado(ate=ate)
            estado.vigia = self._consumer._tarefa(self._vigiar(ticket_id, estado))
            await self._anunciar(ticket_id, "atendente_digitando")
        else:
            estado.ate = ate
        intervalo = ajuste("REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS")
        if avisar_cliente and (
            estado.provedor_em is None or agora - estado.provedor_em >= intervalo
        ):
            estado.provedor_em = agora
            self._consumer._tarefa(_avisar_provedor(ticket_id))

    async def parar(self, ticket_id: str) -> None:
        estado = self._estados.pop(ticket_id, None)
        if estado is None:
            return
        if estado.vigia is not None:
            estado.vigia.cancel()
        await self._anunciar(ticket_id, "atendente_parou_digitar")

    async def parar_todas(self) -> None:
        for ticket_id in list(self._estados):
            await self.parar(ticket_id)

    async def _vigiar(self, ticket_id: str, estado: _Estado) -> None:
        loop = asyncio.get_running_loop()
        # each digitando pushes ``ate`` further: sleep again until it stops moving
        while (restante := estado.ate - loop.time()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(restante)
        if self._estados.get(ticket_id) is estado:
            del self._estados[ticket_id]
            await self._anunciar(ticket_id, "atendente_parou_digitar")

    async def _anunciar(self, ticket_id: str, evento: str) -> None:
        perfil = self._consumer.perfil
        dados = {"ticket_id": ticket_id, "atendente_id": perfil.atendente_id, "nome": perfil.nome}
        await self._consumer.enviar_grupo(grupo_ticket(ticket_id), evento, dados, ticket_id)


def _enfileirar_digitando(ticket_id: str) -> None:
    from canais.enfileirar import digitando

    digitando.delay(ticket_id)


async def _avisar_provedor(ticket_id: str) -> None:
    try:
        # Off the shared sync thread: a broker that is down may block .delay for a while.
        await DatabaseSyncToAsync(_enfileirar_digitando, thread_sensitive=False)(ticket_id)
    except Exception:
        logger.warning("indicador de digitação não enfileirado (%s)", ticket_id, exc_info=True)
