"""The website chat (fifth channel) from outside: a visitor gets a token, writes through the
channel's webhook URL (the one pipeline), reads only their own conversation, receives the
agent's answer live on their own socket, and acknowledges it (entregue → lida)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from atendimento.models import EventoWebhook, Mensagem, Ticket
from atendimento.realtime.grupos import grupo_ticket
from atendimento.realtime.publicar import aguardar_publicacoes
from canais import services
from canais.webchat.ao_vivo import grupo_visitante
from conectcrm.asgi import application
from tests.canais.webhook_apoio import (  # noqa: F401 - fixtures, used by name
    celery_eager,
    contagens,
    midia_em_tmp,
    url_webhook,
)

pytestmark = pytest.mark.usefixtures("celery_eager", "midia_em_tmp")

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def canal(empresa, fila):
    canal = services.canal_criar(
        empresa=empresa,
        tipo="webchat",
        nome="Chat do site",
        config={"origens_permitidas": "https://loja.exemplo, https://www.loja.exemplo"},
        fila_padrao=fila,
    )
    return services.canal_ativar(canal=canal, url_webhook="https://desk/webhook")


def sessao(canal, **dados) -> str:
    resposta = Client().post(
        f"/chat/{canal.identificador}/sessao/", json.dumps(dados), content_type="application/json"
    )
    assert resposta.status_code == 200, resposta.content
    return resposta.json()["token"]


def escrever(canal, token, corpo: dict, *, chave: str | None = None):
    return Client().post(
        url_webhook("webchat", canal.empresa_id),
        json.dumps(corpo),
        content_type="application/json",
        HTTP_X_WEBCHAT_CHAVE=chave or canal.identificador,
        HTTP_X_WEBCHAT_VISITANTE=token,
    )


def historico(canal, token):
    return Client().get(f"/chat/{canal.identificador}/mensagens/", HTTP_X_WEBCHAT_VISITANTE=token)


def test_canal_gera_a_chave_publica_e_ativa_sem_provedor(canal):
    assert canal.identificador.startswith("wc_")
    assert canal.config["chave_publica"] == canal.identificador
    assert canal.ativo


@pytest.mark.django_db(transaction=True)
def test_visitante_escreve_e_vira_ticket_uma_vez(canal):
    token = sessao(canal, nome="Joana", email="joana@exemplo.com")
    id_msg = str(uuid.uuid4())
    for _ in range(3):  # the widget retries: one message
        assert (
            escrever(canal, token, {"id": id_msg, "texto": "Oi, meu pedido atrasou"}).status_code
            == 200
        )
    ticket = Ticket.objects.get(canal=canal)
    mensagem = Mensagem.objects.get(ticket=ticket)
    assert mensagem.conteudo == "Oi, meu pedido atrasou"
    assert ticket.contato.nome == "Joana"
    assert mensagem.dados["email_informado"] == "joana@exemplo.com"
    assert not ticket.contato.identidades.filter(tipo="email").exists()  # unverified e-mail
    itens = historico(canal, token).json()["results"]
    assert [i["texto"] for i in itens] == ["Oi, meu pedido atrasou"]


@pytest.mark.django_db(transaction=True)
def test_tokens_falsos_ou_de_outro_canal_recusados_sem_gravar(canal, empresa, fila):
    outro = services.canal_ativar(
        canal=services.canal_criar(empresa=empresa, tipo="webchat", nome="Outro", config={}),
        url_webhook="x",
    )
    token_outro = sessao(outro)
    corpo = {"id": str(uuid.uuid4()), "texto": "oi"}
    antes = contagens()
    assert escrever(canal, "falso", corpo).status_code == 401
    assert escrever(canal, "", corpo).status_code == 401
    assert escrever(canal, token_outro, corpo).status_code == 401  # another channel's visitor
    assert contagens() == antes
    assert historico(canal, token_outro).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_um_visitante_nunca_ve_a_conversa_de_outro(canal):
    joana, pedro = sessao(canal, nome="Joana"), sessao(canal, nome="Pedro")
    escrever(canal, joana, {"id": str(uuid.uuid4()), "texto": "segredo da Joana"})
    escrever(canal, pedro, {"id": str(uuid.uuid4()), "texto": "oi"})
    assert Ticket.objects.filter(canal=canal).count() == 2
    textos_pedro = json.dumps(historico(canal, pedro).json())
    assert "segredo da Joana" not in textos_pedro


@pytest.mark.django_db(transaction=True)
def test_anexo_do_visitante_vira_midia_e_so_ele_baixa(canal):
    joana, pedro = sessao(canal), sessao(canal)
    corpo = {
        "id": str(uuid.uuid4()),
        "texto": "foto do produto",
        "arquivo": {
            "nome": "foto.png",
            "mime": "image/png",
            "base64": base64.b64encode(PNG).decode(),
        },
    }
    assert escrever(canal, joana, corpo).status_code == 200
    mensagem = Mensagem.objects.get(canal=canal)
    assert mensagem.tipo == "imagem"
    assert mensagem.midia_arquivo.read() == PNG
    (item,) = historico(canal, joana).json()["results"]
    assert b"".join(Client().get(item["midia"]["url"]).streaming_content) == PNG
    assert historico(canal, pedro).json()["results"] == []
    adulterada = item["midia"]["url"].replace("?a=", "?a=x")
    assert Client().get(adulterada).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_resposta_do_atendente_chega_ao_visitante_e_recibos(canal, atendente):
    from asgiref.sync import async_to_sync
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    token = sessao(canal, nome="Joana")
    escrever(canal, token, {"id": str(uuid.uuid4()), "texto": "oi"})
    ticket = Ticket.objects.get(canal=canal)
    visitante = ticket.conversa_id_externo
    camada = get_channel_layer()
    ouvinte = f"teste.webchat.{uuid.uuid4().hex}"  # a plain channel: readable from any loop
    async_to_sync(camada.group_add)(grupo_visitante(canal.identificador, visitante), ouvinte)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(atendente.usuario)}")
    resposta = api.post(
        "/api/atendimento/mensagens/enviar/",
        {"ticket_id": str(ticket.id), "conteudo": "Olá Joana, já verifico"},
        format="json",
    )
    assert resposta.status_code == 201, resposta.content
    aguardar_publicacoes()
    recebido = async_to_sync(camada.receive)(ouvinte)
    assert recebido["evento"] == "mensagem"
    assert recebido["dados"]["texto"] == "Olá Joana, já verifico"
    saida = Mensagem.objects.get(ticket=ticket, direcao="saida")
    assert saida.status == "enviada"
    assert saida.id_externo == recebido["dados"]["id"]

    assert escrever(canal, token, {"recebidas": [saida.id_externo]}).status_code == 200
    saida.refresh_from_db()
    assert saida.status == "entregue"
    assert escrever(canal, token, {"lidas": [saida.id_externo]}).status_code == 200
    saida.refresh_from_db()
    assert saida.status == "lida"
    textos = [i["texto"] for i in historico(canal, token).json()["results"]]
    assert textos == ["oi", "Olá Joana, já verifico"]


def test_paginas_do_widget(canal):
    teste = Client().get(f"/chat/{canal.identificador}/")
    assert teste.status_code == 200
    assert f'data-chave="{canal.identificador}"' in teste.content.decode()
    embed = Client().get(f"/chat/{canal.identificador}/embed/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    politica = embed["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://loja.exemplo https://www.loja.exemplo" in politica
    assert "script-src 'self'" in politica
    assert Client().get("/chat/wc_inexistente/embed/").status_code == 404


def test_canal_inativo_nao_serve_o_chat(canal):
    services.canal_desativar(canal=canal)
    assert Client().get(f"/chat/{canal.identificador}/").status_code == 404
    assert (
        Client()
        .post(f"/chat/{canal.identificador}/sessao/", "{}", content_type="application/json")
        .status_code
        == 404
    )


def test_sessao_com_limite_por_endereco(canal, settings):
    from django.core.cache import cache

    cache.clear()
    settings.WEBCHAT_SESSOES_POR_MINUTO = 2
    url = f"/chat/{canal.identificador}/sessao/"
    respostas = [
        Client().post(url, "{}", content_type="application/json").status_code for _ in range(3)
    ]
    assert respostas == [200, 200, 429]
    assert Client().post(url, "[1]", content_type="application/json").status_code in (400, 429)


@pytest.mark.django_db(transaction=True)
async def test_socket_do_visitante(canal):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(sessao)(canal)
    ruim = WebsocketCommunicator(application, f"/ws/webchat/{canal.identificador}/?token=falso")
    conectou, codigo = await ruim.connect()
    assert not conectou
    assert codigo == 4401

    ws = WebsocketCommunicator(application, f"/ws/webchat/{canal.identificador}/?token={token}")
    conectou, _ = await ws.connect()
    assert conectou
    from canais.webchat.tokens import visitante_do_token

    visitante = visitante_do_token(canal.identificador, token)
    camada = get_channel_layer()
    await camada.group_send(
        grupo_visitante(canal.identificador, visitante.id),
        {"type": "webchat.evento", "evento": "digitando", "dados": {}},
    )
    assert await ws.receive_json_from(timeout=5) == {"evento": "digitando", "dados": {}}
    await ws.send_json_to({"evento": "qualquer"})
    assert (await ws.receive_json_from(timeout=5))["evento"] == "erro"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_visitante_digitando_aparece_na_sala_do_ticket(canal):
    from asgiref.sync import sync_to_async

    token = await sync_to_async(sessao)(canal)
    await sync_to_async(escrever)(canal, token, {"id": str(uuid.uuid4()), "texto": "oi"})
    ticket = await Ticket.objects.aget(canal=canal)
    camada = get_channel_layer()
    ouvinte = f"teste.webchat.{uuid.uuid4().hex}"
    await camada.group_add(grupo_ticket(ticket.pk), ouvinte)
    ws = WebsocketCommunicator(application, f"/ws/webchat/{canal.identificador}/?token={token}")
    await ws.connect()
    await ws.send_json_to({"evento": "digitando", "dados": {}})
    for _ in range(5):  # the message's own nova_mensagem may come first
        recebido = await asyncio.wait_for(camada.receive(ouvinte), 5)
        if recebido["evento"] == "contato_digitando":
            break
    await ws.disconnect()
    assert recebido["evento"] == "contato_digitando"
    assert recebido["dados"]["ticket_id"] == str(ticket.pk)
    assert await EventoWebhook.objects.filter(canal=canal).acount() == 1  # typing: not stored
