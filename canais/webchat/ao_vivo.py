"""Live delivery to a visitor's browser: one channel-layer group per (channel, visitor), which
only that visitor's socket joins."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from atendimento.realtime.publicar import enviar_agora

TIPO = "webchat.evento"


def grupo_visitante(chave_publica: str, visitante_id: str) -> str:
    # group names: ASCII letters, digits, hyphens, periods; under 100 characters
    resumo = hashlib.sha256(f"{chave_publica}:{visitante_id}".encode()).hexdigest()[:40]
    return f"webchat.{resumo}"


def enviar_ao_visitante(chave_publica: str, visitante_id: str, evento: str, dados: dict[str, Any]):
    enviar_agora(
        [grupo_visitante(chave_publica, visitante_id)],
        {"type": TIPO, "id": uuid.uuid4().hex, "evento": evento, "dados": dados},
    )
