"""Two real daphne processes sharing Redis: what happens on one reaches sockets on the other
(how the desk scales past one process or machine), through real websocket clients."""

from __future__ import annotations

import json

import pytest

from atendimento.models import Atendente
from atendimento.realtime.eventos import dados_mensagem, publicar_nova_mensagem
from atendimento.realtime.publicar import aguardar_publicacoes
from tests.factories import MensagemFactory, TicketFactory
from tests.processos import servidor_daphne

from .conftest import em_sync, socket_em

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integracao]


def _status(atendente) -> str:
    return Atendente.objects.get(pk=atendente.pk).status


@pytest.fixture
def dois_daphne():
    env = {"REALTIME_OFFLINE_APOS_SEGUNDOS": "0.3"}
    with servidor_daphne(**env) as a, servidor_daphne(**env) as b:
        yield a, b


async def test_digitando_num_processo_chega_ao_socket_do_outro(
    dois_daphne, atendente, supervisor, canal_whatsapp, fila
):
    a, b = dois_daphne
    ticket = await em_sync(
        TicketFactory, empresa=atendente.empresa, canal=canal_whatsapp, fila=fila
    )
    async with socket_em(a, atendente) as no_a, socket_em(b, supervisor) as no_b:
        for s in (no_a, no_b):
            await s.enviar("entrar_ticket", ticket_id=str(ticket.id))
            await s.sincronizar()

        await no_a.enviar("digitando", ticket_id=str(ticket.id))

        assert await no_b.receber() == {
            "evento": "atendente_digitando",
            "dados": {
                "ticket_id": str(ticket.id),
                "atendente_id": str(atendente.id),
                "nome": atendente.nome,
            },
        }

        # and a service publishing from a third process reaches both
        mensagem = await em_sync(MensagemFactory, ticket=ticket)
        await em_sync(publicar_nova_mensagem, mensagem)
        esperado = {
            "evento": "nova_mensagem",
            "dados": json.loads(json.dumps(dados_mensagem(mensagem))),
        }
        assert await no_a.receber() == esperado
        assert await no_b.receber() == esperado


async def test_presenca_contada_entre_processos(dois_daphne, atendente, supervisor):
    a, b = dois_daphne
    async with socket_em(a, supervisor) as observa:
        async with socket_em(a, atendente), socket_em(b, atendente) as aba_b:
            await aba_b.sincronizar()
        # both tabs closed: the agent goes offline after the grace period of the daphne that
        # served the last one; the supervisor (on process A) is told
        assert await observa.receber() == {
            "evento": "atendente_status",
            "dados": {
                "atendente_id": str(atendente.id),
                "nome": atendente.nome,
                "status": "offline",
            },
        }
    assert await em_sync(_status, atendente) == "offline"
    aguardar_publicacoes(10)
