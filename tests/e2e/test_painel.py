"""The supervisors' dashboard in a real browser: the charts are drawn (pixels on each canvas),
the page refreshes itself, and the console stays clean (no error, no CSP violation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ia.models import AIInsight
from tests.e2e.test_inbox import ARGS_CHROMIUM, ARTEFATOS, CHROMIUM, ESPERA_MS
from tests.factories import MensagemFactory, TicketFactory
from tests.processos import servidor_daphne

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integracao,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

ESCUTA_VIOLACOES = """
window.__violacoes = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violacoes.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`));
"""

#: how many pixels of a canvas are not transparent
PIXELS_PINTADOS = """(canvas) => {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
  return n;
}"""


@pytest.fixture
def movimento(empresa, fila, canal_whatsapp, atendente):
    agora = timezone.now()
    for k in range(6):
        t = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
        t.criado_em = agora - timedelta(days=k, hours=1)
        t.primeira_resposta_em = t.criado_em + timedelta(minutes=3 + k)
        t.sla_primeira_resposta_em = t.criado_em + timedelta(minutes=5)
        t.save()
        MensagemFactory(ticket=t, data=t.criado_em)
        AIInsight.objects.create(
            empresa=empresa,
            ticket=t,
            tipo="sentimento",
            sentimento=("positivo", "neutro", "negativo")[k % 3],
            provider="local",
        )


def test_supervisor_ve_os_graficos_desenhados(supervisor, movimento, monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Chromium não está instalado em /usr/bin/chromium (make chromium instala)")
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=ESPERA_MS)
    console: list[str] = []
    with servidor_daphne() as base, sync_playwright() as p:
        navegador = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS_CHROMIUM
        )
        try:
            contexto = navegador.new_context(
                viewport={"width": 1440, "height": 1000}, locale="pt-BR"
            )
            contexto.add_init_script(ESCUTA_VIOLACOES)
            pagina = contexto.new_page()
            pagina.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            pagina.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            pagina.on(
                "response",
                lambda r: r.status >= 400 and console.append(f"http {r.status} {r.url}"),
            )
            pagina.set_default_timeout(ESPERA_MS)
            pagina.goto(f"{base}/accounts/login/")
            pagina.fill("#id_username", supervisor.usuario.username)
            pagina.fill("#id_password", "senha-forte-123")
            pagina.locator("input[name=next]").evaluate("(el) => el.value = '/dashboard/'")
            pagina.click("button[type=submit]")
            pagina.wait_for_url(f"{base}/dashboard/")

            for grafico in ("dias", "canais", "filas", "sla", "sentimentos"):
                canvas = pagina.locator(f"#grafico-{grafico}")
                expect(canvas).to_have_attribute("data-desenhado", "1")
                assert canvas.evaluate(PIXELS_PINTADOS) > 500, grafico
            # every chart has its table on the page
            expect(pagina.locator("#tabela-filas table")).to_be_visible()
            expect(pagina.locator("#tabela-custo_ia .vazio")).to_be_visible()  # honest empty

            # the htmx refresh redraws the charts
            antes = pagina.locator("#painel-dados").get_attribute("data-atualizado")
            pagina.evaluate(
                "htmx.ajax('GET', document.getElementById('painel-dados').getAttribute('hx-get'),"
                " {target: '#painel-dados', swap: 'outerHTML'})"
            )
            expect(pagina.locator("#painel-dados")).not_to_have_attribute("data-atualizado", antes)
            expect(pagina.locator("#grafico-dias")).to_have_attribute("data-desenhado", "1")
            assert pagina.locator("#grafico-dias").evaluate(PIXELS_PINTADOS) > 500
            ARTEFATOS.mkdir(parents=True, exist_ok=True)
            pagina.screenshot(path=str(ARTEFATOS / "painel.png"), full_page=True)
            assert pagina.evaluate("window.__violacoes") == []
        finally:
            navegador.close()
    assert not [linha for linha in console if linha.startswith(("error", "pageerror"))], console
