"""``ws://<host>/ws/webchat/<chave>/?token=<visitor token>``: the visitor's live wire.

The socket joins only its own visitor's group (a token names exactly one visitor of one
channel), so it can never receive another visitor's conversation. Server → visitor frames:
``mensagem`` (an agent's answer), ``digitando`` (an agent is typing), ``lida``. Visitor →
server: ``digitando`` / ``parou_digitar``, shown to the agents of the visitor's open ticket.
Messages themselves are posted to the channel's webhook URL (stored before acknowledged).
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from atendimento.realtime.grupos import grupo_ticket
from atendimento.realtime.publicar import TIPO_MENSAGEM
from canais.webchat import conversa, tokens
from canais.webchat.ao_vivo import grupo_visitante

FECHAR_NAO_AUTENTICADO = 4401
EVENTOS_DIGITACAO = {"digitando": "contato_digitando", "parou_digitar": "contato_parou_digitar"}
INTERVALO_DIGITACAO = 2.0  # seconds between two typing frames relayed to the agents


class VisitanteConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        chave = self.scope["url_route"]["kwargs"]["chave"]
        consulta = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        token = (consulta.get("token") or [""])[-1]
        self.canal = await database_sync_to_async(conversa.canal_da_chave)(chave)
        self.visitante = tokens.visitante_do_token(chave, token) if self.canal else None
        if self.visitante is None:
            await self.close(code=FECHAR_NAO_AUTENTICADO)
            return
        self.grupo = grupo_visitante(chave, self.visitante.id)
        self._ultimo_digitando = 0.0
        await self.channel_layer.group_add(self.grupo, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if getattr(self, "grupo", None):
            await self.channel_layer.group_discard(self.grupo, self.channel_name)

    async def receive_json(self, conteudo, **kwargs) -> None:
        evento = conteudo.get("evento") if isinstance(conteudo, dict) else None
        if evento not in EVENTOS_DIGITACAO:
            await self.send_json({"evento": "erro", "dados": {"detail": "Evento desconhecido."}})
            return
        agora = time.monotonic()
        if evento == "digitando" and agora - self._ultimo_digitando < INTERVALO_DIGITACAO:
            return
        self._ultimo_digitando = agora if evento == "digitando" else 0.0
        ticket = await database_sync_to_async(conversa.ticket_aberto)(self.canal, self.visitante.id)
        if ticket is None:
            return
        await self.channel_layer.group_send(
            grupo_ticket(ticket.pk),
            {
                "type": TIPO_MENSAGEM,
                "id": uuid.uuid4().hex,
                "evento": EVENTOS_DIGITACAO[evento],
                "dados": {"ticket_id": str(ticket.pk), "nome": ticket_nome(self.visitante)},
                "ticket_id": str(ticket.pk),
                "acesso": None,
            },
        )

    async def webchat_evento(self, mensagem: dict) -> None:
        await self.send_json({"evento": mensagem["evento"], "dados": mensagem.get("dados") or {}})


def ticket_nome(visitante) -> str:
    return visitante.nome or "Visitante"
