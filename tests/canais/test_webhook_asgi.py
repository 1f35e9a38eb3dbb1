"""Webhooks through the ASGI application (what uvicorn serves in `make run`): the webhook URLs
go through ``conectcrm.ponte_webhooks`` (body read by the event loop, the same WSGI view run
once in the thread pool) and answer exactly what the WSGI application answers; everything else
still goes through a2wsgi and the full middleware stack."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from atendimento.models import EventoWebhook
from conectcrm.asgi import application

from .test_webhook_wsgi import chamar
from .webhook_apoio import assinar, canal_wa, url_webhook

PNID = "106540352242998"

# the view runs in the pool's threads (their own connections): committed data only
pytestmark = pytest.mark.django_db(transaction=True)


def _asgi(caminho: str, pedacos: list[bytes], *, metodo: str = "POST", consulta: bytes = b"",
          declarado: int | None = None, sem_tamanho: bool = False, host: str = "testserver",
          desconectar: bool = False, **cabecalhos: str):  # fmt: skip
    """Call the ASGI application with the body in ``pedacos``; (status, headers, body, how
    many body messages the application asked for)."""
    corpo = b"".join(pedacos)
    lista = [(b"host", host.encode()), (b"content-type", b"application/json")]
    if not sem_tamanho and (declarado is not None or corpo):
        tamanho = len(corpo) if declarado is None else declarado
        lista.append((b"content-length", str(tamanho).encode()))
    lista += [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in cabecalhos.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": metodo,
        "scheme": "http",
        "path": caminho,
        "raw_path": caminho.encode(),
        "query_string": consulta,
        "root_path": "",
        "headers": lista,
        "client": ("127.0.0.1", 5555),
        "server": ("testserver", 80),
    }
    restantes = list(pedacos) or [b""]
    pedidos = 0
    enviados: list[dict] = []

    async def receive():
        nonlocal pedidos
        pedidos += 1
        if desconectar and pedidos > 1:
            return {"type": "http.disconnect"}
        pedaco = restantes.pop(0) if restantes else b""
        return {"type": "http.request", "body": pedaco, "more_body": bool(restantes)}

    async def send(mensagem):
        enviados.append(mensagem)

    async_to_sync(application)(scope, receive, send)
    if not enviados:
        return None, {}, b"", pedidos
    inicio = enviados[0]
    cabecalhos_resposta = {k.decode(): v.decode() for k, v in inicio["headers"]}
    corpo_resposta = b"".join(m.get("body", b"") for m in enviados[1:])
    return inicio["status"], cabecalhos_resposta, corpo_resposta, pedidos


@pytest.fixture
def corpo(empresa, fila, fixture_bytes):
    canal_wa(empresa, fila, pnid=PNID)
    return fixture_bytes("whatsapp/text_message_metadocs.json").replace(
        b"106540352242922", PNID.encode()
    )


def test_webhook_em_pedacos_gravado_e_respondido_como_no_wsgi(empresa, corpo):
    url = url_webhook("whatsapp", empresa.id)
    pedacos = [corpo[:100], corpo[100:200], corpo[200:]]

    status, cabecalhos, conteudo, _ = _asgi(url, pedacos, x_hub_signature_256=assinar(corpo))

    assert (status, conteudo, cabecalhos["content-type"]) == (200, b"ok", "text/plain")
    assert "x-frame-options" not in cabecalhos  # the webhook handler: no middleware
    evento = EventoWebhook.objects.get()
    assert (bytes(evento.corpo), evento.status) == (corpo, "recebido")
    wsgi = chamar(url, corpo, HTTP_X_HUB_SIGNATURE_256=assinar(corpo))
    assert (wsgi[0], wsgi[2], wsgi[1]["Content-Type"]) == (status, conteudo, "text/plain")


@pytest.mark.parametrize(
    ("caminho", "assinatura", "host"),
    [
        ("whatsapp", "sha256=" + "0" * 64, "testserver"),  # forged
        ("whatsapp", None, "testserver"),  # unsigned
        ("nao-existe", None, "testserver"),  # unknown type
        ("whatsapp", "", "evil.example"),  # host not allowed
    ],
)
def test_recusas_iguais_ao_wsgi_e_nada_gravado(empresa, corpo, caminho, assinatura, host):
    url = url_webhook(caminho, empresa.id)
    assinatura = assinar(corpo) if assinatura == "" else assinatura
    extra = {"x_hub_signature_256": assinatura} if assinatura else {}

    status, _, conteudo, _ = _asgi(url, [corpo], host=host, **extra)

    wsgi_extra = {"HTTP_X_HUB_SIGNATURE_256": assinatura} if assinatura else {}
    assert (status, conteudo) == chamar(url, corpo, host=host, **wsgi_extra)[::2]
    assert status in (400, 401, 403, 404)
    assert not EventoWebhook.objects.exists()


def test_corpo_declarado_grande_demais_413_sem_ler(settings, empresa, corpo):
    settings.WEBHOOK_MAX_BYTES = 1000
    url = url_webhook("whatsapp", empresa.id)

    status, _, _, pedidos = _asgi(url, [corpo], declarado=5000, x_hub_signature_256=assinar(corpo))

    assert (status, pedidos) == (413, 0)
    assert not EventoWebhook.objects.exists()


def test_corpo_sem_tamanho_lido_so_ate_o_limite(settings, empresa, corpo):
    """A chunked body (no Content-Length) is read up to the limit plus one byte, never whole;
    Django sees no declared length (as under any WSGI server) and stores nothing."""
    settings.WEBHOOK_MAX_BYTES = 1000
    url = url_webhook("whatsapp", empresa.id)
    pedacos = [b"x" * 400] * 10

    status, _, _, pedidos = _asgi(
        url, pedacos, sem_tamanho=True, x_hub_signature_256=assinar(b"x" * 4000)
    )

    assert pedidos == 3  # 1,200 bytes read, then it stopped
    assert status in (401, 413)
    assert not EventoWebhook.objects.exists()


def test_cliente_desconectou_no_meio_do_corpo_nada_gravado(empresa, corpo):
    url = url_webhook("whatsapp", empresa.id)

    status, _, _, _ = _asgi(
        url, [corpo[:50], corpo[50:]], desconectar=True, x_hub_signature_256=assinar(corpo)
    )

    assert status is None  # nothing to answer
    assert not EventoWebhook.objects.exists()


def test_handshake_get_pela_ponte(empresa, corpo):
    consulta = b"hub.mode=subscribe&hub.verify_token=token-de-verificacao&hub.challenge=1158"

    status, cabecalhos, conteudo, _ = _asgi(
        url_webhook("whatsapp", empresa.id), [], metodo="GET", consulta=consulta
    )

    assert (status, conteudo, cabecalhos["content-type"]) == (200, b"1158", "text/plain")


def test_resto_do_http_continua_com_middleware(db):
    status, cabecalhos, _, _ = _asgi("/accounts/login/", [], metodo="GET")

    assert status == 200
    assert cabecalhos["x-frame-options"] == "DENY"
