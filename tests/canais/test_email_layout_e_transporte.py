"""The reply's look (the empresa's layout and signature, edited in the admin) and its transport
(the channel's own SMTP, else the empresa's SMTP/SendGrid integration, else ``EMAIL_URL``),
seen at a real SMTP server."""

from __future__ import annotations

import pytest
from django.urls import reverse

from atendimento.models import Atendente, IntegracaoConfig, Mensagem
from canais.tasks.envio import enviar_mensagem
from tests.factories import AtendenteFactory, UsuarioFactory
from tests.saida_apoio import saida_pendente, ticket_aberto

from .email_apoio import canal_email

LAYOUT = (
    '<table width="100%"><tr><td style="color:#123456"><img src="https://loja.com.br/logo.png" '
    'alt="Loja"><script>alert(1)</script>{{conteudo}}<hr>{{assinatura}}'
    "<p>{{empresa.nome}} · ticket {{ticket.numero}}</p></td></tr></table>"
)


@pytest.fixture
def ticket(empresa, fila):
    canal = canal_email(empresa, fila)
    ticket = ticket_aberto(canal, fila, conversa="<raiz@cliente.com.br>", nome="<b>Ana</b>")
    ticket.contato.email = "ana@cliente.com.br"
    ticket.contato.save()
    return ticket


def _enviar(ticket, atendente, texto="Olá!\nSeu pedido saiu.") -> Mensagem:
    mensagem = saida_pendente(ticket, atendente, conteudo=texto)
    enviar_mensagem.apply(args=[str(mensagem.id)])
    mensagem.refresh_from_db()
    return mensagem


def _usar_smtp(ticket, url):
    canal = ticket.canal
    canal.segredos = {**canal.segredos, "smtp_url": url}
    canal.save()


def test_layout_e_assinatura_editados_no_admin(client, ticket, atendente, servidor_smtp):
    caixa, url = servidor_smtp
    _usar_smtp(ticket, url)
    empresa = ticket.empresa
    dono = AtendenteFactory(
        empresa=empresa, usuario=UsuarioFactory(is_staff=True), papel=Atendente.Papel.ADMIN
    )
    client.force_login(dono.usuario)
    pagina = reverse("admin:atendimento_empresa_change", args=[empresa.pk])
    assert "Layout do e-mail" in client.get(pagina).content.decode()
    resposta = client.post(
        pagina,
        {
            "nome": empresa.nome,
            "slug": empresa.slug,
            "ativo": "on",
            "fuso_horario": empresa.fuso_horario,
            "configuracoes": "{}",
            "layout_email": LAYOUT,
            "assinatura_email": "{{atendente.nome}} — Equipe {{empresa.nome}}",
        },
    )
    assert resposta.status_code == 302, resposta.content.decode()[:3000]

    mensagem = _enviar(ticket, atendente)

    assert mensagem.status == "enviada", mensagem.erro_detalhe
    (envelope,) = caixa.recebidas
    (enviada,) = caixa.mensagens()
    assert enviada.get_content_type() == "multipart/alternative"
    texto = enviada.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert texto == f"Olá!\nSeu pedido saiu.\n\n-- \n{atendente.nome} — Equipe {empresa.nome}\n"
    html = enviada.get_body(("html",)).get_content()
    assert '<td style="color:#123456">' in html
    assert '<img src="https://loja.com.br/logo.png" alt="Loja">' in html
    assert "<script" not in html
    assert "<p>Olá!<br>Seu pedido saiu.</p>" in html
    assert f"{atendente.nome} — Equipe {empresa.nome}" in html
    assert f"{empresa.nome} · ticket {ticket.numero}" in html
    assert envelope.rcpt_tos == ["ana@cliente.com.br"]


def test_layout_sem_conteudo_e_recusado_no_admin(client, ticket):
    empresa = ticket.empresa
    dono = AtendenteFactory(
        empresa=empresa, usuario=UsuarioFactory(is_staff=True), papel=Atendente.Papel.ADMIN
    )
    client.force_login(dono.usuario)
    resposta = client.post(
        reverse("admin:atendimento_empresa_change", args=[empresa.pk]),
        {"nome": empresa.nome, "slug": empresa.slug, "fuso_horario": empresa.fuso_horario,
         "configuracoes": "{}", "layout_email": "<p>sem a mensagem</p>"},
    )  # fmt: skip
    assert resposta.status_code == 200
    assert "O layout precisa de {{conteudo}}." in resposta.content.decode()
    empresa.refresh_from_db()
    assert "email" not in empresa.configuracoes


def test_variaveis_escapadas_no_html(ticket, atendente, servidor_smtp):
    caixa, url = servidor_smtp
    _usar_smtp(ticket, url)
    empresa = ticket.empresa
    empresa.configuracoes = {"email": {"layout_html": "<p>Oi {{contato.nome}}</p>{{conteudo}}"}}
    empresa.save()

    _enviar(ticket, atendente, "x < y & <i>z</i>")

    html = caixa.mensagens()[0].get_body(("html",)).get_content()
    assert "<p>Oi &lt;b&gt;Ana&lt;/b&gt;</p>" in html
    assert "x &lt; y &amp; &lt;i&gt;z&lt;/i&gt;" in html


def test_sem_smtp_proprio_usa_a_integracao_da_empresa(ticket, atendente, servidor_smtp):
    caixa, url = servidor_smtp
    IntegracaoConfig.objects.create(
        empresa=ticket.empresa, tipo=IntegracaoConfig.Tipo.SMTP, segredos={"smtp_url": url}
    )
    assert _enviar(ticket, atendente).status == "enviada"
    assert len(caixa.recebidas) == 1


def test_integracao_inativa_ou_de_outra_empresa_nao_vale(
    ticket, atendente, servidor_smtp, outra_empresa
):
    _, url = servidor_smtp
    IntegracaoConfig.objects.create(
        empresa=ticket.empresa, tipo="smtp", ativo=False, segredos={"smtp_url": url}
    )
    IntegracaoConfig.objects.create(empresa=outra_empresa, tipo="smtp", segredos={"smtp_url": url})
    mensagem = _enviar(ticket, atendente)
    assert (mensagem.status, mensagem.erro_codigo) == ("erro", "config")


def test_sem_smtp_proprio_nem_integracao_usa_email_url(ticket, atendente, servidor_smtp, settings):
    caixa, url = servidor_smtp
    porta = int(url.rsplit(":", 1)[1])
    settings.EMAIL_CONFIG = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": porta,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
    }
    assert _enviar(ticket, atendente).status == "enviada"
    assert len(caixa.recebidas) == 1


def test_email_url_de_console_nao_e_transporte(ticket, atendente, settings):
    settings.EMAIL_CONFIG = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    mensagem = _enviar(ticket, atendente)
    assert mensagem.status == "erro"
    assert "smtp_url ou sendgrid_api_key" in mensagem.erro_detalhe


def test_sem_assunto_o_email_leva_um_assunto_do_atendimento(ticket, atendente, servidor_smtp):
    caixa, url = servidor_smtp
    _usar_smtp(ticket, url)
    ticket.assunto = ""
    ticket.save()

    _enviar(ticket, atendente)

    assunto = caixa.mensagens()[0]["Subject"]
    assert assunto == f"{ticket.empresa.nome}: atendimento #{ticket.numero}"
