"""Helpers of the inbound pipeline tests: real signatures, the real webhook URL, channels pointed
at a local fake provider, Celery in eager mode, and row counts that prove nothing was stored."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Iterator

import pytest
from werkzeug import Request, Response

from atendimento.models import Contato, EventoWebhook, IdentidadeContato, Mensagem, Ticket
from conectcrm.celery import app as celery_app
from tests.conftest import FIXTURES  # noqa: F401 - re-exported: the webhook tests load payloads here
from tests.factories import CanalFactory

SEGREDO_APP = "segredo-do-app"  # CanalFactory's WhatsApp app_secret
TOKEN_TG = "123456:ABC-token-do-bot"
SEGREDO_TG = "segredo-do-webhook"
CABECALHO_TG = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"


def assinar(corpo: bytes, segredo: str = SEGREDO_APP) -> str:
    return "sha256=" + hmac.new(segredo.encode(), corpo, hashlib.sha256).hexdigest()


def url_webhook(tipo: str, empresa_id, *, barra: bool = True) -> str:
    return f"/api/atendimento/webhooks/{tipo}/{empresa_id}" + ("/" if barra else "")


def postar_whatsapp(client, empresa_id, corpo: bytes, *, assinatura: str | None = "", **extra):
    """POST the raw bytes signed with the channel's app secret (``assinatura=None``: unsigned)."""
    if assinatura == "":
        assinatura = assinar(corpo)
    cabecalhos = {"HTTP_X_HUB_SIGNATURE_256": assinatura} if assinatura is not None else {}
    return client.post(
        url_webhook("whatsapp", empresa_id, barra=extra.pop("barra", True)),
        data=corpo,
        content_type="application/json",
        **cabecalhos,
        **extra,
    )


def postar_telegram(client, empresa_id, corpo: bytes, *, segredo: str | None = SEGREDO_TG, **extra):
    cabecalhos = {CABECALHO_TG: segredo} if segredo is not None else {}
    return client.post(
        url_webhook("telegram", empresa_id, barra=extra.pop("barra", True)),
        data=corpo,
        content_type="application/json",
        **cabecalhos,
        **extra,
    )


def canal_wa(empresa, fila, *, pnid: str, api_base_url: str = "http://127.0.0.1:9", **extra):
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        config={
            "phone_number_id": pnid,
            "waba_id": "102290129340398",
            "api_version": "v23.0",
            "api_base_url": api_base_url,
        },
        identificador=pnid,
        **extra,
    )


def canal_tg(
    empresa, fila, *, api_base_url: str = "http://127.0.0.1:9", segredo: str = SEGREDO_TG, **extra
):
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        telegram=True,
        config={"api_base_url": api_base_url},
        segredos={"bot_token": TOKEN_TG, "webhook_secret": segredo},
        identificador=hashlib.sha256(segredo.encode()).hexdigest(),
        **extra,
    )


def contagens() -> dict[str, int]:
    return {
        "eventos": EventoWebhook.objects.count(),
        "mensagens": Mensagem.objects.count(),
        "tickets": Ticket.objects.count(),
        "contatos": Contato.objects.count(),
        "identidades": IdentidadeContato.objects.count(),
    }


NADA = {"eventos": 0, "mensagens": 0, "tickets": 0, "contatos": 0, "identidades": 0}


@contextlib.contextmanager
def modo_eager() -> Iterator[None]:
    """Tasks queued with apply_async run inline (the on_commit callbacks still decide when)."""
    antes = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = antes


@pytest.fixture
def celery_eager() -> Iterator[None]:
    with modo_eager():
        yield


def _reiniciar_conexoes_celery() -> None:
    """Forget the app's cached pools (kombu keeps one per broker URL; none is closed)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_em(url: str) -> Iterator[None]:
    """Point the Celery app of this process at another broker URL (e.g. a dead socket); the
    worker processes and the other tests are not affected."""
    antes = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    _reiniciar_conexoes_celery()
    try:
        yield
    finally:
        celery_app.conf.broker_url = antes
        _reiniciar_conexoes_celery()


def conteudo_midia(ref: str) -> bytes:
    return b"bytes-da-midia-" + ref.encode()


def servir_midia_whatsapp(httpserver, *, mime_info: str = "") -> None:
    """Graph media endpoints: ``GET /v23.0/<id>`` → JSON with a download URL, then the bytes."""
    base = httpserver.url_for("").rstrip("/")

    def info(request: Request) -> Response:
        ref = request.path.rsplit("/", 1)[-1]
        corpo = {"url": f"{base}/download/{ref}", "mime_type": mime_info, "id": ref}
        return Response(json.dumps(corpo), content_type="application/json")

    def baixar(request: Request) -> Response:
        ref = request.path.rsplit("/", 1)[-1]
        return Response(conteudo_midia(ref), content_type="application/octet-stream")

    httpserver.expect_request(re.compile(r"^/v23\.0/\d+$"), method="GET").respond_with_handler(info)
    httpserver.expect_request(re.compile(r"^/download/.+$")).respond_with_handler(baixar)


def servir_midia_telegram(httpserver, token: str = TOKEN_TG) -> None:
    """Bot API ``getFile`` → file_path, then ``/file/bot<token>/<file_path>`` → the bytes."""

    def get_file(request: Request) -> Response:
        file_id = request.get_json()["file_id"]
        corpo = {"ok": True, "result": {"file_id": file_id, "file_path": f"docs/{file_id}.bin"}}
        return Response(json.dumps(corpo), content_type="application/json")

    def baixar(request: Request) -> Response:
        file_id = request.path.rsplit("/", 1)[-1].removesuffix(".bin")
        return Response(conteudo_midia(file_id), content_type="application/octet-stream")

    httpserver.expect_request(f"/bot{token}/getFile", method="POST").respond_with_handler(get_file)
    httpserver.expect_request(
        re.compile(rf"^/file/bot{re.escape(token)}/.+$")
    ).respond_with_handler(baixar)


@pytest.fixture
def midia_em_tmp(settings, tmp_path):
    """Downloaded media goes to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
