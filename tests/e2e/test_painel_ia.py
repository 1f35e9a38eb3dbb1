"""The inbox's AI panel end to end, in headless Chromium against a real daphne and a real
Celery worker (offline provider): a customer writes an angry cancellation; the agent asks for
an analysis and the badges, the churn risk and its reasons arrive live (``ticket_atualizado``);
a suggested reply cites the knowledge-base article; one click puts it in the composer, the agent
edits and sends it (recorded as ``editada``); a second suggestion is discarded (``rejeitada``).

Screenshots go to ``artifacts/e2e/`` (git-ignored).
"""

from __future__ import annotations

import pytest

from ia.models import AIResposta, ArtigoConhecimento
from tests.e2e.test_inbox import (  # the inbox's browser helpers and scenario
    ARGS_CHROMIUM,
    ARTEFATOS,
    CHROMIUM,
    ESPERA_MS,
    _diario,  # noqa: F401 - autouse fixture: the browser log next to the screenshots
    cenario,  # noqa: F401 - fixture: WhatsApp channel + fake Graph API
    entrar,
    esperar,
    foto,
    mensagem_do_cliente,
    postar_assinado,
    textos_enviados,
)
from tests.processos import celery_worker, servidor_daphne

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integracao,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

PERGUNTA = "q absurdo ninguem resolve!!! como faço pra cancelar o plano? quero cancelar agora"


def test_painel_de_ia_ao_vivo(cenario, empresa, atendente, httpserver, monkeypatch):  # noqa: F811
    if not CHROMIUM.exists():
        pytest.skip("Chromium não está instalado em /usr/bin/chromium (make chromium instala)")
    from django.db import connection

    assert not connection.in_atomic_block, "uma transação aberta por outro teste vazou"
    from playwright.sync_api import expect, sync_playwright

    artigo = ArtigoConhecimento.objects.create(
        empresa=empresa,
        titulo="Cancelamento do plano",
        conteudo="Você pode cancelar o plano a qualquer momento pelo app, em Conta > Plano > "
        "Cancelar, ou pelo telefone 0800 000 0000. Não há multa.",
    )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=ESPERA_MS)

    with celery_worker(), servidor_daphne() as base, sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS_CHROMIUM
        )
        try:
            beto = entrar(navegador, base, atendente)
            postar_assinado(base, empresa.id, mensagem_do_cliente("wamid.IA-1", PERGUNTA))
            beto.click("label.aba:has(input[value=fila])")
            item = beto.locator("#lista-tickets .item", has_text="Maria Souza")
            item.locator("a").click()
            painel = beto.locator("#painel-ia")
            expect(painel).to_be_visible()

            # "Analisar": the result arrives live, without a reload
            painel.locator('[data-acao="analisar"]').click()
            expect(painel.locator('[data-ia="intencao"]')).to_contain_text("Cancelamento")
            expect(painel.locator('[data-ia="sentimento"]')).to_contain_text("Negativo")
            expect(painel.locator('[data-ia="churn"]')).to_contain_text("pediu para cancelar")
            foto(beto, "ia-01-analise")

            # a suggested reply citing the article; one click puts it in the composer
            painel.locator('[data-acao="sugerir"]').click()
            sugestao = painel.locator(".sugestao-ia")
            expect(sugestao).to_contain_text("Conta > Plano > Cancelar")
            expect(sugestao.locator(".sugestao-ia__fontes")).to_contain_text(artigo.titulo)
            foto(beto, "ia-02-sugestao")
            painel.screenshot(path=str(ARTEFATOS / "ia-02b-painel.png"))
            primeira_id = sugestao.get_attribute("data-sugestao-id")
            sugestao.locator('[data-acao="usar-sugestao"]').click()
            campo = beto.locator("#composer-texto")
            expect(campo).to_have_value(AIResposta.objects.get(pk=primeira_id).resposta)

            # the agent edits it and sends it
            campo.press("End")
            campo.press_sequentially(" Posso ajudar em algo mais?")
            campo.press("Enter")
            esperar(
                lambda: any("Posso ajudar em algo mais?" in t for t in textos_enviados(httpserver)),
                "Graph API recebeu a sugestão editada",
            )
            esperar(
                lambda: AIResposta.objects.get(pk=primeira_id).resultado == "editada",
                "sugestão registrada como editada",
            )
            foto(beto, "ia-03-enviada")

            # a new suggestion, discarded
            expect(painel.locator('[data-acao="sugerir"]')).to_be_visible()
            painel.locator('[data-acao="sugerir"]').click()
            segunda = painel.locator(".sugestao-ia")
            expect(segunda).to_be_visible()
            segunda_id = segunda.get_attribute("data-sugestao-id")
            assert segunda_id != primeira_id
            segunda.locator('[data-acao="descartar-sugestao"]').click()
            expect(painel.locator(".sugestao-ia")).to_have_count(0)
            assert AIResposta.objects.get(pk=segunda_id).resultado == "rejeitada"
            foto(beto, "ia-04-descartada")
            assert beto.evaluate("window.__semRecarregar") is True
        finally:
            navegador.close()
