"""The website chat end to end in headless Chromium, against a real daphne and a real Celery
worker: a visitor on the test page opens the widget, writes, and an agent in the inbox sees it
live, answers, and the visitor sees the answer live; an attachment goes through; a second
visitor never sees the first one's conversation; no CSP violation on either side."""

from __future__ import annotations

import pytest

from atendimento.models import Mensagem
from canais import services
from tests.e2e.test_inbox import ARGS_CHROMIUM, CHROMIUM, ESPERA_MS, entrar, foto
from tests.processos import celery_worker, servidor_daphne

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integracao,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005050200ef8b3e9e0000000049454e44ae426082"
)
VIOLACOES = """
window.__violacoes = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violacoes.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def canal(empresa, fila):
    canal = services.canal_criar(
        empresa=empresa,
        tipo="webchat",
        nome="Chat do site",
        config={"titulo": "Loja Aurora", "pedir_nome": True},
        fila_padrao=fila,
    )
    return services.canal_ativar(canal=canal, url_webhook="interno")


def visitante(navegador, base: str, canal, nome: str):
    contexto = navegador.new_context(locale="pt-BR")
    contexto.add_init_script(VIOLACOES)
    pagina = contexto.new_page()
    pagina.set_default_timeout(ESPERA_MS)
    pagina.goto(f"{base}/chat/{canal.identificador}/")
    pagina.click("#conectcrm-webchat-botao")
    chat = pagina.frame_locator("#conectcrm-webchat")
    chat.locator("#prechat input[name=nome]").fill(nome)
    chat.locator("#prechat button").click()
    chat.locator("#conexao[data-estado=conectado]").wait_for()
    return pagina, chat


def test_visitante_e_atendente_conversam_ao_vivo(
    canal, empresa, atendente, monkeypatch, tmp_path, settings
):
    if not CHROMIUM.exists():
        pytest.skip("Chromium não está instalado em /usr/bin/chromium (make chromium instala)")
    from playwright.sync_api import expect, sync_playwright

    settings.MEDIA_ROOT = tmp_path  # the worker and daphne get it through the environment
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=ESPERA_MS)
    foto_png = tmp_path / "produto.png"
    foto_png.write_bytes(PNG)

    with celery_worker(), servidor_daphne() as base, sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS_CHROMIUM
        )
        try:
            joana, chat = visitante(navegador, base, canal, "Joana Visitante")
            beto = entrar(navegador, base, atendente)

            # the visitor writes: the agent sees a new conversation, live
            chat.locator("#texto").fill("Olá, quero saber do meu pedido")
            chat.locator("#texto").press("Enter")
            expect(chat.locator(".msg--entrada")).to_contain_text("Olá, quero saber do meu pedido")
            beto.click("label.aba:has(input[value=fila])")  # the unassigned tickets
            item = beto.locator("#lista-tickets .item", has_text="Joana Visitante")
            expect(item).to_be_visible()
            item.locator("a").click()
            conversa = beto.locator("#mensagens-recentes")
            expect(conversa).to_contain_text("Olá, quero saber do meu pedido")
            foto(beto, "webchat-01-atendente-ve")

            # the agent answers: the visitor sees it, live; it ends read
            beto.locator("#composer-texto").fill("Oi Joana! Já verifico para você.")
            beto.locator("#composer-texto").press("Enter")
            expect(chat.locator(".msg--saida")).to_contain_text("Já verifico para você")
            foto(joana, "webchat-02-visitante-ve")
            resposta = conversa.locator(".mensagem--saida", has_text="Já verifico")
            expect(resposta.locator(".ticks")).to_have_class("ticks ticks--lida")

            # an attachment from the visitor reaches the agent's conversation
            chat.locator("#arquivo").set_input_files(str(foto_png))
            chat.locator("#texto").fill("foto do produto")
            chat.locator("#composer button[type=submit]").click()
            expect(conversa).to_contain_text("foto do produto")
            expect(conversa.locator(".mensagem--entrada img")).to_have_count(1)
            foto(beto, "webchat-03-anexo")

            # a second visitor sees nothing of it
            pedro, chat_pedro = visitante(navegador, base, canal, "Pedro")
            expect(chat_pedro.locator("#mensagens")).not_to_contain_text("meu pedido")
            assert chat_pedro.locator(".msg").count() == 0

            for pagina in (joana, pedro, beto):
                violacoes = [frame.evaluate("window.__violacoes || []") for frame in pagina.frames]
                assert not [v for lista in violacoes for v in lista], violacoes
        finally:
            navegador.close()
    assert Mensagem.objects.filter(canal=canal, direcao="entrada").count() == 2
