"""A signed WhatsApp webhook posted over HTTP to a real daphne becomes ``nova_mensagem`` on an
agent's websocket, through the real Celery worker (process_webhook) and the real
publisher, every hop a separate process sharing PostgreSQL and Redis."""

from __future__ import annotations

import json

import httpx
import pytest

from atendimento.models import Mensagem, Ticket
from atendimento.realtime.eventos import dados_mensagem
from tests.canais.webhook_apoio import FIXTURES, assinar, canal_wa, url_webhook
from tests.processos import celery_worker, servidor_daphne

from .conftest import em_sync, socket_em

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integracao]

PNID = "106540352242922"  # metadata.phone_number_id of the fixture


async def test_webhook_assinado_vira_nova_mensagem_no_socket(empresa, fila, atendente):
    await em_sync(canal_wa, empresa, fila, pnid=PNID)
    corpo = (FIXTURES / "whatsapp" / "text_message_metadocs.json").read_bytes()
    with servidor_daphne() as base, celery_worker():
        async with socket_em(base, atendente) as socket:
            async with httpx.AsyncClient(base_url=base, timeout=15) as http:
                resposta = await http.post(
                    url_webhook("whatsapp", empresa.id),
                    content=corpo,
                    headers={
                        "Content-Type": "application/json",
                        "X-Hub-Signature-256": assinar(corpo),
                    },
                )
            assert resposta.status_code == 200

            novo_ticket = await socket.receber()
            nova_mensagem = await socket.receber()

    ticket = await em_sync(Ticket.objects.get)
    mensagem = await em_sync(Mensagem.objects.get)
    assert novo_ticket["evento"] == "novo_ticket"
    assert novo_ticket["dados"]["id"] == str(ticket.id)
    assert novo_ticket["dados"]["fila"] == str(fila.id)
    assert nova_mensagem == {
        "evento": "nova_mensagem",
        "dados": json.loads(json.dumps(dados_mensagem(mensagem))),
    }
    assert nova_mensagem["dados"]["conteudo"] == "Does it come in another color?"
