"""Helpers of the outbound tests: channels pointed at a local fake provider, a listener on the
real channel layer, and fixtures shared by ``tests/canais/test_envio_*.py`` and
``tests/atendimento/test_saida.py``."""

from __future__ import annotations

import uuid
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.utils import timezone

from atendimento.models import Mensagem
from atendimento.realtime.grupos import grupo_ticket
from atendimento.realtime.publicar import aguardar_publicacoes

from .factories import CanalFactory, ContatoFactory, MensagemFactory, TicketFactory

PNID = "106540352242922"
TOKEN_WA = "EAAtokendeteste"
TOKEN_TG = "123456:ABC-token-do-bot"
WAMID = "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"


def base_url(httpserver) -> str:
    return httpserver.url_for("").rstrip("/")


def canal_whatsapp_local(empresa, fila, httpserver, **extra):
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        config={
            "phone_number_id": PNID,
            "waba_id": "102290129340398",
            "api_version": "v23.0",
            "api_base_url": base_url(httpserver),
        },
        identificador=PNID,
        **extra,
    )


def canal_telegram_local(empresa, fila, httpserver, **extra):
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        telegram=True,
        config={"api_base_url": base_url(httpserver)},
        segredos={"bot_token": TOKEN_TG, "webhook_secret": "segredo-do-webhook"},
        **extra,
    )


def ticket_aberto(canal, fila, *, conversa: str, nome: str = "Maria Silva", **extra):
    telefone = conversa if conversa.isdigit() else ""
    contato = ContatoFactory(empresa=canal.empresa, nome=nome, telefone=telefone)
    campos = {"ultima_entrada_em": timezone.now() - timedelta(minutes=5), **extra}
    return TicketFactory(
        empresa=canal.empresa,
        canal=canal,
        fila=fila,
        contato=contato,
        conversa_id_externo=conversa,
        **campos,
    )


def saida_pendente(ticket, atendente, **extra) -> Mensagem:
    campos = {
        "direcao": Mensagem.Direcao.SAIDA,
        "remetente_tipo": Mensagem.Remetente.ATENDENTE,
        "atendente": atendente,
        "remetente_nome": atendente.nome,
        "status": Mensagem.Status.PENDENTE,
        "conteudo": "Olá! Como posso ajudar?",
        **extra,
    }
    return MensagemFactory(ticket=ticket, **campos)


def entrada(ticket, id_externo: str, **extra) -> Mensagem:
    return MensagemFactory(ticket=ticket, id_externo=id_externo, **extra)


def resposta_bot(chat_id: int, message_id: int) -> dict:
    return {
        "ok": True,
        "result": {
            "message_id": message_id,
            "date": 1700000000,
            "chat": {"id": chat_id, "type": "private"},
            "text": "ok",
        },
    }


class OuvinteEventos:
    """A channel of the real channel layer joined to the ticket's group.  ``recebidos()`` drains
    what arrived so far: it sends itself a marker and reads up to it, so an empty list proves
    that nothing was published (without waiting for a timeout)."""

    def __init__(self, *grupos: str) -> None:
        # publishing is asynchronous (a background thread): what was published before this
        # listener existed must be out before it joins, or it would see it
        assert aguardar_publicacoes(10)
        self.camada = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self.canal = f"saida-teste.{uuid.uuid4().hex}"
        self.grupos = grupos
        async_to_sync(self._entrar)()

    async def _entrar(self) -> None:
        for grupo in self.grupos:
            await self.camada.group_add(grupo, self.canal)

    @classmethod
    def do_ticket(cls, ticket) -> OuvinteEventos:
        return cls(grupo_ticket(ticket.id))

    async def _drenar(self, marca: str) -> list[tuple[str, dict]]:
        await self.camada.send(self.canal, {"type": "marca", "marca": marca})
        eventos: list[tuple[str, dict]] = []
        while True:
            quadro = await self.camada.receive(self.canal)
            if quadro.get("type") == "marca" and quadro.get("marca") == marca:
                return eventos
            eventos.append((quadro["evento"], quadro["dados"]))

    def recebidos(self) -> list[tuple[str, dict]]:
        assert aguardar_publicacoes(10)
        return async_to_sync(self._drenar)(str(uuid.uuid4()))

    def nomes(self) -> list[str]:
        return [nome for nome, _ in self.recebidos()]
