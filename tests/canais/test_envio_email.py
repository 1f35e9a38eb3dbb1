"""Outbound e-mail through SendGrid v3 at a local server: a reply is threaded on the customer's
message (In-Reply-To / References / "Re:" subject) and goes to their Reply-To."""

from __future__ import annotations

import pytest

from atendimento.models import Mensagem
from canais.tasks.envio import enviar_mensagem
from tests.factories import CanalFactory
from tests.saida_apoio import base_url, entrada, saida_pendente, ticket_aberto

from .webhook_apoio import midia_em_tmp  # noqa: F401 - fixture

RAIZ = "<raiz-123@cliente.com.br>"


@pytest.fixture
def canal(empresa, fila, httpserver):
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="email",
        nome="Suporte",
        config={
            "endereco": "suporte@loja.com.br",
            "nome_remetente": "Loja Aurora",
            "api_base_url": base_url(httpserver),
        },
        segredos={"sendgrid_api_key": "SG.chave", "inbound_senha": "x"},
        identificador="suporte@loja.com.br",
    )


@pytest.fixture
def ticket(canal, fila):
    return ticket_aberto(canal, fila, conversa=RAIZ, assunto="Pedido 991 atrasado")


def _corpo(httpserver) -> dict:
    ((pedido, _),) = httpserver.log
    return pedido.get_json()


def test_resposta_encadeada_na_mensagem_do_cliente(ticket, atendente, httpserver):
    entrada(
        ticket,
        "<m2@cliente.com.br>",
        dados={
            "cabecalhos": {
                "Message-ID": "<m2@cliente.com.br>",
                "Subject": "Pedido 991 atrasado",
                "In-Reply-To": RAIZ,
                "References": RAIZ,
                "From": "Maria <maria@cliente.com.br>",
                "Reply-To": "maria.silva@cliente.com.br",
            }
        },
    )
    mensagem = saida_pendente(ticket, atendente, conteudo="Já despachamos hoje.")
    httpserver.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_data(
        "", status=202
    )

    enviar_mensagem.apply(args=[str(mensagem.id)])

    corpo = _corpo(httpserver)
    assert corpo["personalizations"] == [{"to": [{"email": "maria.silva@cliente.com.br"}]}]
    assert corpo["subject"] == "Re: Pedido 991 atrasado"
    assert corpo["headers"]["In-Reply-To"] == "<m2@cliente.com.br>"
    assert corpo["headers"]["References"] == f"{RAIZ} <m2@cliente.com.br>"
    texto, html = corpo["content"]
    assert texto == {
        "type": "text/plain",
        "value": f"Já despachamos hoje.\n\n-- \n{atendente.nome}\nLoja Aurora",
    }
    assert html["type"] == "text/html"
    assert "<p>Já despachamos hoje.</p>" in html["value"]
    assert f"{atendente.nome}<br>Loja Aurora" in html["value"]
    assert corpo["reply_to"] == {"email": f"suporte+{ticket.pk.hex}@loja.com.br"}
    assert "Auto-Submitted" not in corpo["headers"]  # a person wrote it
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ENVIADA
    assert mensagem.id_externo == corpo["headers"]["Message-ID"]


def test_sem_email_do_cliente_usa_o_contato_e_o_assunto_do_ticket(ticket, atendente, httpserver):
    ticket.contato.email = "maria@cliente.com.br"
    ticket.contato.save()
    mensagem = saida_pendente(ticket, atendente, conteudo="Olá Maria")
    httpserver.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_data(
        "", status=202
    )

    enviar_mensagem.apply(args=[str(mensagem.id)])

    corpo = _corpo(httpserver)
    assert corpo["personalizations"] == [{"to": [{"email": "maria@cliente.com.br"}]}]
    assert corpo["subject"] == "Pedido 991 atrasado"
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ENVIADA


@pytest.mark.usefixtures("midia_em_tmp")
def test_anexo_vai_como_attachment_do_sendgrid(
    ticket, atendente, httpserver, django_capture_on_commit_callbacks
):
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile

    from atendimento.services.saida import mensagem_enviar_midia

    from .webhook_apoio import modo_eager

    ticket.contato.email = "maria@cliente.com.br"
    ticket.contato.save()
    httpserver.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_data(
        "", status=202
    )
    arquivo = SimpleUploadedFile("nota.pdf", b"%PDF-1.7 nota", content_type="application/pdf")

    with modo_eager(), django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar_midia(
            atendente=atendente, ticket=ticket, arquivo=arquivo, legenda="Segue a nota."
        )

    corpo = _corpo(httpserver)
    assert corpo["attachments"] == [
        {
            "content": base64.b64encode(b"%PDF-1.7 nota").decode(),
            "type": "application/pdf",
            "filename": "nota.pdf",
            "disposition": "attachment",
        }
    ]
    assert corpo["content"][0]["value"].startswith("Segue a nota.")
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ENVIADA
