"""The one publishing helper. Services call ``publicar(...)`` inside their transaction; the frame
goes out after commit (never for a rolled-back change), to the given Channels groups.

Frames are ``{"evento": <name>, "dados": {...}}`` (CONTRACT §6).  The consumer receiving a
group message re-checks that its user may still see the ticket before sending it on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def publicar(
    evento: str, dados: dict[str, Any], grupos: Iterable[str], *, ticket_id: str | None = None
) -> None:
    grupos = list(dict.fromkeys(grupos))
    mensagem = {
        "type": "evento.atendimento",
        "evento": evento,
        "dados": dados,
        "ticket_id": str(ticket_id) if ticket_id else None,
    }
    transaction.on_commit(lambda: _enviar(grupos, mensagem))


def _enviar(grupos: list[str], mensagem: dict[str, Any]) -> None:
    camada = get_channel_layer()
    if camada is None:
        return
    try:
        async_to_sync(_enviar_todos)(camada, grupos, mensagem)
    except Exception:  # the change is committed; a lost live frame is re-fetched by clients
        logger.exception("falha ao publicar %s", mensagem.get("evento"))


async def _enviar_todos(camada, grupos: list[str], mensagem: dict[str, Any]) -> None:
    for grupo in grupos:
        await camada.group_send(grupo, mensagem)
