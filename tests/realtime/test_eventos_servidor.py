"""Server -> client events reach exactly the sockets whose user may see the ticket."""

from __future__ import annotations

import json

import pytest
import redis
from django.conf import settings

from atendimento.models import Atendente, AtendenteFila, Mensagem
from atendimento.realtime import conexoes
from atendimento.realtime.eventos import (
    dados_mensagem,
    dados_ticket,
    publicar_atendente_status,
    publicar_notificacao,
    publicar_nova_mensagem,
    publicar_novo_ticket,
    publicar_status_mensagem,
    publicar_ticket_atualizado,
)
from atendimento.realtime.grupos import grupo_fila
from tests.factories import AtendenteFilaFactory, MensagemFactory, TicketFactory

from .conftest import conectar, em_sync, esperar, nada_antes_do_marcador

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


def _json(valor):
    """What the value looks like after a trip through a websocket frame."""
    return json.loads(json.dumps(valor))


@pytest.fixture
def ticket(empresa, fila, canal_whatsapp):
    return TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)


@pytest.fixture
def mensagem(ticket):
    return MensagemFactory(ticket=ticket)


@pytest.fixture
def tudo(
    atendente, atendente_outra_fila, supervisor, admin, admin_outra_empresa
) -> dict[str, object]:
    return {
        "atendente": atendente,
        "atendente_outra_fila": atendente_outra_fila,
        "supervisor": supervisor,
        "admin": admin,
        "admin_outra_empresa": admin_outra_empresa,
    }


async def _conectar_todos(tudo, *, direto: bool = True):
    return {nome: await conectar(a, direto=direto) for nome, a in tudo.items()}


async def _fechar(sockets):
    for cliente in sockets.values():
        await cliente.fechar()


def _status_mensagem(mensagem):
    mensagem.status = Mensagem.Status.ENTREGUE
    mensagem.save(update_fields=["status"])
    publicar_status_mensagem(mensagem)
    return {
        "mensagem_id": str(mensagem.id),
        "ticket_id": str(mensagem.ticket_id),
        "status": "entregue",
        "erro_codigo": mensagem.erro_codigo,
        "erro_detalhe": mensagem.erro_detalhe,
    }


def _nova_mensagem(mensagem):
    publicar_nova_mensagem(mensagem)
    return dict(dados_mensagem(mensagem))


def _novo_ticket(mensagem):
    publicar_novo_ticket(mensagem.ticket)
    return dict(dados_ticket(mensagem.ticket))


def _ticket_atualizado(mensagem):
    publicar_ticket_atualizado(mensagem.ticket)
    return dict(dados_ticket(mensagem.ticket))


@pytest.mark.parametrize("direto", [True, False], ids=["envio-direto", "send-asgi"])
@pytest.mark.parametrize(
    ("evento", "publicar"),
    [
        ("nova_mensagem", _nova_mensagem),
        ("status_mensagem", _status_mensagem),
        ("novo_ticket", _novo_ticket),
        ("ticket_atualizado", _ticket_atualizado),
    ],
)
async def test_evento_do_ticket_chega_so_a_quem_ve_o_ticket(
    tudo, mensagem, evento, publicar, direto
):
    sockets = await _conectar_todos(tudo, direto=direto)

    dados = await em_sync(publicar, mensagem)

    esperado = {"evento": evento, "dados": _json(dados)}
    # the queue's member, the supervisor and the admin of the empresa: exactly once each
    for nome in ("atendente", "supervisor", "admin"):
        assert await sockets[nome].receber() == esperado
        await nada_antes_do_marcador(sockets[nome], tudo[nome])
    # an agent of another queue and another empresa's admin: never
    for nome in ("atendente_outra_fila", "admin_outra_empresa"):
        await nada_antes_do_marcador(sockets[nome], tudo[nome])
    await _fechar(sockets)


async def test_atendente_atribuido_de_outra_fila_recebe_pelo_proprio_grupo(
    atendente_outra_fila, mensagem
):
    ticket = mensagem.ticket
    ticket.atendente = atendente_outra_fila
    await em_sync(ticket.save)
    cliente = await conectar(atendente_outra_fila)

    dados = await em_sync(_nova_mensagem, mensagem)

    assert await cliente.receber() == {"evento": "nova_mensagem", "dados": _json(dados)}
    await nada_antes_do_marcador(cliente, atendente_outra_fila)
    await cliente.fechar()


async def test_uma_copia_mesmo_pela_fila_atribuicao_e_sala(atendente, mensagem):
    ticket = mensagem.ticket
    ticket.atendente = atendente
    await em_sync(ticket.save)
    cliente = await conectar(atendente)
    await cliente.enviar("entrar_ticket", ticket_id=str(ticket.id))
    await cliente.sincronizar()

    dados = await em_sync(_nova_mensagem, mensagem)

    assert await cliente.receber() == {"evento": "nova_mensagem", "dados": _json(dados)}
    await nada_antes_do_marcador(cliente, atendente)  # not a second copy
    await cliente.fechar()


async def test_notificacao_vai_ao_atendente_se_ele_ve_o_ticket(atendente, supervisor, mensagem):
    cliente = await conectar(atendente)
    sup = await conectar(supervisor)

    await em_sync(
        publicar_notificacao,
        atendente,
        titulo="SLA",
        texto="vencendo",
        ticket_id=mensagem.ticket_id,
    )

    assert await cliente.receber() == {
        "evento": "notificacao",
        "dados": {"titulo": "SLA", "texto": "vencendo", "ticket_id": str(mensagem.ticket_id)},
    }
    await nada_antes_do_marcador(sup, supervisor)  # addressed to the agent only
    await cliente.fechar()
    await sup.fechar()


async def test_notificacao_sobre_ticket_que_o_atendente_nao_ve_e_retida(
    atendente_outra_fila, mensagem
):
    cliente = await conectar(atendente_outra_fila)

    await em_sync(
        publicar_notificacao,
        atendente_outra_fila,
        titulo="SLA",
        texto="vencendo",
        ticket_id=mensagem.ticket_id,
    )

    await nada_antes_do_marcador(cliente, atendente_outra_fila)
    await cliente.fechar()


async def test_atendente_status_vai_a_empresa_e_nao_a_outra(tudo):
    sockets = await _conectar_todos(tudo)
    atendente = tudo["atendente"]

    await em_sync(publicar_atendente_status, atendente)

    esperado = {
        "evento": "atendente_status",
        "dados": {"atendente_id": str(atendente.id), "nome": atendente.nome, "status": "online"},
    }
    for nome in ("atendente", "atendente_outra_fila", "supervisor", "admin"):
        assert await sockets[nome].receber() == esperado
    await nada_antes_do_marcador(sockets["admin_outra_empresa"], tudo["admin_outra_empresa"])
    await _fechar(sockets)


async def test_membro_removido_da_fila_deixa_de_receber(atendente, fila, mensagem):
    cliente = await conectar(atendente)
    dados = await em_sync(_nova_mensagem, mensagem)
    assert await cliente.receber() == {"evento": "nova_mensagem", "dados": _json(dados)}

    await em_sync(lambda: AtendenteFila.objects.filter(atendente=atendente, fila=fila).delete())
    await em_sync(_nova_mensagem, mensagem)

    await nada_antes_do_marcador(cliente, atendente)
    await cliente.fechar()


async def test_membro_removido_sai_do_grupo_da_fila(atendente, fila):
    cliente = await conectar(atendente)
    conexao = redis.Redis.from_url(settings.REDIS_CANAIS_URL)
    chave = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:group:{grupo_fila(fila.id)}"
    assert conexao.zcard(chave) == 1

    await em_sync(lambda: AtendenteFila.objects.filter(atendente=atendente, fila=fila).delete())

    await esperar(lambda: conexao.zcard(chave) == 0)
    await cliente.fechar()


async def test_fila_adicionada_passa_a_receber_sem_reconectar(
    atendente, outra_fila, canal_whatsapp
):
    cliente = await conectar(atendente)
    ticket = await em_sync(
        TicketFactory, empresa=atendente.empresa, canal=canal_whatsapp, fila=outra_fila
    )
    conexao = redis.Redis.from_url(settings.REDIS_CANAIS_URL)
    prefixo = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    chave = f"{prefixo}:group:{grupo_fila(outra_fila.id)}"

    await em_sync(AtendenteFilaFactory, atendente=atendente, fila=outra_fila)
    await esperar(lambda: conexao.zcard(chave) == 1)
    await em_sync(publicar_novo_ticket, ticket)

    assert await cliente.receber() == {
        "evento": "novo_ticket",
        "dados": _json(dados_ticket(ticket)),
    }
    await cliente.fechar()


async def test_transferencia_some_para_a_fila_antiga_e_chega_a_nova(
    atendente, atendente_outra_fila, outra_fila, fila, mensagem
):
    antigo = await conectar(atendente)
    novo = await conectar(atendente_outra_fila)
    ticket = mensagem.ticket

    def transferir():
        ticket.fila = outra_fila
        ticket.save(update_fields=["fila"])
        publicar_ticket_atualizado(ticket, grupos_anteriores=[grupo_fila(fila.id)])
        return dict(dados_ticket(ticket))

    dados = await em_sync(transferir)

    assert await novo.receber() == {"evento": "ticket_atualizado", "dados": _json(dados)}
    await nada_antes_do_marcador(antigo, atendente)
    await antigo.fechar()
    await novo.fechar()


async def test_atendente_desativado_tem_o_socket_fechado(atendente):
    cliente = await conectar(atendente)

    atendente.ativo = False
    await em_sync(atendente.save)

    assert await cliente.fechamento() == 4401
    await conexoes.aguardar_verificacoes()  # and, its last socket gone, it is shown offline
    status = await em_sync(lambda: Atendente.objects.get(pk=atendente.pk).status)
    assert status == "offline"
