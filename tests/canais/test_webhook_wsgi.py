"""The WSGI application (what daphne and gunicorn serve) sends provider webhooks to a handler
without middleware and everything else through the full stack; host validation still holds."""

from __future__ import annotations

import io
import sys

import pytest

from atendimento.models import EventoWebhook
from conectcrm.wsgi import application

from .webhook_apoio import assinar, canal_wa, url_webhook

PNID = "106540352242999"

# the real handler closes the connection at the end of each request (request_finished)
pytestmark = pytest.mark.django_db(transaction=True)


def chamar(caminho: str, corpo: bytes = b"", host: str = "testserver", **cabecalhos):
    respostas = []
    environ = {
        "REQUEST_METHOD": "POST" if corpo else "GET",
        "PATH_INFO": caminho,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(corpo),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(corpo)),
        "CONTENT_TYPE": "application/json",
        **cabecalhos,
    }
    conteudo = b"".join(application(environ, lambda s, h, e=None: respostas.append((s, h))))
    status, cabecalhos_resposta = respostas[0]
    return int(status.split()[0]), dict(cabecalhos_resposta), conteudo


def test_webhook_sem_middleware_e_resto_com(empresa, fila, fixture_bytes):
    canal_wa(empresa, fila, pnid=PNID)
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json").replace(
        b"106540352242922", PNID.encode()
    )

    status, cabecalhos, conteudo = chamar(
        url_webhook("whatsapp", empresa.id), corpo, HTTP_X_HUB_SIGNATURE_256=assinar(corpo)
    )
    assert (status, conteudo) == (200, b"ok")
    assert "X-Frame-Options" not in cabecalhos  # no middleware ran
    assert EventoWebhook.objects.get().status == "recebido"

    status, cabecalhos, _ = chamar("/accounts/login/")
    assert status == 200
    assert cabecalhos["X-Frame-Options"] == "DENY"


def test_webhook_host_nao_permitido_400_nada_gravado(empresa, fila, fixture_bytes):
    canal_wa(empresa, fila, pnid=PNID)
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")

    status, _, _ = chamar(
        url_webhook("whatsapp", empresa.id), corpo, host="malicioso.example",
        HTTP_X_HUB_SIGNATURE_256=assinar(corpo),
    )  # fmt: skip

    assert status == 400
    assert EventoWebhook.objects.count() == 0
