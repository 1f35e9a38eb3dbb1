"""Hostile input from outside through every inbound channel and the websocket:

- script and event-handler payloads in a customer's message and name, posted with each
  provider's real signature scheme, never reach the inbox or the admin as live markup;
- a socket (token auth, no Origin, real daphne) cannot join another empresa's ticket and
  hears nothing of it.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import pytest
from django.test import Client

from atendimento.models import Mensagem, Ticket
from tests.canais.test_adapter_email import CONFIG as CONFIG_EMAIL
from tests.canais.test_adapter_email import ENDERECO, basic, multipart
from tests.canais.test_adapter_twilio import SID, TOKEN
from tests.canais.test_adapter_twilio import assinar as assinar_twilio
from tests.canais.webhook_apoio import (
    SEGREDO_TG,
    canal_tg,
    canal_wa,
    postar_telegram,
    postar_whatsapp,
    url_webhook,
)
from tests.factories import CanalFactory

ATAQUE = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
NOME = "<svg/onload=alert(2)>Maria"
VIVOS = ("<script>alert", "<img src=x onerror", "<svg/onload", "onerror=alert(1)>")


def _whatsapp(client, empresa, fila):
    canal_wa(empresa, fila, pnid="109999999999999")
    corpo = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "5511",
                                "phone_number_id": "109999999999999",
                            },
                            "contacts": [{"profile": {"name": NOME}, "wa_id": "5511987654321"}],
                            "messages": [
                                {
                                    "from": "5511987654321",
                                    "id": "wamid.XSS1",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": ATAQUE},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return postar_whatsapp(client, empresa.id, json.dumps(corpo).encode())


def _telegram(client, empresa, fila):
    canal_tg(empresa, fila)
    corpo = {
        "update_id": 1,
        "message": {
            "message_id": 7,
            "date": int(time.time()),
            "chat": {"id": 4242, "type": "private", "first_name": NOME},
            "from": {"id": 4242, "is_bot": False, "first_name": NOME},
            "text": ATAQUE,
        },
    }
    return postar_telegram(client, empresa.id, json.dumps(corpo).encode(), segredo=SEGREDO_TG)


def _twilio(client, empresa, fila):
    config = {"account_sid": SID, "numero": "+14155550100"}
    from canais.registry import classe_adaptador

    CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="twilio",
        nome="SMS",
        config=config,
        segredos={"auth_token": TOKEN},
        identificador=classe_adaptador("twilio").identificador_da_config(config),
    )
    campos = {
        "MessageSid": "SM0123456789abcdef0123456789abcdef",
        "AccountSid": SID,
        "From": "+5511987654321",
        "To": "+14155550100",
        "Body": ATAQUE,
        "NumMedia": "0",
        "ProfileName": NOME,
    }
    corpo = urlencode(campos).encode()
    url = url_webhook("twilio", empresa.id)
    return client.post(
        url,
        data=corpo,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=assinar_twilio("http://testserver" + url, corpo),
    )


def _email(client, empresa, fila):
    from canais.registry import classe_adaptador

    publicos = {k: v for k, v in CONFIG_EMAIL.items() if k != "inbound_senha"}
    CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="email",
        nome="E-mail",
        config=publicos,
        segredos={"inbound_senha": CONFIG_EMAIL["inbound_senha"]},
        identificador=classe_adaptador("email").identificador_da_config(CONFIG_EMAIL),
    )
    html = (
        f'<p>Oi</p>{ATAQUE}<img src="https://rastreio.exemplo/pixel.gif">'
        '<a href="javascript:alert(3)">x</a>'
    )
    corpo, tipo = multipart(
        [
            (
                "headers",
                f"Message-ID: <xss-1@cliente.exemplo>\nFrom: {NOME} <maria@cliente.exemplo>\n",
            ),
            ("from", f'"{NOME}" <maria@cliente.exemplo>'),
            ("to", ENDERECO),
            ("subject", "<b>Assunto</b><script>alert(4)</script>"),
            ("text", ATAQUE),
            ("html", html),
            ("envelope", json.dumps({"to": [ENDERECO], "from": "maria@cliente.exemplo"})),
            ("attachments", "0"),
        ]
    )
    return client.post(
        url_webhook("email", empresa.id), data=corpo, content_type=tipo, HTTP_AUTHORIZATION=basic()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "postar", [_whatsapp, _telegram, _twilio, _email], ids=lambda f: f.__name__
)
def test_payload_de_script_nunca_vira_marcacao_viva(
    postar, empresa, fila, admin, celery_eager, midia_em_tmp
):
    resposta = postar(Client(), empresa, fila)
    assert resposta.status_code == 200, resposta.content
    ticket = Ticket.objects.get(empresa=empresa)
    mensagem = Mensagem.objects.get(ticket=ticket)
    assert "alert" in mensagem.conteudo + json.dumps(
        mensagem.dados
    )  # stored as the customer sent it

    admin.usuario.is_staff = True
    admin.usuario.save()
    navegador = Client()
    navegador.force_login(admin.usuario)
    paginas = {
        "lista": navegador.get("/inbox/?aba=todos"),
        "conversa": navegador.get(f"/inbox/tickets/{ticket.id}/"),
        "lateral": navegador.get(f"/inbox/tickets/{ticket.id}/lateral/"),
        "admin ticket": navegador.get(f"/admin/atendimento/ticket/{ticket.id}/change/"),
        "admin contato": navegador.get(f"/admin/atendimento/contato/{ticket.contato_id}/change/"),
        "admin mensagens": navegador.get("/admin/atendimento/mensagem/"),
    }
    for nome, pagina in paginas.items():
        if pagina.status_code == 404:  # a page this model does not have in the admin
            continue
        assert pagina.status_code == 200, nome
        html = pagina.content.decode()
        for vivo in VIVOS:
            assert vivo not in html, f"{vivo!r} vivo em {nome}"
        assert "javascript:alert" not in html, nome
        assert "rastreio.exemplo" not in html or 'src="https://rastreio' not in html, nome
    assert "&lt;script&gt;" in paginas["conversa"].content.decode()


# ------------------------------------------------------------------------------- websocket
@pytest.mark.integracao
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_socket_nao_entra_em_ticket_de_outra_empresa(admin, admin_outra_empresa, outra_empresa):
    import websockets
    from rest_framework_simplejwt.tokens import AccessToken

    from atendimento.realtime.eventos import publicar_nova_mensagem
    from tests.factories import MensagemFactory, TicketFactory
    from tests.processos import servidor_daphne

    alheio = TicketFactory(empresa=outra_empresa)
    token = AccessToken.for_user(admin.usuario)

    async def atacar(base: str) -> list[dict]:
        url = base.replace("http", "ws") + f"/ws/atendimento/?token={token}"
        recebidos = []
        async with websockets.connect(url, origin=None) as ws:
            await ws.send(
                json.dumps({"evento": "entrar_ticket", "dados": {"ticket_id": str(alheio.id)}})
            )
            recebidos.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            mensagem = await asyncio.to_thread(
                MensagemFactory, ticket=alheio, conteudo="segredo de B"
            )
            await asyncio.to_thread(publicar_nova_mensagem, mensagem, alheio)
            try:
                while True:
                    recebidos.append(json.loads(await asyncio.wait_for(ws.recv(), 2)))
            except TimeoutError:
                pass
        return recebidos

    with servidor_daphne() as base:
        recebidos = asyncio.run(atacar(base))
    assert recebidos[0]["evento"] == "erro"
    assert "segredo de B" not in json.dumps(recebidos)
    assert all(r["evento"] in ("erro", "atendente_status") for r in recebidos), recebidos
