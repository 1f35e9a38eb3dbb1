"""The inbox end to end, in headless Chromium (Debian's, driven by Playwright) against a real
daphne and a real Celery worker on the test database and Redis:

an agent logs in; a signed WhatsApp webhook arrives; the conversation appears in the list and
the message in the open conversation without a reload; the agent answers with a quick reply
(``/saudacao``); the local Graph API server receives it; a ``read`` status webhook turns the
ticks blue without a reload; an agent of another queue never sees any of it.

Screenshots go to ``artifacts/e2e/`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path

import httpx
import pytest
from werkzeug import Response

from tests.factories import CanalFactory, TemplateFactory
from tests.processos import RAIZ, celery_worker, servidor_daphne

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integracao,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

CHROMIUM = Path("/usr/bin/chromium")
ARGS_CHROMIUM = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ARTEFATOS = RAIZ / "artifacts" / "e2e"
ESPERA_MS = 30_000
#: what the browsers did (requests, responses, console), saved next to the screenshots
DIARIO: list[str] = []

PNID = "106540352242922"
APP_SECRET = "segredo-do-app"
WA_ID = "5511987654321"
WAMID_RESPOSTA = "wamid.RESPOSTA-SAUDACAO-1"
SAUDACAO = "Olá Maria, aqui é Beto. Como posso ajudar?"


# ------------------------------------------------------------------ provider side
def _webhook(valor: dict) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "551130000000",
                                    "phone_number_id": PNID,
                                },
                                **valor,
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def mensagem_do_cliente(wamid: str, texto: str) -> bytes:
    return _webhook(
        {
            "contacts": [{"profile": {"name": "Maria Souza"}, "wa_id": WA_ID}],
            "messages": [
                {
                    "from": WA_ID,
                    "id": wamid,
                    "timestamp": str(int(time.time())),
                    "type": "text",
                    "text": {"body": texto},
                }
            ],
        }
    )


def status_lida(wamid: str) -> bytes:
    return _webhook(
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": "read",
                    "timestamp": str(int(time.time())),
                    "recipient_id": WA_ID,
                }
            ]
        }
    )


def postar_assinado(base: str, empresa_id, corpo: bytes) -> None:
    """POST the raw body to the webhook URL with a real X-Hub-Signature-256."""
    assinatura = hmac.new(APP_SECRET.encode(), corpo, hashlib.sha256).hexdigest()
    resposta = httpx.post(
        f"{base}/api/atendimento/webhooks/whatsapp/{empresa_id}/",
        content=corpo,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={assinatura}"},
        timeout=10,
    )
    assert resposta.status_code == 200, resposta.text


def graph_api(requisicao) -> Response:
    """The Cloud API's ``POST /{version}/{phone_number_id}/messages``: read receipts and typing
    get ``success``; a message gets its wamid."""
    corpo = requisicao.get_json(silent=True) or {}
    if corpo.get("status") == "read":
        return Response(json.dumps({"success": True}), content_type="application/json")
    return Response(
        json.dumps(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": f"+{WA_ID}", "wa_id": WA_ID}],
                "messages": [{"id": WAMID_RESPOSTA}],
            }
        ),
        content_type="application/json",
    )


def textos_enviados(httpserver) -> list[str]:
    enviados = []
    for requisicao, _resposta in httpserver.log:
        corpo = requisicao.get_json(silent=True) or {}
        if corpo.get("type") == "text":
            enviados.append(corpo["text"]["body"])
    return enviados


def esperar(condicao, descricao: str, limite: float = 30.0):
    fim = time.monotonic() + limite
    while time.monotonic() < fim:
        resultado = condicao()
        if resultado:
            return resultado
        time.sleep(0.2)
    raise AssertionError(f"não aconteceu: {descricao}")


# ------------------------------------------------------------------ browser side
def entrar(navegador, base: str, atendente, destino: str = "/inbox/"):
    contexto = navegador.new_context(viewport={"width": 1440, "height": 900}, locale="pt-BR")
    pagina = contexto.new_page()
    quem = atendente.nome
    pagina.on("console", lambda m: DIARIO.append(f"{quem}: console {m.type}: {m.text}"))
    pagina.on("request", lambda r: DIARIO.append(f"{quem}: -> {r.method} {r.url}"))
    pagina.on("response", lambda r: DIARIO.append(f"{quem}: <- {r.status} {r.url}"))
    pagina.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda f: DIARIO.append(f"{quem}: ws {str(f)[:160]}")),
    )
    pagina.set_default_timeout(ESPERA_MS)
    pagina.goto(f"{base}/accounts/login/")
    pagina.fill("#id_username", atendente.usuario.username)
    pagina.fill("#id_password", "senha-forte-123")
    pagina.locator("input[name=next]").evaluate(f"(el) => el.value = {destino!r}")
    pagina.click("button[type=submit]")
    pagina.wait_for_url(f"{base}{destino}")
    pagina.wait_for_selector('#conexao[data-estado="conectado"]')
    pagina.evaluate("window.__semRecarregar = true")
    return pagina


@pytest.fixture(autouse=True)
def _diario():
    DIARIO.clear()
    yield
    ARTEFATOS.mkdir(parents=True, exist_ok=True)
    (ARTEFATOS / "navegador.log").write_text("\n".join(DIARIO))


def foto(pagina, nome: str) -> None:
    pagina.screenshot(path=str(ARTEFATOS / f"{nome}.png"))


@pytest.fixture
def cenario(empresa, fila, outra_fila, atendente, atendente_outra_fila, httpserver):
    httpserver.expect_request(f"/v23.0/{PNID}/messages", method="POST").respond_with_handler(
        graph_api
    )
    atendente.nome = "Beto Atendente"
    atendente.save()
    canal = CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        nome="WhatsApp Loja",
        config={
            "phone_number_id": PNID,
            "waba_id": "102290129340398",
            "api_version": "v23.0",
            "api_base_url": httpserver.url_for("/").rstrip("/"),
        },
        identificador=PNID,
    )
    TemplateFactory(
        empresa=empresa,
        nome="Saudação",
        atalho="/saudacao",
        conteudo="Olá {{contato.primeiro_nome}}, aqui é {{atendente.primeiro_nome}}. "
        "Como posso ajudar?",
    )
    return canal


def test_conversa_ao_vivo_do_webhook_ao_lido(
    cenario, empresa, atendente, atendente_outra_fila, supervisor, httpserver, monkeypatch
):
    if not CHROMIUM.exists():
        pytest.skip("Chromium não está instalado em /usr/bin/chromium (make chromium instala)")
    from django.db import connection

    # daphne and the worker read what this test commits: nothing may be left uncommitted
    assert not connection.in_atomic_block, "uma transação aberta por outro teste vazou"
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop in this thread (the ORM is not used below)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTEFATOS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=ESPERA_MS)

    with celery_worker(), servidor_daphne() as base, sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS_CHROMIUM
        )
        try:
            beto = entrar(navegador, base, atendente)
            carla = entrar(navegador, base, atendente_outra_fila)
            for pagina in (beto, carla):
                pagina.click("label.aba:has(input[value=fila])")
                expect(pagina.locator(".lista__vazia")).to_be_visible()
            foto(beto, "01-inbox-vazio")

            # a customer writes: the conversation appears in the list, live
            postar_assinado(
                base, empresa.id, mensagem_do_cliente("wamid.ENTRADA-1", "Oi, meu pedido atrasou")
            )
            item = beto.locator("#lista-tickets .item", has_text="Maria Souza")
            expect(item).to_be_visible()
            expect(item.locator(".item__resumo")).to_contain_text("meu pedido atrasou")
            expect(item.locator(".badge")).to_have_text("1")
            foto(beto, "02-novo-ticket-na-lista")

            # the agent opens it
            item.locator("a").click()
            conversa = beto.locator("#mensagens-recentes")
            expect(conversa).to_contain_text("Oi, meu pedido atrasou")
            ticket_id = beto.locator("#ticket").get_attribute("data-ticket-id")
            expect(beto.locator("#conversa-cabecalho h2")).to_have_text("Maria Souza")

            # a second message shows up in the open conversation without a reload
            postar_assinado(base, empresa.id, mensagem_do_cliente("wamid.ENTRADA-2", "Alguém aí?"))
            expect(conversa.locator(".mensagem--entrada")).to_have_count(2)
            expect(conversa.locator(".mensagem--entrada").last).to_contain_text("Alguém aí?")
            foto(beto, "03-conversa-ao-vivo")

            # a supervisor opens the same conversation and types: the agent sees it
            sergio = entrar(navegador, base, supervisor, f"/inbox/tickets/{ticket_id}/")
            sergio.locator("#composer-texto").press_sequentially("Um momento")
            digitando = beto.locator("#digitando")
            expect(digitando).to_be_visible()
            expect(digitando).to_have_text("Sérgio Sup está digitando…")
            foto(beto, "03b-supervisor-digitando")
            expect(digitando).to_be_hidden()  # stopped typing: the indicator goes away
            sergio.context.close()

            # quick reply: "/saudacao" lists it, Enter picks it, Enter sends it
            campo = beto.locator("#composer-texto")
            campo.click()
            campo.press_sequentially("/saudacao")
            sugestao = beto.locator("#sugestoes .sugestao")
            expect(sugestao).to_contain_text("/saudacao")
            expect(sugestao).to_contain_text(SAUDACAO)
            foto(beto, "04-resposta-rapida")
            campo.press("Enter")
            expect(beto.locator("#composer-texto")).to_have_value(SAUDACAO)
            beto.locator("#composer-texto").press("Enter")

            # the local Graph API receives it; the message moves to "enviada"
            esperar(lambda: SAUDACAO in textos_enviados(httpserver), "Graph API recebeu a saudação")
            enviada = conversa.locator(".mensagem--saida", has_text=SAUDACAO)
            expect(enviada).to_have_count(1)
            expect(beto.locator("#composer-texto")).to_have_value("")
            expect(enviada.locator(".ticks")).to_have_class("ticks ticks--enviada")
            foto(beto, "05-resposta-enviada")

            # the customer reads it: blue ticks, live
            postar_assinado(base, empresa.id, status_lida(WAMID_RESPOSTA))
            ticks = enviada.locator(".ticks")
            expect(ticks).to_have_class("ticks ticks--lida")
            expect(ticks).to_have_attribute("aria-label", "Lida")
            assert ticks.evaluate("el => getComputedStyle(el).color") == "rgb(26, 115, 232)"
            foto(beto, "06-lida")
            assert beto.evaluate("window.__semRecarregar") is True

            # the agent's own status, from the header (kept across a reload)
            beto.select_option("#status-select", "ausente")
            expect(beto.locator(".status__ponto--ausente")).to_be_visible()
            beto.reload()
            expect(beto.locator("#status-select")).to_have_value("ausente")

            # the agent of another queue never saw it, in any tab
            assert carla.evaluate("window.__semRecarregar") is True
            expect(carla.locator("#lista-tickets .item")).to_have_count(0)
            assert "Maria Souza" not in carla.content()
            foto(carla, "07-outra-fila-nao-ve")
            for aba in ("meus", "fila"):
                carla.click(f"label.aba:has(input[value={aba}])")
                expect(carla.locator(".lista__vazia")).to_be_visible()
            resposta = carla.goto(f"{base}/inbox/tickets/{ticket_id}/")
            assert resposta.status == 404
            foto(carla, "08-outra-fila-404")
        finally:
            navegador.close()

    assert os.path.exists(ARTEFATOS / "06-lida.png")
