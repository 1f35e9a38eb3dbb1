"""Inbound e-mail attachments become media with the same storage, limits and access rules as
WhatsApp media (read from the stored webhook, no provider call); inline ``cid:`` images show in
place; the inbox never shows a live script nor loads a remote image (tracking pixel)."""

from __future__ import annotations

import pytest
from django.test import Client

from atendimento.models import Mensagem, Ticket
from tests.factories import AtendenteFactory

from .email_apoio import canal_email, email, postar_email
from .webhook_apoio import celery_eager, midia_em_tmp  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("celery_eager", "midia_em_tmp")

PNG = b"\x89PNG\r\n\x1a\n-logo-da-cliente"
PDF = b"%PDF-1.7 boleto"
HOSTIL = (
    "<html><head><style>body{background:url(https://rastreador.exemplo/css.gif)}</style>"
    "<script>alert('x')</script></head><body>"
    "<p onclick=\"alert('y')\">Segue o boleto.</p>"
    '<p><img src="cid:logo@cliente" alt="logo"></p>'
    '<img src="https://rastreador.exemplo/pixel.gif?id=42" width="1" height="1">'
    '<div style="background-image:url(https://rastreador.exemplo/bg.gif)">fundo</div>'
    '<a href="javascript:alert(1)">clique</a> <a href="https://loja.com.br/x">site</a>'
    '<iframe src="https://rastreador.exemplo/frame"></iframe>'
    "<blockquote>Em 1 de out, Loja escreveu:<blockquote>mais antigo</blockquote></blockquote>"
    '<div class="gmail_quote">citação do Gmail</div>'
    "</body></html>"
)


@pytest.fixture
def canal(empresa, fila):
    return canal_email(empresa, fila)


@pytest.fixture
def postado(client, canal, django_capture_on_commit_callbacks):
    msg = email(
        texto="Segue o boleto.",
        html=HOSTIL,
        anexos=[
            (PNG, "image/png", "logo.png", "logo@cliente"),
            (PDF, "application/pdf", "boleto.pdf", ""),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert postar_email(client, canal.empresa.id, msg).status_code == 200
    return Mensagem.objects.get(direcao="entrada")


def _cliente(atendente) -> Client:
    cliente = Client()
    cliente.force_login(atendente.usuario)
    return cliente


def test_anexo_vira_midia_e_imagem_inline_fica_guardada(postado, atendente):
    assert (postado.tipo, postado.conteudo) == ("texto", "Segue o boleto.")
    assert postado.midia_status == Mensagem.StatusMidia.DISPONIVEL
    assert (postado.midia_nome, postado.midia_mime) == ("boleto.pdf", "application/pdf")
    assert postado.midia_arquivo.read() == PDF
    (inline,) = [a for a in postado.dados["anexos"] if a["inline"]]
    assert inline["content_id"] == "logo@cliente"
    assert inline["arquivo"].startswith(f"midia/{postado.empresa_id}/{postado.ticket_id}/")

    resposta = _cliente(atendente).get(f"/midia/{postado.id}/inline/1/")
    assert resposta.status_code == 200
    assert b"".join(resposta.streaming_content) == PNG
    assert resposta["Content-Type"] == "image/png"
    assert resposta["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert _cliente(atendente).get(f"/midia/{postado.id}/inline/2/").status_code == 404  # the PDF


def test_imagem_inline_so_para_quem_ve_o_ticket(
    postado, admin_outra_empresa, atendente_outra_fila, client
):
    url = f"/midia/{postado.id}/inline/1/"
    assert client.get(url).status_code == 401
    assert _cliente(admin_outra_empresa).get(url).status_code == 404
    assert _cliente(atendente_outra_fila).get(url).status_code == 404


def test_caixa_de_entrada_sem_script_nem_imagem_remota(postado, atendente):
    html = _cliente(atendente).get(f"/inbox/tickets/{postado.ticket_id}/").content.decode()
    corpo = html[html.index('class="mensagem__html"') :]
    corpo = corpo[: corpo.index("</article>")]

    assert "rastreador" not in corpo  # no pixel, no CSS background, no frame
    assert "<script" not in corpo
    assert "alert(" not in corpo
    assert "javascript:" not in corpo
    assert "onclick" not in corpo
    assert "<iframe" not in corpo
    assert "style=" not in corpo
    assert f'<img src="/midia/{postado.id}/inline/1/" alt="logo">' in corpo
    assert 'href="https://loja.com.br/x"' in corpo
    # the quoted history is collapsed (one block per outermost quote)
    assert corpo.count("<details") == 2
    assert "mais antigo" in corpo


def test_anexo_acima_do_limite_do_canal_vira_erro(
    client, canal, monkeypatch, django_capture_on_commit_callbacks
):
    from canais.adapters.email import AdaptadorEmail as Adaptador

    monkeypatch.setattr(Adaptador, "limite_download_bytes", 10)
    msg = email(anexos=[(PDF, "application/pdf", "boleto.pdf", "")])
    with django_capture_on_commit_callbacks(execute=True):
        assert postar_email(client, canal.empresa.id, msg).status_code == 200

    mensagem = Mensagem.objects.get()
    assert mensagem.midia_status == Mensagem.StatusMidia.ERRO
    assert "excede o limite" in mensagem.dados["midia_erro"]


def test_varios_anexos_uma_mensagem_cada(client, canal, django_capture_on_commit_callbacks):
    msg = email(
        texto="Dois arquivos",
        anexos=[(PDF, "application/pdf", "a.pdf", ""), (PNG, "image/png", "b.png", "")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert postar_email(client, canal.empresa.id, msg).status_code == 200

    primeira, segunda = Mensagem.objects.order_by("id_externo")
    assert (primeira.midia_nome, primeira.midia_arquivo.read()) == ("a.pdf", PDF)
    assert (segunda.tipo, segunda.midia_nome, segunda.midia_arquivo.read()) == (
        "imagem",
        "b.png",
        PNG,
    )
    assert Ticket.objects.get().total_mensagens == 2


def test_outra_empresa_nao_ve_o_anexo(postado):
    outro = AtendenteFactory(papel="admin")
    assert _cliente(outro).get(f"/midia/{postado.id}/").status_code == 404


def test_texto_simples_mostra_so_o_novo_e_guarda_o_historico(
    client, canal, atendente, django_capture_on_commit_callbacks
):
    texto = (
        "Ainda não chegou.\n\nEm seg., 1 de dez. de 2026 às 10:00, Loja escreveu:\n"
        "> Enviamos ontem."
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert postar_email(client, canal.empresa.id, email(texto=texto)).status_code == 200

    mensagem = Mensagem.objects.get()
    assert mensagem.conteudo == "Ainda não chegou."
    html = _cliente(atendente).get(f"/inbox/tickets/{mensagem.ticket_id}/").content.decode()
    novo = html.index("Ainda não chegou.")
    dobrado = html.index('<details class="mensagem__historico">', novo)
    assert html.index("&gt; Enviamos ontem.", dobrado) > dobrado


def test_historico_do_outlook_fica_recolhido(
    client, canal, atendente, django_capture_on_commit_callbacks
):
    outlook = (
        '<html><body><div class="WordSection1"><p class="MsoNormal">Pode cancelar o pedido.</p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b>De:</b> Loja Aurora<br><b>Enviado:</b> segunda-feira</p></div>'
        '<p class="MsoNormal">Seu pedido foi enviado.</p></div></body></html>'
    )
    with django_capture_on_commit_callbacks(execute=True):
        msg = email(texto="Pode cancelar o pedido.", html=outlook)
        assert postar_email(client, canal.empresa.id, msg).status_code == 200
    mensagem = Mensagem.objects.get()

    html = _cliente(atendente).get(f"/inbox/tickets/{mensagem.ticket_id}/").content.decode()
    corpo = html[html.index('class="mensagem__html"') :]
    corpo = corpo[: corpo.index("</article>")]
    novo = corpo.index("Pode cancelar o pedido.")
    dobra = corpo.index('<details class="mensagem__historico">')
    assert novo < dobra < corpo.index("Seu pedido foi enviado.")
    assert corpo.count("<details") == 1
