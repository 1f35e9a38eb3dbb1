"""Helpers of the Twilio end-to-end tests: a channel pointed at a local server speaking Twilio's
REST API, and webhooks posted to the real URL with the real ``X-Twilio-Signature``."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from canais.adapters.twilio import AdaptadorTwilio as Adaptador
from canais.adapters.twilio import parse as twilio_parse
from tests.factories import CanalFactory

from .webhook_apoio import url_webhook

SID = "AC1a03647d811fab342c0ad608e382fab2"
TOKEN = "s3gr3d0-do-twilio"
FORM = "application/x-www-form-urlencoded"
MENSAGENS = f"/2010-04-01/Accounts/{SID}/Messages.json"


def canal_twilio(empresa, fila, numero: str, *, api_base_url: str = "http://127.0.0.1:9", **extra):
    config = {"account_sid": SID, "numero": numero, "api_base_url": api_base_url}
    config.update(extra.pop("config", {}))
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="twilio",
        nome=f"Twilio {numero}",
        config=config,
        segredos={"auth_token": TOKEN},
        identificador=Adaptador.identificador_da_config(config),
        **extra,
    )


def assinar(url: str, corpo: bytes, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, twilio_parse.carregar(corpo))


def postar_twilio(client, empresa_id, corpo: bytes | dict, *, assinatura: str = "", **extra):
    """POST the form to the real URL, signed over the URL Twilio would have called."""
    if isinstance(corpo, dict):
        corpo = urlencode(corpo).encode()
    caminho = url_webhook("twilio", empresa_id)
    esquema = "https" if extra.get("HTTP_X_FORWARDED_PROTO") == "https" else "http"
    assinatura = assinatura or assinar(f"{esquema}://testserver{caminho}", corpo)
    return client.post(
        caminho, data=corpo, content_type=FORM, HTTP_X_TWILIO_SIGNATURE=assinatura, **extra
    )


def criada(sid: str, para: str = "+5511988887777", de: str = "+12028831111") -> dict:
    """Twilio's Message resource as answered by POST Messages.json (trimmed)."""
    return {
        "account_sid": SID, "api_version": "2010-04-01", "body": "", "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": de, "num_media": "1",
        "num_segments": "1", "sid": sid, "status": "queued", "to": para,
        "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json",
    }  # fmt: skip
