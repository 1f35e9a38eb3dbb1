"""The Content-Security-Policy in a real browser: the inbox (list, conversation, composer,
live socket), the admin and the API docs work under it with no violation reported."""

from __future__ import annotations

import pytest

from tests.e2e.test_inbox import ARGS_CHROMIUM, CHROMIUM, ESPERA_MS
from tests.factories import TicketFactory
from tests.processos import servidor_daphne

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integracao,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

#: collects every CSP violation the page reports, before any of the page's own scripts run
ESCUTA_VIOLACOES = """
window.__violacoes = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violacoes.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""


def test_paginas_funcionam_sob_a_csp(admin, canal_whatsapp, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Chromium não está instalado em /usr/bin/chromium (make chromium instala)")
    from playwright.sync_api import expect, sync_playwright

    ticket = TicketFactory(empresa=admin.empresa, canal=canal_whatsapp, atendente=admin)
    admin.usuario.is_staff = True  # the tenant owner is let into /admin/ (criar_empresa does it)
    admin.usuario.save()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=ESPERA_MS)
    console: list[str] = []
    with servidor_daphne() as base, sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS_CHROMIUM
        )
        try:
            contexto = navegador.new_context(locale="pt-BR")
            contexto.add_init_script(ESCUTA_VIOLACOES)
            pagina = contexto.new_page()
            pagina.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            pagina.set_default_timeout(ESPERA_MS)

            pagina.goto(f"{base}/accounts/login/")
            resposta = pagina.goto(f"{base}/accounts/login/")
            assert "script-src 'self'" in resposta.headers["content-security-policy"]
            pagina.fill("#id_username", admin.usuario.username)
            pagina.fill("#id_password", "senha-forte-123")
            pagina.click("button[type=submit]")
            pagina.wait_for_url(f"{base}/inbox/**")
            pagina.wait_for_selector('#conexao[data-estado="conectado"]')
            pagina.goto(f"{base}/inbox/?ticket={ticket.pk}")
            pagina.wait_for_selector('#conexao[data-estado="conectado"]')
            assert pagina.evaluate("window.__violacoes") == []

            pagina.goto(f"{base}/admin/")
            expect(pagina.locator("#site-name")).to_be_visible()
            pagina.goto(f"{base}/admin/atendimento/ticket/")
            expect(pagina.locator("#result_list")).to_be_visible()
            assert pagina.evaluate("window.__violacoes") == []

            pagina.goto(f"{base}/dashboard/")
            expect(pagina.locator("canvas").first).to_be_visible()
            assert pagina.evaluate("window.__violacoes") == []

            pagina.goto(f"{base}/api/docs/")
            expect(pagina.locator(".swagger-ui .info")).to_be_visible()
            assert pagina.evaluate("window.__violacoes") == []
        finally:
            navegador.close()
    assert not [linha for linha in console if "Content Security Policy" in linha], console
