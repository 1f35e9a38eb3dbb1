"""Delivery events of e-mail through the real webhook URL with the providers' real schemes:
SendGrid's signed Event Webhook (ECDSA over timestamp + raw body) and Amazon SES notifications
through SNS (RSA signature, SignatureVersion 1 and 2, signing certificate fetched only from an
SNS host and cached; here a local certificate behind ``email_sns.obter``).  Forged requests are
refused with nothing stored; genuine ones move our message forward."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from atendimento.models import EventoWebhook, Mensagem
from canais.adapters.email import sns as email_sns
from tests.saida_apoio import saida_pendente, ticket_aberto

from .email_apoio import ENDERECO, canal_email
from .webhook_apoio import NADA, contagens, url_webhook

TOPICO_DOCS = "arn:aws:sns:us-west-2:123456789012:MyTopic"
TOPICO_ANYMAIL = "arn:aws:sns:us-east-1:1234567890:SES_Events"
CERT_DOCS = (
    "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-"
    "f3ecfb7224c7233fe7bb5f59f96de52f.pem"
)
SES_ENTREGUE = "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000"
SES_DEVOLVIDO = "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000"
#: SES fixture → (SNS envelope to wrap it in, SES message id, expected status, detail part)
SES = {
    "ses_delivery_notification_awsdocs.json": ("entregue", ""),
    "ses_bounce_notification_with_dsn_awsdocs.json": ("erro", "devolvido (permanente)"),
    "ses_complaint_notification_awsdocs.json": ("erro", "denunciado como spam"),
    "ses_bounce_via_sns_http_body_anymail.json": ("erro", "User unknown"),
}
#: every SNS/SES fixture, covered here (test_adapter_email covers the others)
FIXTURES_SNS = {
    *SES,
    "sns_notification_http_awsdocs.txt",
    "sns_subscription_confirmation_http_awsdocs.txt",
}


# ------------------------------------------------------------------------------- SNS signing
@pytest.fixture(scope="module")
def chave_sns():
    chave = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nome = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    agora = datetime.now(tz=UTC)
    certificado = (
        x509.CertificateBuilder()
        .subject_name(nome)
        .issuer_name(nome)
        .public_key(chave.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(agora - timedelta(days=1))
        .not_valid_after(agora + timedelta(days=1))
        .sign(chave, hashes.SHA256())
    )
    return chave, certificado.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def sns_local(chave_sns, monkeypatch):
    """SNS's HTTPS GETs answered locally: any SNS certificate URL → our certificate; every
    GET is recorded (certificate fetches and SubscribeURL confirmations)."""
    pedidos: list[str] = []

    def obter(url: str) -> bytes:
        pedidos.append(url)
        return chave_sns[1] if url.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"

    monkeypatch.setattr(email_sns, "obter", obter)
    email_sns.CERTIFICADOS.clear()
    yield pedidos
    email_sns.CERTIFICADOS.clear()


def assinar_sns(mensagem: dict, chave, versao: str = "1") -> dict:
    assinada = {**mensagem, "SignatureVersion": versao}
    algoritmo = hashes.SHA1() if versao == "1" else hashes.SHA256()  # noqa: S303 - SNS v1
    assinatura = chave.sign(email_sns.texto_assinado(assinada), padding.PKCS1v15(), algoritmo)
    assinada["Signature"] = base64.b64encode(assinatura).decode()
    return assinada


def corpo_http(texto: bytes) -> tuple[dict[str, str], dict]:
    """Headers and JSON body of an HTTP request as the AWS docs print it."""
    cabeca, _, corpo = texto.replace(b"\r\n", b"\n").partition(b"\n\n")
    linhas = cabeca.decode().split("\n")[1:]
    cabecalhos = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in linhas)}
    return cabecalhos, json.loads(corpo)


def envelope_sns(nome: str, fixture_bytes) -> dict:
    """The SNS message of a fixture: the full envelope, or a SES event wrapped in one."""
    bruto = fixture_bytes(f"email/{nome}")
    if nome.endswith(".txt"):
        return corpo_http(bruto)[1]
    dados = json.loads(bruto)
    if dados.get("Type") == "Notification":
        return dados
    return {
        "Type": "Notification",
        "MessageId": f"sns-{nome}",
        "TopicArn": TOPICO_DOCS,
        "Subject": "Amazon SES Email Event Notification",
        "Message": bruto.decode(),
        "Timestamp": "2016-01-27T14:59:39.000Z",
        "SigningCertURL": CERT_DOCS,
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe",
    }


def postar_sns(client, empresa_id, mensagem: dict, *, canal: str = ENDERECO):
    return client.post(
        url_webhook("email", empresa_id) + f"?canal={canal}",
        data=json.dumps(mensagem).encode(),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=mensagem.get("Type", ""),
        HTTP_X_AMZ_SNS_MESSAGE_ID=mensagem.get("MessageId", ""),
        HTTP_X_AMZ_SNS_TOPIC_ARN=mensagem.get("TopicArn", ""),
    )


@pytest.fixture
def canal(empresa, fila):
    return canal_email(empresa, fila, sns_topic_arn=f"{TOPICO_DOCS}, {TOPICO_ANYMAIL}")


@pytest.fixture
def executar(django_capture_on_commit_callbacks, celery_eager_local):
    def rodar(funcao, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return funcao(*args, **kwargs)

    return rodar


@pytest.fixture
def celery_eager_local():
    from .webhook_apoio import modo_eager

    with modo_eager():
        yield


def _enviada(canal, atendente, fila, id_provedor: str) -> Mensagem:
    ticket = ticket_aberto(canal, fila, conversa="<raiz@cliente.com.br>")
    return saida_pendente(
        ticket, atendente, status="enviada", id_externo=f"<{id_provedor[:8]}@loja.com.br>",
        dados={"id_provedor": id_provedor},
    )  # fmt: skip


# ------------------------------------------------------------------------------- SES via SNS
@pytest.mark.parametrize("versao", ["1", "2"])
@pytest.mark.parametrize("nome", sorted(SES))
def test_notificacao_do_ses_move_a_mensagem(
    nome, versao, client, canal, atendente, fila, fixture_bytes, chave_sns, sns_local, executar
):
    mensagem_sns = envelope_sns(nome, fixture_bytes)
    id_ses = json.loads(mensagem_sns["Message"])["mail"]["messageId"]
    nossa = _enviada(canal, atendente, fila, id_ses)

    resposta = executar(
        postar_sns, client, canal.empresa.id, assinar_sns(mensagem_sns, chave_sns[0], versao)
    )

    assert resposta.status_code == 200
    evento = EventoWebhook.objects.get()
    assert evento.id_evento_externo == f"sns:{mensagem_sns['MessageId']}"
    assert evento.status == EventoWebhook.Status.PROCESSADO
    nossa.refresh_from_db()
    status, detalhe = SES[nome]
    assert nossa.status == status
    assert detalhe in nossa.erro_detalhe
    assert sns_local == [mensagem_sns["SigningCertURL"]]


def test_certificado_buscado_uma_vez(client, canal, fixture_bytes, chave_sns, sns_local, executar):
    for nome in (
        "ses_delivery_notification_awsdocs.json",
        "ses_complaint_notification_awsdocs.json",
    ):
        mensagem = assinar_sns(envelope_sns(nome, fixture_bytes), chave_sns[0])
        assert executar(postar_sns, client, canal.empresa.id, mensagem).status_code == 200
    assert sns_local == [CERT_DOCS]
    # statuses of messages we never sent: kept, processed with a note once waiting ends
    assert EventoWebhook.objects.count() == 2


def test_confirmacao_de_inscricao(client, canal, fixture_bytes, chave_sns, sns_local, executar):
    mensagem = assinar_sns(
        envelope_sns("sns_subscription_confirmation_http_awsdocs.txt", fixture_bytes),
        chave_sns[0],
    )

    assert executar(postar_sns, client, canal.empresa.id, mensagem).status_code == 200

    assert sns_local == [CERT_DOCS, mensagem["SubscribeURL"]]
    assert EventoWebhook.objects.get().status == EventoWebhook.Status.PROCESSADO
    assert {**contagens(), "eventos": 0} == NADA


def test_notificacao_que_nao_e_do_ses_fica_registrada_como_falha(
    client, canal, fixture_bytes, chave_sns, sns_local, executar
):
    mensagem = assinar_sns(
        envelope_sns("sns_notification_http_awsdocs.txt", fixture_bytes), chave_sns[0], "2"
    )
    assert executar(postar_sns, client, canal.empresa.id, mensagem).status_code == 200
    evento = EventoWebhook.objects.get()
    assert evento.status == EventoWebhook.Status.FALHOU
    assert "evento do SES" in evento.erro


def test_resposta_pelo_ses_guarda_o_id_e_a_notificacao_a_encontra(
    client, canal, atendente, fila, fixture_bytes, chave_sns, sns_local, executar
):
    """SES's SMTP interface answers ``250 Ok <SES id>``: kept, and its notification finds it."""
    from aiosmtpd.controller import Controller

    from canais.tasks.envio import enviar_mensagem, enviar_midia  # noqa: F401

    from .email_apoio import Caixa, porta_livre

    class SesFalso(Caixa):
        async def handle_DATA(self, server, session, envelope):
            self.recebidas.append(envelope)
            return f"250 Ok {SES_ENTREGUE}"

    caixa, porta = SesFalso(), porta_livre()
    controlador = Controller(caixa, hostname="127.0.0.1", port=porta)
    controlador.start()
    try:
        canal.segredos = {**canal.segredos, "smtp_url": f"smtp://127.0.0.1:{porta}"}
        canal.save()
        ticket = ticket_aberto(canal, fila, conversa="<raiz@cliente.com.br>")
        ticket.contato.email = "jane@example.com"
        ticket.contato.save()
        mensagem = saida_pendente(ticket, atendente, conteudo="Olá Jane")
        enviar_mensagem.apply(args=[str(mensagem.id)])
    finally:
        controlador.stop()
    mensagem.refresh_from_db()
    assert mensagem.status == "enviada"
    assert mensagem.dados["id_provedor"] == SES_ENTREGUE
    assert len(caixa.recebidas) == 1

    entrega = assinar_sns(
        envelope_sns("ses_delivery_notification_awsdocs.json", fixture_bytes), chave_sns[0]
    )
    assert executar(postar_sns, client, canal.empresa.id, entrega).status_code == 200
    mensagem.refresh_from_db()
    assert mensagem.status == "entregue"


# ------------------------------------------------------------------------------- SNS refused
def _forjadas(mensagem: dict, chave) -> dict[str, tuple[dict, int]]:
    assinada = assinar_sns(mensagem, chave)
    outra = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "sem_assinatura": ({k: v for k, v in assinada.items() if k != "Signature"}, 401),
        "assinada_por_outra_chave": (assinar_sns(mensagem, outra), 401),
        "corpo_alterado": ({**assinada, "Message": assinada["Message"].replace("a", "b")}, 401),
        "versao_desconhecida": ({**assinada, "SignatureVersion": "3"}, 401),
        "certificado_fora_da_aws": (
            assinar_sns(
                {**mensagem, "SigningCertURL": "https://sns.us-west-2.amazonaws.com.evil.io/c.pem"},
                chave,
            ),
            401,
        ),
        "certificado_por_http": (
            assinar_sns({**mensagem, "SigningCertURL": CERT_DOCS.replace("https", "http")}, chave),
            401,
        ),
        "topico_de_outra_conta": (
            assinar_sns({**mensagem, "TopicArn": "arn:aws:sns:us-west-2:999999999999:X"}, chave),
            403,
        ),
    }


@pytest.mark.parametrize(
    "caso",
    ["sem_assinatura", "assinada_por_outra_chave", "corpo_alterado", "versao_desconhecida",
     "certificado_fora_da_aws", "certificado_por_http", "topico_de_outra_conta"],
)  # fmt: skip
def test_sns_forjado_nada_armazenado(caso, client, canal, fixture_bytes, chave_sns, sns_local):
    mensagem = envelope_sns("ses_delivery_notification_awsdocs.json", fixture_bytes)
    forjada, status = _forjadas(mensagem, chave_sns[0])[caso]

    assert postar_sns(client, canal.empresa.id, forjada).status_code == status

    assert contagens() == NADA
    assert all(email_sns.url_sns(url) for url in sns_local)  # nothing else was ever fetched


def test_sns_sem_topico_configurado_403(client, empresa, fila, fixture_bytes, chave_sns, sns_local):
    canal = canal_email(empresa, fila)
    mensagem = assinar_sns(envelope_sns("ses_delivery_notification_awsdocs.json", fixture_bytes),
                           chave_sns[0])  # fmt: skip
    assert postar_sns(client, canal.empresa.id, mensagem).status_code == 403
    assert contagens() == NADA
    assert sns_local == []


def test_sns_de_outra_empresa_404(
    client, canal, outra_empresa, fixture_bytes, chave_sns, sns_local
):
    mensagem = assinar_sns(envelope_sns("ses_delivery_notification_awsdocs.json", fixture_bytes),
                           chave_sns[0])  # fmt: skip
    assert postar_sns(client, outra_empresa.id, mensagem).status_code == 404
    assert contagens() == NADA


def test_subscribe_url_fora_da_aws_nao_e_buscada(
    client, canal, fixture_bytes, chave_sns, sns_local, executar
):
    mensagem = envelope_sns("sns_subscription_confirmation_http_awsdocs.txt", fixture_bytes)
    mensagem["SubscribeURL"] = "https://169.254.169.254/latest/meta-data/"
    assinada = assinar_sns(mensagem, chave_sns[0])

    assert executar(postar_sns, client, canal.empresa.id, assinada).status_code == 200

    assert sns_local == [CERT_DOCS]  # the certificate only
    evento = EventoWebhook.objects.get()
    assert (evento.status, "SubscribeURL" in evento.erro) == (EventoWebhook.Status.FALHOU, True)


@pytest.mark.parametrize(
    ("url", "valida"),
    [
        (CERT_DOCS, True),
        ("https://sns.sa-east-1.amazonaws.com/x.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/x.pem", True),
        ("https://sns.us-west-2.amazonaws.com:8443/x.pem", False),
        ("https://user@sns.us-west-2.amazonaws.com/x.pem", False),
        ("https://sns.amazonaws.com/x.pem", False),
        ("https://evil.com/sns.us-west-2.amazonaws.com/x.pem", False),
        ("https://sns.us-west-2.amazonaws.com.evil.com/x.pem", False),
        ("ftp://sns.us-west-2.amazonaws.com/x.pem", False),
        ("nada", False),
    ],
)
def test_hosts_do_sns(url, valida):
    assert email_sns.url_sns(url) is valida


# ------------------------------------------------------------------------------- SendGrid events
@pytest.fixture(scope="module")
def chave_ec():
    return ec.generate_private_key(ec.SECP256R1())


def _publica(chave) -> str:
    der = chave.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def postar_eventos(client, empresa_id, corpo: bytes, chave=None, *, assinatura=None,
                   timestamp="1700000000", canal=ENDERECO):  # fmt: skip
    if assinatura is None:
        assinatura = base64.b64encode(
            chave.sign(timestamp.encode() + corpo, ec.ECDSA(hashes.SHA256()))
        ).decode()
    return client.post(
        url_webhook("email", empresa_id) + f"?canal={canal}",
        data=corpo,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=assinatura,
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


SMTP_ID = "<14c5d75ce93.dfd.64b469@ismtpd-555>"


@pytest.mark.parametrize(
    ("nome", "status", "detalhe"),
    [
        ("sendgrid_event_delivered_docs.json", "entregue", ""),
        ("sendgrid_event_open_docs.json", "lida", ""),
        ("sendgrid_event_bounce_docs.json", "erro", "devolvido: 500 unknown recipient"),
        ("sendgrid_event_blocked_docs.json", "erro", "bloqueado: 500 unknown recipient"),
        # processed, delivered, open, click, then bounce: a message read stays read
        ("sendgrid_event_webhook_batch_docs.json", "lida", ""),
    ],
)
def test_eventos_do_sendgrid_pela_url(
    nome, status, detalhe, client, empresa, fila, atendente, fixture_bytes, chave_ec, executar
):
    canal = canal_email(empresa, fila, sendgrid_webhook_public_key=_publica(chave_ec))
    ticket = ticket_aberto(canal, fila, conversa="<raiz@cliente.com.br>")
    nossa = saida_pendente(ticket, atendente, status="enviada", id_externo=SMTP_ID)
    corpo = fixture_bytes(f"email/{nome}")

    assert executar(postar_eventos, client, empresa.id, corpo, chave_ec).status_code == 200

    nossa.refresh_from_db()
    assert (nossa.status, nossa.erro_detalhe) == (status, detalhe)
    if status == "lida":
        assert nossa.lida_em is not None  # the open is recorded
    assert EventoWebhook.objects.get().status == EventoWebhook.Status.PROCESSADO


def test_denuncia_de_spam_com_o_motivo(client, empresa, fila, atendente, chave_ec, executar):
    canal = canal_email(empresa, fila, sendgrid_webhook_public_key=_publica(chave_ec))
    ticket = ticket_aberto(canal, fila, conversa="<raiz@cliente.com.br>")
    nossa = saida_pendente(ticket, atendente, status="entregue", id_externo=SMTP_ID)
    corpo = json.dumps([{"email": "maria@cliente.com.br", "timestamp": 1700000000,
                         "smtp-id": SMTP_ID, "event": "spamreport",
                         "sg_event_id": "e1"}]).encode() + b"\r\n"  # fmt: skip

    assert executar(postar_eventos, client, empresa.id, corpo, chave_ec).status_code == 200

    nossa.refresh_from_db()
    assert nossa.status == "erro"
    assert nossa.erro_detalhe == "denunciado como spam: por maria@cliente.com.br"


def test_vetor_assinado_do_sdk_pela_url(client, empresa, fila, fixture_bytes, fixture_json):
    vetor = fixture_json("email/sendgrid_signed_event_test_vector.json")
    canal_email(empresa, fila, sendgrid_webhook_public_key=vetor["public_key"])
    corpo = fixture_bytes("email/sendgrid_signed_event_body.bin")
    assinatura = vetor["header_X-Twilio-Email-Event-Webhook-Signature"]
    timestamp = vetor["header_X-Twilio-Email-Event-Webhook-Timestamp"]

    aceito = postar_eventos(client, empresa.id, corpo, assinatura=assinatura, timestamp=timestamp)
    assert aceito.status_code == 200
    assert bytes(EventoWebhook.objects.get().corpo) == corpo

    EventoWebhook.objects.all().delete()
    recusado = postar_eventos(
        client, empresa.id, corpo.strip(), assinatura=assinatura, timestamp=timestamp
    )
    assert recusado.status_code == 401
    assert contagens() == NADA


@pytest.mark.parametrize("caso", ["sem_assinatura", "outra_chave", "outro_timestamp"])
def test_eventos_forjados_nada_armazenado(caso, client, empresa, fila, fixture_bytes, chave_ec):
    canal_email(empresa, fila, sendgrid_webhook_public_key=_publica(chave_ec))
    corpo = fixture_bytes("email/sendgrid_event_delivered_docs.json")
    outra = ec.generate_private_key(ec.SECP256R1())
    assinatura = base64.b64encode(
        chave_ec.sign(b"1700000000" + corpo, ec.ECDSA(hashes.SHA256()))
    ).decode()
    resposta = {
        "sem_assinatura": lambda: postar_eventos(client, empresa.id, corpo, assinatura=""),
        "outra_chave": lambda: postar_eventos(client, empresa.id, corpo, outra),
        "outro_timestamp": lambda: postar_eventos(
            client, empresa.id, corpo, assinatura=assinatura, timestamp="1700000001"
        ),
    }[caso]()
    assert resposta.status_code == 401
    assert contagens() == NADA


def test_canal_de_email_com_topico_sns_pela_api(admin):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    cliente = APIClient()
    cliente.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(admin.usuario)}")
    corpo = {
        "tipo": "email",
        "nome": "Suporte (SES)",
        "config": {
            "endereco": "Suporte@Loja.com.br",
            "smtp_url": "smtp+tls://AKIA:segredo@email-smtp.sa-east-1.amazonaws.com:587",
            "inbound_usuario": "sendgrid",
            "inbound_senha": "s3nha",
            "sns_topic_arn": TOPICO_DOCS,
        },
    }

    resposta = cliente.post("/api/atendimento/canais/", corpo, format="json")

    assert resposta.status_code == 201, resposta.content
    config = resposta.json()["config"]
    assert config["sns_topic_arn"] == TOPICO_DOCS
    assert config["smtp_url"].startswith("••••")  # a secret: never returned
