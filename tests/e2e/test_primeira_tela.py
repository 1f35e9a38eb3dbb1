"""The first screen, in headless Chromium against a real daphne: an agent with nothing assigned
while customers wait in their queue logs in and sees those customers first; every tab's count
follows the desk live (a new ticket raises the "unassigned" count without a reload); the tab
the agent picks is the one the inbox reopens on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from atendimento.realtime.eventos import publicar_novo_ticket
from tests.factories import ContatoFactory, TicketFactory
from tests.processos import servidor_daphne

from .test_inbox import ARGS_CHROMIUM, CHROMIUM, ESPERA_MS, entrar

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integracao,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]


def _esperando(empresa, fila, canal, nome, minutos):
    return TicketFactory(
        empresa=empresa,
        canal=canal,
        fila=fila,
        contato=ContatoFactory(empresa=empresa, nome=nome),
        ultima_mensagem_em=timezone.now() - timedelta(minutes=minutos),
    )


def _novo_cliente_esperando(empresa, fila, canal) -> None:
    """Off Playwright's event loop (the ORM there would open a connection nobody closes)."""

    def criar() -> None:
        try:
            publicar_novo_ticket(_esperando(empresa, fila, canal, "Ana Nova", 0))
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as executor:
        executor.submit(criar).result()


def test_atendente_ve_primeiro_os_clientes_que_esperam(
    empresa, fila, atendente, canal_whatsapp, outra_fila, monkeypatch
):
    if not CHROMIUM.exists():
        pytest.skip("Chromium não está instalado em /usr/bin/chromium (make chromium instala)")
    from playwright.sync_api import expect, sync_playwright

    _esperando(empresa, fila, canal_whatsapp, "Maria Souza", 41)
    _esperando(empresa, fila, canal_whatsapp, "João Lima", 5)
    _esperando(empresa, outra_fila, canal_whatsapp, "De Outra Fila", 3)  # not this agent's
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=ESPERA_MS)

    with servidor_daphne() as base, sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS_CHROMIUM
        )
        try:
            beto = entrar(navegador, base, atendente)

            expect(beto.locator("input[name=aba][value=fila]")).to_be_checked()
            itens = beto.locator("#lista-tickets .item")
            expect(itens).to_have_count(2)
            expect(itens.first).to_contain_text("João Lima")
            expect(itens.last).to_contain_text("Maria Souza")
            expect(beto.locator(".lista__vazia")).to_have_count(0)
            expect(beto.locator("#contagem-fila")).to_have_text("2")
            expect(beto.locator("#contagem-meus")).to_have_text("0")

            # a new customer in the agent's queue: the list and the count follow, live
            _novo_cliente_esperando(empresa, fila, canal_whatsapp)
            expect(beto.locator("#contagem-fila")).to_have_text("3")
            expect(itens).to_have_count(3)
            expect(itens.first).to_contain_text("Ana Nova")
            assert beto.evaluate("window.__semRecarregar") is True

            # the agent picks "Meus" (empty) and reloads: with customers waiting, the inbox
            # still opens on them; once they pick a tab that holds work it is the one reopened
            beto.click("label.aba:has(input[value=meus])")
            expect(beto.locator(".lista__vazia")).to_be_visible()
            beto.goto(f"{base}/inbox/")
            expect(beto.locator("input[name=aba][value=fila]")).to_be_checked()
            expect(itens).to_have_count(3)
        finally:
            navegador.close()
