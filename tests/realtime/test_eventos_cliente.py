"""Client -> server events: entrar_ticket, sair_ticket, digitando, parou_digitar,
atualizar_status."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import redis
from django.conf import settings

from atendimento.models import Atendente, AtendenteFila, Canal
from atendimento.realtime.eventos import dados_mensagem, publicar_nova_mensagem
from tests.factories import CanalFactory, MensagemFactory, TicketFactory

from .conftest import conectar, em_sync, esperar, nada_antes_do_marcador

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


@pytest.fixture
def ticket(empresa, fila, canal_whatsapp):
    return TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)


@pytest.fixture
def broker():
    """The Celery broker's Redis database of this test run (tasks queued, never consumed)."""
    conexao = redis.Redis.from_url(_url_broker())
    conexao.flushdb()
    return conexao


def _url_broker() -> str:
    from urllib.parse import urlsplit

    partes = urlsplit(settings.REDIS_URL)
    db = settings.REDIS_DB_BASE + 1
    if partes.scheme == "unix":
        return f"unix://{partes.path}?db={db}"
    return f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{db}"


def _tarefas_na_fila(conexao, fila: str = "messages") -> list[tuple[str, list]]:
    tarefas = []
    for bruto in conexao.lrange(fila, 0, -1):
        mensagem = json.loads(bruto)
        corpo = json.loads(base64.b64decode(mensagem["body"]))
        tarefas.append((mensagem["headers"]["task"], corpo[0]))
    return tarefas


def _erro(detalhe: str) -> dict:
    return {"evento": "erro", "dados": {"detail": detalhe}}


# ------------------------------------------------------------------ entrar_ticket / sair_ticket
async def test_entrar_ticket_de_outra_empresa_e_erro(atendente, admin_outra_empresa, ticket):
    intruso = await conectar(admin_outra_empresa)

    await intruso.enviar("entrar_ticket", ticket_id=str(ticket.id))

    assert await intruso.receber() == _erro("Ticket não encontrado.")
    await intruso.enviar("digitando", ticket_id=str(ticket.id))  # not in the room
    assert await intruso.receber() == _erro("Entre no ticket (entrar_ticket) antes.")
    await intruso.fechar()


async def test_entrar_ticket_de_outra_fila_e_erro(atendente_outra_fila, ticket):
    cliente = await conectar(atendente_outra_fila)

    await cliente.enviar("entrar_ticket", ticket_id=str(ticket.id))

    assert await cliente.receber() == _erro("Ticket não encontrado.")
    await cliente.sincronizar()  # still open
    await cliente.fechar()


@pytest.mark.parametrize(
    ("dados", "detalhe"),
    [
        ({}, "ticket_id é obrigatório."),
        ({"ticket_id": ""}, "ticket_id é obrigatório."),
        ({"ticket_id": "123"}, "ticket_id inválido."),
        ({"ticket_id": ["x"]}, "ticket_id inválido."),
    ],
)
@pytest.mark.parametrize("evento", ["entrar_ticket", "sair_ticket", "digitando", "parou_digitar"])
async def test_ticket_id_ausente_ou_malformado_e_erro(atendente, evento, dados, detalhe):
    cliente = await conectar(atendente)

    await cliente.enviar(evento, **dados)

    assert await cliente.receber() == _erro(detalhe)
    await cliente.sincronizar()
    await cliente.fechar()


async def test_ticket_inexistente_e_erro(atendente):
    cliente = await conectar(atendente)

    await cliente.enviar("entrar_ticket", ticket_id=str(uuid.uuid4()))

    assert await cliente.receber() == _erro("Ticket não encontrado.")
    await cliente.fechar()


async def test_sair_de_sala_em_que_nao_entrou_e_erro(atendente, ticket):
    cliente = await conectar(atendente)

    await cliente.enviar("sair_ticket", ticket_id=str(ticket.id))

    assert await cliente.receber() == _erro("Entre no ticket (entrar_ticket) antes.")
    await cliente.fechar()


async def test_limite_de_salas_por_socket(settings, atendente, ticket, canal_whatsapp, fila):
    settings.REALTIME_MAX_SALAS = 1
    outro = await em_sync(TicketFactory, empresa=ticket.empresa, canal=canal_whatsapp, fila=fila)
    cliente = await conectar(atendente)
    await cliente.enviar("entrar_ticket", ticket_id=str(ticket.id))

    await cliente.enviar("entrar_ticket", ticket_id=str(outro.id))

    assert await cliente.receber() == _erro(
        "Salas demais abertas neste socket: saia de alguma antes."
    )
    await cliente.enviar("sair_ticket", ticket_id=str(ticket.id))
    await cliente.enviar("entrar_ticket", ticket_id=str(outro.id))
    await cliente.sincronizar()  # no error this time
    await cliente.fechar()


# ------------------------------------------------------------------ digitando / parou_digitar
async def _sala(ticket, *atendentes):
    clientes = []
    for a in atendentes:
        cliente = await conectar(a)
        await cliente.enviar("entrar_ticket", ticket_id=str(ticket.id))
        await cliente.sincronizar()
        clientes.append(cliente)
    return clientes


def _digitacao(evento, ticket, atendente) -> dict:
    return {
        "evento": evento,
        "dados": {
            "ticket_id": str(ticket.id),
            "atendente_id": str(atendente.id),
            "nome": atendente.nome,
        },
    }


async def test_digitando_chega_aos_outros_da_sala_uma_vez_por_rajada(
    atendente, supervisor, admin, ticket, broker
):
    digita, observa = await _sala(ticket, atendente, supervisor)
    fora = await conectar(admin)  # may see the ticket, but not in the room

    for _ in range(3):
        await digita.enviar("digitando", ticket_id=str(ticket.id))
    await digita.sincronizar()

    assert await observa.receber() == _digitacao("atendente_digitando", ticket, atendente)
    await nada_antes_do_marcador(observa, supervisor)  # one frame for the burst
    await nada_antes_do_marcador(digita, atendente)  # never to the sender
    await nada_antes_do_marcador(fora, admin)

    await digita.enviar("parou_digitar", ticket_id=str(ticket.id))

    assert await observa.receber() == _digitacao("atendente_parou_digitar", ticket, atendente)
    await nada_antes_do_marcador(digita, atendente)
    for cliente in (digita, observa, fora):
        await cliente.fechar()


async def test_digitando_enfileira_o_aviso_ao_cliente_uma_vez_por_intervalo(
    atendente, ticket, broker
):
    (digita,) = await _sala(ticket, atendente)

    for _ in range(5):
        await digita.enviar("digitando", ticket_id=str(ticket.id))
    await digita.sincronizar()

    await esperar(lambda: broker.llen("messages") >= 1)
    await digita.fechar()  # pending work of the socket ends; nothing more can be queued
    assert _tarefas_na_fila(broker) == [("canais.tasks.digitando", [str(ticket.id)])]


async def test_canal_sem_indicador_de_digitacao_nao_enfileira_tarefa(
    monkeypatch, atendente, supervisor, empresa, fila, broker
):
    from canais.registry import classe_adaptador

    # an adapter declaring it has no typing indicator (the flag the consumer honours)
    monkeypatch.setattr(classe_adaptador("email"), "suporta_digitando", False, raising=False)
    canal = await em_sync(CanalFactory, empresa=empresa, tipo=Canal.Tipo.EMAIL, nome="E-mail")
    ticket = await em_sync(TicketFactory, empresa=empresa, canal=canal, fila=fila)
    digita, observa = await _sala(ticket, atendente, supervisor)

    await digita.enviar("digitando", ticket_id=str(ticket.id))

    assert await observa.receber() == _digitacao("atendente_digitando", ticket, atendente)
    await digita.fechar()
    assert await observa.receber() == _digitacao("atendente_parou_digitar", ticket, atendente)
    assert broker.llen("messages") == 0
    await observa.fechar()


async def test_digitacao_expira_sozinha(settings, atendente, supervisor, ticket):
    settings.REALTIME_DIGITANDO_EXPIRA_SEGUNDOS = 0.2
    digita, observa = await _sala(ticket, atendente, supervisor)

    await digita.enviar("digitando", ticket_id=str(ticket.id))

    assert await observa.receber() == _digitacao("atendente_digitando", ticket, atendente)
    assert await observa.receber() == _digitacao("atendente_parou_digitar", ticket, atendente)
    await digita.fechar()
    await nada_antes_do_marcador(observa, supervisor)  # nothing more when the socket closes
    await observa.fechar()


async def test_sair_ticket_encerra_digitacao_e_a_sala(atendente, supervisor, ticket):
    digita, observa = await _sala(ticket, atendente, supervisor)
    await digita.enviar("digitando", ticket_id=str(ticket.id))
    assert await observa.receber() == _digitacao("atendente_digitando", ticket, atendente)

    await digita.enviar("sair_ticket", ticket_id=str(ticket.id))

    assert await observa.receber() == _digitacao("atendente_parou_digitar", ticket, atendente)
    await digita.enviar("digitando", ticket_id=str(ticket.id))
    assert await digita.receber() == _erro("Entre no ticket (entrar_ticket) antes.")
    await observa.enviar("sair_ticket", ticket_id=str(ticket.id))
    await observa.sincronizar()
    await digita.enviar("entrar_ticket", ticket_id=str(ticket.id))
    await digita.enviar("digitando", ticket_id=str(ticket.id))
    await digita.sincronizar()
    await nada_antes_do_marcador(observa, supervisor)  # left the room: no typing frames
    await digita.fechar()
    await observa.fechar()


async def test_parou_digitar_sem_digitar_nao_anuncia_nada(atendente, supervisor, ticket):
    digita, observa = await _sala(ticket, atendente, supervisor)

    await digita.enviar("parou_digitar", ticket_id=str(ticket.id))
    await digita.sincronizar()

    await nada_antes_do_marcador(observa, supervisor)
    await digita.fechar()
    await observa.fechar()


async def test_digitacao_nao_chega_a_quem_perdeu_acesso_ao_ticket(
    atendente, supervisor, fila, ticket
):
    observa, digita = await _sala(ticket, atendente, supervisor)
    await em_sync(lambda: AtendenteFila.objects.filter(atendente=atendente, fila=fila).delete())

    await digita.enviar("digitando", ticket_id=str(ticket.id))
    await digita.sincronizar()

    await nada_antes_do_marcador(observa, atendente)
    await digita.fechar()
    await observa.fechar()


async def test_sala_de_quem_perdeu_acesso_nao_entrega_mensagens(atendente, fila, ticket):
    (cliente,) = await _sala(ticket, atendente)
    mensagem = await em_sync(MensagemFactory, ticket=ticket)
    await em_sync(publicar_nova_mensagem, mensagem)
    assert await cliente.receber() == {
        "evento": "nova_mensagem",
        "dados": json.loads(json.dumps(dados_mensagem(mensagem))),
    }

    await em_sync(lambda: AtendenteFila.objects.filter(atendente=atendente, fila=fila).delete())
    await em_sync(publicar_nova_mensagem, mensagem)

    await nada_antes_do_marcador(cliente, atendente)
    await cliente.fechar()


# ------------------------------------------------------------------ atualizar_status
async def test_atualizar_status_persiste_e_avisa_a_empresa(
    atendente, supervisor, admin_outra_empresa
):
    cliente = await conectar(atendente)
    colega = await conectar(supervisor)
    outra = await conectar(admin_outra_empresa)

    await cliente.enviar("atualizar_status", status="ausente")

    esperado = {
        "evento": "atendente_status",
        "dados": {"atendente_id": str(atendente.id), "nome": atendente.nome, "status": "ausente"},
    }
    assert await colega.receber() == esperado
    assert await cliente.receber() == esperado
    await nada_antes_do_marcador(outra, admin_outra_empresa)
    status = await em_sync(lambda: Atendente.objects.get(pk=atendente.pk).status)
    assert status == "ausente"
    for c in (cliente, colega, outra):
        await c.fechar()


@pytest.mark.parametrize(
    ("dados", "detalhe"),
    [
        ({}, "status é obrigatório."),
        ({"status": ""}, "status é obrigatório."),
        ({"status": 3}, "status é obrigatório."),
        (
            {"status": "dormindo"},
            "Status inválido: 'dormindo'. Use um de: online, ausente, ocupado, offline.",
        ),
    ],
)
async def test_atualizar_status_invalido_e_erro(atendente, supervisor, dados, detalhe):
    cliente = await conectar(atendente)
    colega = await conectar(supervisor)

    await cliente.enviar("atualizar_status", **dados)

    assert await cliente.receber() == _erro(detalhe)
    await nada_antes_do_marcador(colega, supervisor)
    status = await em_sync(lambda: Atendente.objects.get(pk=atendente.pk).status)
    assert status == "online"
    await cliente.fechar()
    await colega.fechar()
