"""Customer messages through the real webhook URLs (real fixtures, real signatures) and a fake
provider that accepts what the desk sends, for the first-contact menu and bot tests."""

from __future__ import annotations

import itertools
import json

from django.utils import timezone
from werkzeug import Request, Response

from tests.canais.webhook_apoio import TOKEN_TG, postar_telegram, postar_whatsapp

PNID = "106540352242922"  # the phone_number_id of whatsapp/text_message_metadocs.json
WA_CLIENTE = "16505551234"
CHAT_TG = 1111111
_SEQ = itertools.count(1)


def corpo_whatsapp(fixture_bytes, texto: str, *, de: str = WA_CLIENTE) -> bytes:
    """``text_message_metadocs.json`` saying ``texto`` now, with a fresh message id."""
    corpo = json.loads(fixture_bytes("whatsapp/text_message_metadocs.json"))
    valor = corpo["entry"][0]["changes"][0]["value"]
    mensagem = valor["messages"][0]
    mensagem["text"]["body"] = texto
    mensagem["id"] = f"wamid.teste{next(_SEQ)}"
    mensagem["timestamp"] = str(int(timezone.now().timestamp()))
    mensagem["from"] = valor["contacts"][0]["wa_id"] = de
    return json.dumps(corpo).encode()


def corpo_escolha_whatsapp(
    fixture_bytes, tipo: str, id_escolha: str, titulo: str, *, de: str = WA_CLIENTE
) -> bytes:
    """``interactive_button_reply_metadocs.json`` / ``interactive_list_reply_metadocs.json``:
    the customer pressed the reply button or picked the list row ``id_escolha``."""
    nome = {"button_reply": "button_reply", "list_reply": "list_reply"}[tipo]
    corpo = json.loads(fixture_bytes(f"whatsapp/interactive_{nome}_metadocs.json"))
    valor = corpo["entry"][0]["changes"][0]["value"]
    mensagem = valor["messages"][0]
    mensagem["interactive"][tipo].update(id=id_escolha, title=titulo)
    mensagem["id"] = f"wamid.teste{next(_SEQ)}"
    mensagem["timestamp"] = str(int(timezone.now().timestamp()))
    mensagem["from"] = valor["contacts"][0]["wa_id"] = de
    return json.dumps(corpo).encode()


def escrever_whatsapp(client, empresa, fixture_bytes, texto: str, **extra):
    resposta = postar_whatsapp(client, empresa.id, corpo_whatsapp(fixture_bytes, texto), **extra)
    assert resposta.status_code == 200, resposta.content
    return resposta


def corpo_telegram(fixture_bytes, texto: str, *, chat: int = CHAT_TG) -> bytes:
    corpo = json.loads(fixture_bytes("telegram/private_text_message_official.json"))
    numero = next(_SEQ)
    corpo["update_id"] = 10000 + numero
    corpo["message"].update(
        message_id=1365 + numero, text=texto, date=int(timezone.now().timestamp())
    )
    corpo["message"]["chat"]["id"] = corpo["message"]["from"]["id"] = chat
    return json.dumps(corpo).encode()


def corpo_botao_telegram(fixture_bytes, dados: str, *, chat: int = CHAT_TG) -> bytes:
    """``callback_query_inline_official.json``: the customer pressed the button ``dados``."""
    corpo = json.loads(fixture_bytes("telegram/callback_query_inline_official.json"))
    numero = next(_SEQ)
    corpo["update_id"] = 20000 + numero
    consulta = corpo["callback_query"]
    consulta["id"] = f"cb{numero}"
    consulta["data"] = dados
    consulta["from"]["id"] = chat
    if isinstance(consulta.get("message"), dict):
        consulta["message"]["chat"]["id"] = chat
    return json.dumps(corpo).encode()


def escrever_telegram(client, empresa, corpo: bytes):
    resposta = postar_telegram(client, empresa.id, corpo)
    assert resposta.status_code == 200, resposta.content
    return resposta


def servir_whatsapp(httpserver) -> None:
    """Graph ``POST /v23.0/<pnid>/messages`` accepts every message (a fresh wamid each)."""

    def enviar(request: Request) -> Response:
        corpo = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": WA_CLIENTE, "wa_id": WA_CLIENTE}],
            "messages": [{"id": f"wamid.saida{next(_SEQ)}"}],
        }
        return Response(json.dumps(corpo), content_type="application/json")

    httpserver.expect_request(f"/v23.0/{PNID}/messages", method="POST").respond_with_handler(enviar)


def servir_telegram(httpserver, token: str = TOKEN_TG) -> None:
    """Bot API ``sendMessage`` and ``answerCallbackQuery`` accept everything."""

    def enviar(request: Request) -> Response:
        dados = request.get_json()
        resultado = {
            "message_id": next(_SEQ) + 5000,
            "date": int(timezone.now().timestamp()),
            "chat": {"id": dados["chat_id"], "type": "private"},
            "text": dados.get("text", ""),
        }
        return Response(
            json.dumps({"ok": True, "result": resultado}), content_type="application/json"
        )

    httpserver.expect_request(f"/bot{token}/sendMessage", method="POST").respond_with_handler(
        enviar
    )
    httpserver.expect_request(f"/bot{token}/answerCallbackQuery", method="POST").respond_with_json(
        {"ok": True, "result": True}
    )


def enviados(httpserver, caminho_final: str) -> list[dict]:
    """JSON bodies the desk sent to the fake provider on paths ending in ``caminho_final``."""
    return [
        pedido.get_json() for pedido, _ in httpserver.log if pedido.path.endswith(caminho_final)
    ]
