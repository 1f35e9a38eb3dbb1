"""What each adapter decides in the webhook view: the body limit (SendGrid posts e-mails of up
to 30 MB) and the body of the 200 (Twilio reads it as TwiML)."""

from __future__ import annotations

from urllib.parse import urlencode

from atendimento.models import EventoWebhook
from canais.adapters.email import AdaptadorEmail
from canais.adapters.twilio import AdaptadorTwilio
from canais.adapters.twilio import adaptador as adaptador_twilio
from tests.factories import CanalFactory

from .test_adapter_email import CONFIG as CONFIG_EMAIL
from .test_adapter_email import ENDERECO, basic, multipart
from .test_adapter_twilio import SID, TOKEN, assinar
from .webhook_apoio import NADA, canal_wa, contagens, postar_whatsapp, url_webhook

MB = 1024 * 1024
NUMERO = "+14155550100"
FORM = "application/x-www-form-urlencoded"


def canal_twilio(empresa, fila):
    config = {"account_sid": SID, "numero": NUMERO}
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="twilio",
        nome="SMS",
        config=config,
        segredos={"auth_token": TOKEN},
        identificador=AdaptadorTwilio.identificador_da_config(config),
    )


def canal_email(empresa, fila):
    publicos = {k: v for k, v in CONFIG_EMAIL.items() if k != "inbound_senha"}
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="email",
        nome="E-mail",
        config=publicos,
        segredos={"inbound_senha": CONFIG_EMAIL["inbound_senha"]},
        identificador=AdaptadorEmail.identificador_da_config(CONFIG_EMAIL),
    )


def test_twilio_aceito_com_twiml_vazio(client, empresa, fila):
    canal_twilio(empresa, fila)
    campos = {
        "MessageSid": "SM0123456789abcdef0123456789abcdef",
        "AccountSid": SID,
        "From": "+5511987654321",
        "To": NUMERO,
        "Body": "Oi",
        "NumMedia": "0",
    }
    corpo = urlencode(campos).encode()
    url = "http://testserver" + url_webhook("twilio", empresa.id)

    resposta = client.post(
        url_webhook("twilio", empresa.id),
        data=corpo,
        content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE=assinar(url, corpo),
    )

    assert resposta.status_code == 200
    assert resposta["Content-Type"] == "text/xml"
    assert resposta.content.decode() == adaptador_twilio.TWIML_VAZIO
    assert resposta.content.decode().endswith("<Response/>")
    assert bytes(EventoWebhook.objects.get().corpo) == corpo


def test_twilio_recusado_continua_sem_twiml(client, empresa, fila):
    canal_twilio(empresa, fila)
    corpo = urlencode({"MessageSid": "SM1", "From": "+5511987654321", "To": NUMERO}).encode()

    resposta = client.post(
        url_webhook("twilio", empresa.id), data=corpo, content_type=FORM,
        HTTP_X_TWILIO_SIGNATURE="errada",
    )  # fmt: skip

    assert (resposta.status_code, resposta.content) == (401, b"")
    assert contagens() == NADA


def test_email_acima_do_limite_geral_e_aceito(client, empresa, fila, settings):
    settings.WEBHOOK_MAX_BYTES = 1 * MB
    canal_email(empresa, fila)
    anexo = b"%PDF-1.7\n" + b"x" * (3 * MB)
    corpo, tipo = multipart(
        [("to", ENDERECO), ("from", "Cliente <cliente@exemplo.org>"), ("subject", "Contrato"),
         ("text", "Segue o contrato."), ("attachments", "1"),
         ("attachment1", anexo, "contrato.pdf", "application/pdf")]
    )  # fmt: skip
    assert len(corpo) > settings.WEBHOOK_MAX_BYTES

    resposta = client.post(
        url_webhook("email", empresa.id), data=corpo, content_type=tipo,
        HTTP_AUTHORIZATION=basic(),
    )  # fmt: skip

    assert (resposta.status_code, resposta.content) == (200, b"ok")
    assert bytes(EventoWebhook.objects.get().corpo) == corpo


def test_email_acima_do_proprio_limite_413(client, empresa, fila):
    canal_email(empresa, fila)
    corpo, tipo = multipart([("to", ENDERECO), ("text", "x")])

    resposta = client.post(
        url_webhook("email", empresa.id), data=corpo, content_type=tipo,
        HTTP_AUTHORIZATION=basic(), CONTENT_LENGTH=str(AdaptadorEmail.limite_corpo_bytes + 1),
    )  # fmt: skip

    assert resposta.status_code == 413
    assert contagens() == NADA


def test_whatsapp_continua_no_limite_geral(client, empresa, fila, settings):
    settings.WEBHOOK_MAX_BYTES = 1 * MB
    canal_wa(empresa, fila, pnid="106540352242988")
    corpo = b'{"object": "whatsapp_business_account", "x": "' + b"a" * (2 * MB) + b'"}'

    assert postar_whatsapp(client, empresa.id, corpo).status_code == 413
    assert contagens() == NADA
