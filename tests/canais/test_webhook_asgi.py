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


# ------------------------------------------------------------------------------- no thread
@pytest.fixture
def chamadas_ao_pool(monkeypatch):
    """How many requests the bridge ran in the thread pool (the full view)."""
    from conectcrm.ponte_webhooks import PonteWebhooks

    contagem = {"n": 0}
    original = PonteWebhooks._chamar

    def contado(self, environ):
        contagem["n"] += 1
        return original(self, environ)

    monkeypatch.setattr(PonteWebhooks, "_chamar", contado)
    return contagem


@pytest.fixture
def canal_em_cache(settings, empresa, corpo, chamadas_ao_pool):
    """Channels kept per process (as in production); the first webhook — a cache miss, so
    the full view in the pool — puts this one in the cache."""
    from canais import webhooks

    settings.WEBHOOK_CACHE_CANAL_SEGUNDOS = 5
    webhooks._CANAIS.clear()
    url = url_webhook("whatsapp", empresa.id)
    assert _asgi(url, [corpo], x_hub_signature_256=assinar(corpo))[0] == 200
    assert chamadas_ao_pool["n"] == 1
    yield url
    webhooks._CANAIS.clear()


def test_canal_em_cache_sem_thread_gravado_antes_do_200(empresa, corpo, canal_em_cache,
                                                        chamadas_ao_pool):  # fmt: skip
    outro = corpo.replace(b"wamid.", b"wamid.sem-thread.")

    status, cabecalhos, conteudo, _ = _asgi(
        canal_em_cache, [outro[:70], outro[70:]], x_hub_signature_256=assinar(outro)
    )

    assert (status, conteudo, cabecalhos["content-type"]) == (200, b"ok", "text/plain")
    assert chamadas_ao_pool["n"] == 1  # answered from the event loop
    ultimo = EventoWebhook.objects.order_by("-recebido_em").first()
    assert (bytes(ultimo.corpo), ultimo.status) == (outro, "recebido")  # durable before the 200
    assert EventoWebhook.objects.count() == 2


@pytest.mark.parametrize(
    ("assinatura", "host"),
    [("sha256=" + "0" * 64, "testserver"), (None, "testserver"), ("", "evil.example")],
)
def test_canal_em_cache_recusas_iguais_ao_wsgi(empresa, corpo, canal_em_cache, assinatura, host):
    assinatura = assinar(corpo) if assinatura == "" else assinatura
    extra = {"x_hub_signature_256": assinatura} if assinatura else {}

    status, _, conteudo, _ = _asgi(canal_em_cache, [corpo], host=host, **extra)

    wsgi_extra = {"HTTP_X_HUB_SIGNATURE_256": assinatura} if assinatura else {}
    assert (status, conteudo) == chamar(canal_em_cache, corpo, host=host, **wsgi_extra)[::2]
    assert EventoWebhook.objects.count() == 1  # the warm-up's only


def test_canal_em_cache_banco_fora_503_nada_respondido_como_gravado(
    monkeypatch, empresa, corpo, canal_em_cache
):
    from concurrent.futures import Future

    from django.db import OperationalError

    from canais.gravacao import gravador

    def falha(evento):
        futuro = Future()
        futuro.set_exception(OperationalError("banco fora do ar"))
        return futuro

    monkeypatch.setattr(gravador, "enfileirar", falha)
    outro = corpo.replace(b"wamid.", b"wamid.banco-fora.")

    status, _, _, _ = _asgi(canal_em_cache, [outro], x_hub_signature_256=assinar(outro))

    assert status == 503  # not stored: the provider must retry
    assert EventoWebhook.objects.count() == 1


def test_canal_inativo_em_cache_guardado_como_ignorado(empresa, corpo, canal_em_cache):
    from atendimento.models import Canal
    from canais import webhooks

    Canal.objects.filter(identificador=PNID).update(ativo=False)
    for chave, (validade, canal, config) in list(webhooks._CANAIS.items()):
        canal.ativo = False  # as the cache would hold it after its next refresh
        webhooks._CANAIS[chave] = (validade, canal, config)
    outro = corpo.replace(b"wamid.", b"wamid.inativo.")

    status, _, conteudo, _ = _asgi(canal_em_cache, [outro], x_hub_signature_256=assinar(outro))

    assert (status, conteudo) == (200, b"ok")
    ultimo = EventoWebhook.objects.order_by("-recebido_em").first()
    assert (ultimo.status, ultimo.erro) == ("ignorado", "canal inativo")
