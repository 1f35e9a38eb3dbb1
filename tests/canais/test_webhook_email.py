"""Every SendGrid Inbound Parse fixture posted through the real URL with the channel's Basic
credentials, processed by the real task (Celery eager) and stored as expected: the ticket with
the mail's subject, the message, the attachments as media.  (Event Webhook and SES/SNS
fixtures: test_email_provedores.py.)"""

from __future__ import annotations

import pytest

from atendimento.models import EventoWebhook, Mensagem, Ticket

from .email_apoio import canal_email
from .test_adapter_email import (
    CHATWOOT_ID,
    DOCX,
    GMAIL_ID,
    ID_DEFAULT,
    ID_RAW,
    JPEG,
    basic,
    requisicao_da_fixture,
)
from .webhook_apoio import NADA, celery_eager, contagens, midia_em_tmp, url_webhook  # noqa: F401

pytestmark = pytest.mark.usefixtures("celery_eager", "midia_em_tmp")

#: fixture → (channel address, message id, sender, subject, text, files saved)
ESPERADO = {
    "sendgrid_inbound_parse_default_multipart.txt": (
        "inbound@inbound.example.com", ID_DEFAULT, "test@example.com",
        "Inbound Parse Test Data", "Hello Twilio SendGrid!", [],
    ),
    "sendgrid_inbound_parse_default_fields.parsed.json": (
        "inbound@inbound.example.com", ID_DEFAULT, "test@example.com",
        "Inbound Parse Test Data", "Hello Twilio SendGrid!", [],
    ),
    "sendgrid_inbound_parse_send_raw_multipart.txt": (
        "inbound@inbound.inbound.com", ID_RAW, "test@example.com",
        "Inbound Parse Test Raw Data", "Hello Twilio SendGrid!", [],
    ),
    "sendgrid_inbound_parse_docs_example_php_var_dump.txt": (
        "example@example.comom", GMAIL_ID, "example@example.com", "Different File Types",
        "Here's an email with multiple attachments", [("DockMcWordface.docx", DOCX)],
    ),
    "reply_with_in_reply_to_and_references_chatwoot.eml": (
        "care@example.com", CHATWOOT_ID, "sony@chatwoot.com",
        "Discussion: Let's debate these attachments", "Email with references header", [],
    ),
}  # fmt: skip


@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_fixture_postada_fica_armazenada(
    nome, client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    endereco, id_externo, remetente, assunto, texto, arquivos = ESPERADO[nome]
    canal = canal_email(empresa, fila, endereco=endereco)
    requisicao = requisicao_da_fixture(nome, fixture_bytes, None)

    with django_capture_on_commit_callbacks(execute=True):
        resposta = client.post(
            url_webhook("email", empresa.id),
            data=requisicao.corpo,
            content_type=requisicao.cabecalho("content-type"),
            HTTP_AUTHORIZATION=basic(),
        )

    assert (resposta.status_code, resposta.content) == (200, b"ok")
    evento = EventoWebhook.objects.get()
    assert (evento.canal_id, evento.id_evento_externo) == (canal.pk, id_externo)
    assert evento.status == EventoWebhook.Status.PROCESSADO
    assert "authorization" not in evento.cabecalhos  # the credentials are never stored
    ticket = Ticket.objects.get()
    assert (ticket.canal_id, ticket.assunto) == (canal.pk, assunto)
    principal = Mensagem.objects.get(id_externo=id_externo)
    assert (principal.conteudo, principal.remetente_id_externo) == (texto, remetente)
    salvos = [
        (m.midia_nome, m.midia_arquivo.read())
        for m in Mensagem.objects.exclude(midia_arquivo="").order_by("id_externo")
    ]
    assert salvos == arquivos
    if nome.endswith("php_var_dump.txt"):  # the inline image is kept for the HTML, not a file
        (inline,) = [a for a in principal.dados["anexos"] if a["inline"]]
        assert inline["arquivo"]
        with principal.midia_arquivo.storage.open(inline["arquivo"]) as arquivo:
            assert arquivo.read() == JPEG

    # SendGrid retries the same post: nothing new
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url_webhook("email", empresa.id),
            data=requisicao.corpo,
            content_type=requisicao.cabecalho("content-type"),
            HTTP_AUTHORIZATION=basic(),
        )
    assert (EventoWebhook.objects.count(), Ticket.objects.count()) == (1, 1)


@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_fixture_sem_credenciais_nada_armazenado(nome, client, empresa, fila, fixture_bytes):
    canal_email(empresa, fila, endereco=ESPERADO[nome][0])
    requisicao = requisicao_da_fixture(nome, fixture_bytes, None)
    for autorizacao in ("", basic(senha="outra")):
        resposta = client.post(
            url_webhook("email", empresa.id),
            data=requisicao.corpo,
            content_type=requisicao.cabecalho("content-type"),
            HTTP_AUTHORIZATION=autorizacao,
        )
        assert resposta.status_code == 401
    assert contagens() == NADA
