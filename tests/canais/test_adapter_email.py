from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import socket
import ssl
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from werkzeug import Response

from canais.adapters.base import (
    AssinaturaInvalida,
    Conversa,
    ErroDefinitivo,
    ErroTransitorio,
    Identidade,
    MensagemEntrada,
    MensagemSaida,
    MidiaRef,
    MidiaSaida,
    OperacaoNaoSuportada,
    PayloadInvalido,
    RequisicaoRecusada,
    RequisicaoWebhook,
    StatusEntrada,
    StatusEntrega,
    TemplateSaida,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.email import AdaptadorEmail as Adaptador
from canais.adapters.email import envio as email_envio
from canais.adapters.email import parse as email_parse
from canais.adapters.email import texto as email_texto
from canais.registry import classe_adaptador
from tests.conftest import FIXTURES

PASTA = FIXTURES / "email"
USUARIO, SENHA = "sendgrid", "s3nha-do-parse"
ENDERECO = "suporte@exemplo.com.br"
CONFIG = {
    "endereco": "Suporte@Exemplo.com.br",
    "nome_remetente": "Suporte Exemplo",
    "inbound_usuario": USUARIO,
    "inbound_senha": SENHA,
}
AGORA = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
URL = "https://crm.exemplo.com/api/atendimento/webhooks/email/e1/"


# ------------------------------------------------------------------------------- request helpers
def basic(usuario: str = USUARIO, senha: str = SENHA) -> str:
    return "Basic " + base64.b64encode(f"{usuario}:{senha}".encode()).decode()


def multipart(campos: list[tuple], boundary: str = "limite-Xy9") -> tuple[bytes, str]:
    """``[(nome, valor)]`` or ``[(nome, bytes, arquivo, mime)]`` → (CRLF body, content type)."""
    partes = []
    for campo in campos:
        nome, valor = campo[0], campo[1]
        valor = valor.encode() if isinstance(valor, str) else valor
        disposicao = f'Content-Disposition: form-data; name="{nome}"'
        cabecalho = disposicao
        if len(campo) > 2:
            cabecalho = f'{disposicao}; filename="{campo[2]}"\r\nContent-Type: {campo[3]}'
        partes.append(f"--{boundary}\r\n{cabecalho}\r\n\r\n".encode() + valor + b"\r\n")
    corpo = b"".join(partes) + f"--{boundary}--\r\n".encode()
    return corpo, f"multipart/form-data; boundary={boundary}"


def post(
    corpo: bytes, tipo: str, autorizacao: str | None = None, **cabecalhos
) -> RequisicaoWebhook:
    todos = {"content-type": tipo, **cabecalhos}
    if autorizacao is None:
        autorizacao = basic()
    if autorizacao:
        todos["authorization"] = autorizacao
    return RequisicaoWebhook("POST", URL, todos, corpo)


def post_campos(campos: list[tuple], **kwargs) -> RequisicaoWebhook:
    corpo, tipo = multipart(campos)
    return post(corpo, tipo, **kwargs)


def post_raw(eml: bytes, para: str = ENDERECO, **kwargs) -> RequisicaoWebhook:
    """Inbound Parse "send raw" post of a whole MIME message."""
    envelope = json.dumps({"to": [para], "from": "cliente@exemplo.org"})
    return post_campos(
        [("dkim", "{@exemplo.org : pass}"), ("email", eml), ("to", para),
         ("from", "cliente@exemplo.org"), ("envelope", envelope), ("SPF", "pass")],
        **kwargs,
    )  # fmt: skip


def var_dump(texto: str) -> list[tuple]:
    """The PHP ``var_dump`` of SendGrid's docs back into form fields, in order."""
    padrao = r'\["(?P<nome>[^"]+)"\]=>\n  string\(\d+\) "(?P<valor>.*?)"\n(?=  \[|\})'
    return [(m["nome"], m["valor"]) for m in re.finditer(padrao, texto, re.DOTALL)]


def utc(segundos: int) -> datetime:
    return datetime.fromtimestamp(segundos, tz=UTC)


def email_de(endereco: str) -> tuple[Identidade, ...]:
    return (Identidade(TipoIdentidade.EMAIL, endereco),)


# ------------------------------------------------------------------------------- event signing
@pytest.fixture(scope="module")
def chave_ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def publica(chave) -> str:
    der = chave.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def post_eventos(corpo: bytes, chave, timestamp: str = "1700000000", **extra) -> RequisicaoWebhook:
    assinatura = chave.sign(timestamp.encode() + corpo, ec.ECDSA(hashes.SHA256()))
    cabecalhos = {
        "content-type": "application/json",
        "x-twilio-email-event-webhook-signature": base64.b64encode(assinatura).decode(),
        "x-twilio-email-event-webhook-timestamp": timestamp,
        **extra,
    }
    return RequisicaoWebhook("POST", URL, cabecalhos, corpo)


# ------------------------------------------------------------------------------- every fixture
SMTP_ID = "<14c5d75ce93.dfd.64b469@ismtpd-555>"
ID_DEFAULT = "<e6eae1bcdb70df7b73ddd537c78d9c1d8b8e5ba7@sem-message-id.invalid>"
ID_RAW = "<56e3459ba1de3e9ef9574aee388a4a4f0f243257@sem-message-id.invalid>"
GMAIL_ID = "<CAN_P_JMvV7ZpAQhOnDienypLrJmuhN=LQWweu4yScw4jQyXY2w@mail.gmail.com>"
CHATWOOT_ID = "<0CB459E0-0336-41DA-BC88-E6E28C697DDBF@chatwoot.com>"
CHATWOOT_PAI = "<4e6e35f5a38b4_479f13bb90078178@small-app-01.mail>"
JPEG, DOCX = b"\xff\xd8\xff\xe0JFIF-inline", b"PK\x03\x04docx-bytes"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HELLO_HTML = "<html><body><strong>Hello Twilio SendGrid!</body></html>\n"


def _status(status, **campos):
    base = {"id_externo": SMTP_ID, "status": status, "data": utc(1513299569), "erro_codigo": "",
            "erro_detalhe": "", "conversa_id_externo": "example@test.com"}  # fmt: skip
    return StatusEntrada(**{**base, **campos})


DEVOLVIDO = _status(StatusEntrega.ERRO, erro_codigo="5.0.0",
                    erro_detalhe="devolvido: 500 unknown recipient")  # fmt: skip

#: fixture → (routing key, id_evento, expected events | ("recusado", detail));
#: a MensagemEntrada expectation is a dict of exact attributes (remetente's read off .remetente)
ESPERADO = {
    "sendgrid_inbound_parse_default_multipart.txt": (
        "inbound@inbound.example.com",
        ID_DEFAULT,
        [
            {
                "id_externo": ID_DEFAULT,
                "conversa": Conversa(ID_DEFAULT),
                "tipo": TipoMensagem.TEXTO,
                "tipo_original": "email",
                "conteudo": "Hello Twilio SendGrid!",
                "identidades": email_de("test@example.com"),
                "nome": "Example User",
                "email": "test@example.com",
                "data": datetime(2016, 8, 11, 1, 10, 13, tzinfo=UTC),
                "midias": (),
                "responde_a": "",
                "dados": {
                    "texto_completo": "Hello Twilio SendGrid!\n",
                    "html": HELLO_HTML,
                    "para": ["inbound@inbound.example.com"],
                    "spf": "pass",
                    "dkim": "{@sendgrid.com : pass}",
                    "destinatarios": ["inbound@inbound.example.com"],
                },
                "assunto": "Inbound Parse Test Data",
                "referencias": (),
                "ticket_ref": "",
                # the header block wins over SendGrid's own 'subject' field ("Testing non-raw")
                "cabecalhos": {
                    "Message-ID": ID_DEFAULT,
                    "Subject": "Inbound Parse Test Data",
                    "From": "Example User <test@example.com>",
                },
            }
        ],
    ),
    "sendgrid_inbound_parse_default_fields.parsed.json": (
        "inbound@inbound.example.com",
        ID_DEFAULT,
        [
            {
                "id_externo": ID_DEFAULT,
                "conteudo": "Hello Twilio SendGrid!",
                "cabecalhos": {
                    "Message-ID": ID_DEFAULT,
                    "Subject": "Inbound Parse Test Data",
                    "From": "Example User <test@example.com>",
                },
            }
        ],
    ),
    "sendgrid_inbound_parse_send_raw_multipart.txt": (
        "inbound@inbound.inbound.com",
        ID_RAW,
        [
            {
                "id_externo": ID_RAW,
                "conversa": Conversa(ID_RAW),
                "conteudo": "Hello Twilio SendGrid!",
                "identidades": email_de("test@example.com"),
                "nome": "Example User",
                "data": datetime(2016, 8, 10, 21, 44, 21, tzinfo=UTC),
                "dados": {
                    "texto_completo": "Hello Twilio SendGrid!\n",
                    "html": HELLO_HTML,
                    "para": ["inbound@inbound.inbound.com"],
                    "spf": "pass",
                    "dkim": "{@sendgrid.com : pass}",
                    "destinatarios": ["inbound@inbound.inbound.com"],
                },
                "assunto": "Inbound Parse Test Raw Data",
                "cabecalhos": {
                    "Message-ID": ID_RAW,
                    "Subject": "Inbound Parse Test Raw Data",
                    "From": "Example User <test@example.com>",
                },
            }
        ],
    ),
    "sendgrid_inbound_parse_docs_example_php_var_dump.txt": (
        "example@example.comom",
        GMAIL_ID,
        [
            {
                "id_externo": GMAIL_ID,
                "conversa": Conversa(GMAIL_ID),
                "tipo": TipoMensagem.TEXTO,
                "conteudo": "Here's an email with multiple attachments",
                "nome": "Sender Name",
                "identidades": email_de("example@example.com"),
                "data": datetime(2016, 7, 27, 20, 53, 5, tzinfo=UTC),
                # the inline image (cid: referenced by the HTML) is not a file of the conversation
                "midias": (
                    MidiaRef(
                        ref="anexo:2",
                        mime=DOCX_MIME,
                        nome="DockMcWordface.docx",
                        tamanho=len(DOCX),
                        sha256=hashlib.sha256(DOCX).hexdigest(),
                    ),
                ),
                "cabecalhos": {
                    "Message-ID": GMAIL_ID,
                    "Subject": "Different File Types",
                    "From": "Sender Name <example@example.com>",
                },
            }
        ],
    ),
    "reply_with_in_reply_to_and_references_chatwoot.eml": (
        "care@example.com",
        CHATWOOT_ID,
        [
            {
                "id_externo": CHATWOOT_ID,
                "conversa": Conversa(CHATWOOT_PAI),
                "responde_a": CHATWOOT_PAI,
                "conteudo": "Email with references header",
                "nome": "Sony Mathew",
                "assunto": "Discussion: Let's debate these attachments",
                # In-Reply-To first, then References from the newest to the thread root
                "referencias": (CHATWOOT_PAI, "<test-reference-id>"),
                "identidades": email_de("sony@chatwoot.com"),
                "data": datetime(2020, 4, 20, 8, 20, 20, tzinfo=UTC),
                "cabecalhos": {
                    "Message-ID": CHATWOOT_ID,
                    "Subject": "Discussion: Let's debate these attachments",
                    "In-Reply-To": CHATWOOT_PAI,
                    "References": f"{CHATWOOT_PAI} <test-reference-id>",
                    "From": "Sony Mathew <sony@chatwoot.com>",
                },
            }
        ],
    ),
    "sendgrid_event_delivered_docs.json": (None, None, [_status(StatusEntrega.ENTREGUE)]),
    "sendgrid_event_open_docs.json": (None, None, [_status(StatusEntrega.LIDA)]),
    "sendgrid_event_bounce_docs.json": (None, None, [DEVOLVIDO]),
    "sendgrid_event_blocked_docs.json": (
        None,
        None,
        [
            _status(
                StatusEntrega.ERRO,
                erro_codigo="5.0.0",
                erro_detalhe="bloqueado: 500 unknown recipient",
            )
        ],
    ),
    # docs' batch: deferred and (group_)unsubscribe say nothing about delivery
    "sendgrid_event_webhook_batch_docs.json": (
        None,
        None,
        [
            _status(StatusEntrega.ENVIADA, id_externo=SMTP_ID),
            _status(StatusEntrega.ENTREGUE),
            _status(StatusEntrega.LIDA),
            _status(StatusEntrega.LIDA),
            DEVOLVIDO,
            _status(
                StatusEntrega.ERRO, erro_codigo="5.0.0", erro_detalhe="descartado: Bounced Address"
            ),
            _status(
                StatusEntrega.ERRO,
                erro_codigo="spamreport",
                erro_detalhe="denunciado como spam: por example@test.com",
            ),
        ],
    ),
    "sendgrid_signed_event_body.bin": (
        None,
        None,
        [
            StatusEntrada(
                id_externo="<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                status=StatusEntrega.ERRO,
                data=utc(1600112492),
                erro_codigo="dropped",
                erro_detalhe="descartado: Bounced Address",
                conversa_id_externo="hello@world.com",
            )
        ],
    ),
}  # fmt: skip  (the SES/SNS fixtures: test_email_provedores.py)
REMETENTE = {"identidades", "nome", "email"}
VETOR = "sendgrid_signed_event_test_vector.json"  # read with its body file (above)


def requisicao_da_fixture(nome: str, fixture_bytes, chave) -> RequisicaoWebhook:
    bruto = fixture_bytes(f"email/{nome}")
    if nome.endswith("_multipart.txt"):  # stored with LF endings, boundary from send.py
        return post(bruto, "multipart/form-data; boundary=xYzZY")
    if nome.endswith(".parsed.json"):
        return post_campos(list(json.loads(bruto).items()))
    if nome.endswith("_php_var_dump.txt"):
        arquivos = [("attachment1", JPEG, "MG_2359.jpg", "image/jpeg"),
                    ("attachment2", DOCX, "DockMcWordface.docx", DOCX_MIME)]  # fmt: skip
        return post_campos(var_dump(bruto.decode()) + arquivos)
    if nome.endswith(".eml"):
        return post_raw(bruto, para="care@example.com")
    if nome.startswith("sendgrid_event_"):
        return post_eventos(bruto, chave)
    if nome == "sendgrid_signed_event_body.bin":
        vetor = json.loads(fixture_bytes(f"email/{VETOR}"))
        return RequisicaoWebhook("POST", URL, {
            "content-type": "application/json",
            "x-twilio-email-event-webhook-signature":
                vetor["header_X-Twilio-Email-Event-Webhook-Signature"],
            "x-twilio-email-event-webhook-timestamp":
                vetor["header_X-Twilio-Email-Event-Webhook-Timestamp"],
        }, bruto)  # fmt: skip
    raise AssertionError(f"sem requisição para {nome}")


def _config(nome: str, fixture_bytes, chave) -> dict:
    if nome == "sendgrid_signed_event_body.bin":
        chave_publica = json.loads(fixture_bytes(f"email/{VETOR}"))["public_key"]
    else:
        chave_publica = publica(chave)
    return {**CONFIG, "sendgrid_webhook_public_key": chave_publica}


def test_toda_fixture_tem_expectativa():
    from .test_email_provedores import FIXTURES_SNS

    nomes = [a.name for a in PASTA.iterdir() if a.name not in (VETOR, "README.md")]
    assert sorted([*ESPERADO, *FIXTURES_SNS]) == sorted(nomes)


def test_registrado_no_registry():
    assert classe_adaptador("email") is Adaptador


@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_interpreta_fixture(nome, fixture_bytes, chave_ec):
    requisicao = requisicao_da_fixture(nome, fixture_bytes, chave_ec)
    identificador, id_evento, esperado = ESPERADO[nome]
    adaptador = Adaptador(_config(nome, fixture_bytes, chave_ec))
    assert Adaptador.identificador_da_requisicao(requisicao) == identificador
    adaptador.verificar(requisicao)
    assert adaptador.id_evento(requisicao) == id_evento
    with time_machine.travel(AGORA, tick=False):
        eventos = adaptador.interpretar(requisicao)
    if all(isinstance(e, StatusEntrada) for e in esperado):
        assert eventos == esperado
        return
    assert [type(e) for e in eventos] == [MensagemEntrada] * len(esperado)
    for evento, campos in zip(eventos, esperado, strict=True):
        for campo, valor in campos.items():
            alvo = evento.remetente if campo in REMETENTE else evento
            assert getattr(alvo, campo) == valor, campo


def test_visao_parsed_confere_com_o_multipart(fixture_bytes, fixture_json):
    form = email_parse.formulario(
        fixture_bytes("email/sendgrid_inbound_parse_default_multipart.txt"),
        "multipart/form-data; boundary=xYzZY",
    )
    visao = fixture_json("email/sendgrid_inbound_parse_default_fields.parsed.json")
    assert {nome: campo.valor.decode() for nome, campo in form.items()} == visao


def test_multipart_com_crlf_como_o_sendgrid_envia(fixture_bytes):
    lf = fixture_bytes("email/sendgrid_inbound_parse_default_multipart.txt")
    requisicao = post(lf.replace(b"\n", b"\r\n"), "multipart/form-data; boundary=xYzZY")
    (evento,) = Adaptador(CONFIG).interpretar(requisicao)
    assert evento.conteudo == "Hello Twilio SendGrid!"
    assert evento.dados["html"] == HELLO_HTML.replace("\n", "\r\n")
    assert evento.cabecalhos["Subject"] == "Inbound Parse Test Data"


def test_anexos_do_modo_padrao(fixture_bytes, chave_ec):
    nome = "sendgrid_inbound_parse_docs_example_php_var_dump.txt"
    requisicao = requisicao_da_fixture(nome, fixture_bytes, chave_ec)
    adaptador = Adaptador(CONFIG)
    (evento,) = adaptador.interpretar(requisicao)
    assert evento.dados["anexos"] == [
        {"ref": "anexo:1", "nome": "MG_2359.jpg", "mime": "image/jpeg", "tamanho": len(JPEG),
         "sha256": hashlib.sha256(JPEG).hexdigest(), "content_id": "ii_1562e2169c132d83",
         "inline": True},
        {"ref": "anexo:2", "nome": "DockMcWordface.docx", "mime": DOCX_MIME, "tamanho": len(DOCX),
         "sha256": hashlib.sha256(DOCX).hexdigest(), "content_id": "", "inline": False},
    ]  # fmt: skip
    assert evento.dados["spam_score"] == "2.597"
    assert evento.dados["para"] == ["example@example.comom"]
    baixado = adaptador.extrair_anexo(requisicao, evento.midias[0])
    assert (baixado.conteudo, baixado.mime, baixado.nome) == (
        DOCX,
        DOCX_MIME,
        "DockMcWordface.docx",
    )
    inline = adaptador.extrair_anexo(requisicao, MidiaRef(ref="anexo:1"))
    assert inline.conteudo == JPEG


# ------------------------------------------------------------------------------- basic auth
@pytest.mark.parametrize(
    ("config", "autorizacao", "detalhe"),
    [
        (CONFIG, "", "ausentes"),
        (CONFIG, "Bearer abc", "ausentes"),
        (CONFIG, "Basic ", "ausentes"),
        (CONFIG, "Basic ***", "malformadas"),
        (CONFIG, basic(senha="errada"), "não conferem"),
        (CONFIG, basic(usuario="outro"), "não conferem"),
        (CONFIG, basic(senha=SENHA + "x"), "não conferem"),
        (CONFIG, "Basic " + base64.b64encode(USUARIO.encode()).decode(), "não conferem"),
        ({**CONFIG, "inbound_senha": ""}, basic(senha=""), "não configurados"),
        ({**CONFIG, "inbound_usuario": ""}, basic(usuario=""), "não configurados"),
    ],
)
def test_basic_auth_recusada(fixture_bytes, config, autorizacao, detalhe):
    corpo = fixture_bytes("email/sendgrid_inbound_parse_send_raw_multipart.txt")
    requisicao = post(corpo, "multipart/form-data; boundary=xYzZY", autorizacao)
    with pytest.raises(AssinaturaInvalida, match=detalhe) as exc:
        Adaptador(config).verificar(requisicao)
    assert exc.value.status == 401


def test_basic_auth_aceita_esquema_em_qualquer_caixa(fixture_bytes):
    corpo = fixture_bytes("email/sendgrid_inbound_parse_send_raw_multipart.txt")
    requisicao = post(
        corpo, "multipart/form-data; boundary=xYzZY", basic().replace("Basic", "basic")
    )
    Adaptador(CONFIG).verificar(requisicao)


def test_tipo_de_conteudo_desconhecido_e_recusado():
    with pytest.raises(RequisicaoRecusada) as exc:
        Adaptador(CONFIG).verificar(post(b"oi", "text/plain"))
    assert exc.value.status == 415
    with pytest.raises(PayloadInvalido, match="não suportado"):
        Adaptador(CONFIG).interpretar(post(b"oi", "text/plain"))
    assert Adaptador.identificadores_da_requisicao(post(b"oi", "text/plain")) == []
    assert Adaptador(CONFIG).id_evento(post(b"oi", "text/plain")) is None


# ------------------------------------------------------------------------------- event signature
@pytest.fixture
def vetor(fixture_json):
    return fixture_json(f"email/{VETOR}")


def _req_vetor(vetor, corpo: bytes, **mudancas) -> RequisicaoWebhook:
    cabecalhos = {
        "content-type": "application/json",
        "x-twilio-email-event-webhook-signature": vetor[
            "header_X-Twilio-Email-Event-Webhook-Signature"
        ],
        "x-twilio-email-event-webhook-timestamp": vetor[
            "header_X-Twilio-Email-Event-Webhook-Timestamp"
        ],
        **mudancas,
    }
    return RequisicaoWebhook("POST", URL, {k: v for k, v in cabecalhos.items() if v}, corpo)


def test_vetor_assinado_inclui_o_crlf_final(vetor, fixture_bytes):
    corpo = fixture_bytes("email/sendgrid_signed_event_body.bin")
    assert corpo == vetor["body_exact"].encode()
    assert corpo.endswith(b"\r\n")
    adaptador = Adaptador({**CONFIG, "sendgrid_webhook_public_key": vetor["public_key"]})
    adaptador.verificar(_req_vetor(vetor, corpo))
    with pytest.raises(AssinaturaInvalida, match="não confere"):
        adaptador.verificar(_req_vetor(vetor, corpo.strip()))  # signed with its trailing CRLF
    with pytest.raises(AssinaturaInvalida, match="não confere"):
        adaptador.verificar(
            _req_vetor(vetor, corpo, **{"x-twilio-email-event-webhook-timestamp": "1600112503"})
        )


@pytest.mark.parametrize(
    ("mudancas", "detalhe"),
    [
        ({"x-twilio-email-event-webhook-signature": ""}, "ausentes"),
        ({"x-twilio-email-event-webhook-timestamp": ""}, "ausentes"),
        ({"x-twilio-email-event-webhook-signature": "não-é-base64"}, "não confere"),
        ({"x-twilio-email-event-webhook-signature": base64.b64encode(b"xx").decode()},
         "não confere"),
    ],
)  # fmt: skip
def test_assinatura_de_eventos_recusada(vetor, fixture_bytes, mudancas, detalhe):
    corpo = fixture_bytes("email/sendgrid_signed_event_body.bin")
    adaptador = Adaptador({**CONFIG, "sendgrid_webhook_public_key": vetor["public_key"]})
    with pytest.raises(AssinaturaInvalida, match=detalhe) as exc:
        adaptador.verificar(_req_vetor(vetor, corpo, **mudancas))
    assert exc.value.status == 401


def test_chave_publica_ausente_invalida_ou_em_pem(vetor, fixture_bytes, chave_ec):
    corpo = fixture_bytes("email/sendgrid_signed_event_body.bin")
    requisicao = _req_vetor(vetor, corpo)
    with pytest.raises(AssinaturaInvalida, match="não configurada"):
        Adaptador(CONFIG).verificar(requisicao)
    with pytest.raises(AssinaturaInvalida, match="inválida"):
        Adaptador({**CONFIG, "sendgrid_webhook_public_key": "AAAA"}).verificar(requisicao)
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(AssinaturaInvalida, match="não é uma chave ECDSA"):
        Adaptador({**CONFIG, "sendgrid_webhook_public_key": rsa_pem.decode()}).verificar(requisicao)
    pem = chave_ec.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    adaptador = Adaptador({**CONFIG, "sendgrid_webhook_public_key": pem.decode()})
    adaptador.verificar(post_eventos(b"[]\r\n", chave_ec))
    with pytest.raises(AssinaturaInvalida, match="não confere"):
        adaptador.verificar(requisicao)  # signed by another key


# ------------------------------------------------------------------------------- events
def _evento(**campos) -> dict:
    base = {"email": "cliente@exemplo.org", "timestamp": 1700000000, "event": "delivered",
            "sg_event_id": "e1", "sg_message_id": "abc.filter0001",
            "smtp-id": "<abc@ismtpd-1>"}  # fmt: skip
    return {**base, **campos}


def _interpretar_eventos(eventos: list[dict], chave, **extra) -> list:
    corpo = json.dumps(eventos).encode() + b"\r\n"
    adaptador = Adaptador({**CONFIG, "sendgrid_webhook_public_key": publica(chave)})
    requisicao = post_eventos(corpo, chave, **extra)
    adaptador.verificar(requisicao)
    return adaptador.interpretar(requisicao)


def test_eventos_usam_o_nosso_message_id_e_filtram_outro_canal(chave_ec):
    nosso = {"conectcrm_message_id": "<nosso.1@exemplo.com.br>", "conectcrm_canal": ENDERECO}
    eventos = [
        _evento(**nosso),
        _evento(event="open", sg_machine_open=True, **nosso),  # Apple MPP: nobody read it
        _evento(event="open", conectcrm_canal="vendas@exemplo.com.br"),  # another channel's mail
        _evento(event="click", **{"smtp-id": ""}),
        _evento(event="deferred", response="400 try again later"),
    ]
    assert _interpretar_eventos(eventos, chave_ec) == [
        StatusEntrada("<nosso.1@exemplo.com.br>", StatusEntrega.ENTREGUE, utc(1700000000),
                      conversa_id_externo="cliente@exemplo.org"),
        StatusEntrada("abc.filter0001", StatusEntrega.LIDA, utc(1700000000),
                      conversa_id_externo="cliente@exemplo.org"),
    ]  # fmt: skip


def test_roteamento_dos_eventos(chave_ec):
    corpo = json.dumps([_evento(conectcrm_canal="Vendas@Exemplo.com.br"), _evento()]).encode()
    requisicao = post_eventos(corpo, chave_ec)
    assert Adaptador.identificadores_da_requisicao(requisicao) == ["vendas@exemplo.com.br"]
    sem_arg = post_eventos(json.dumps([_evento()]).encode(), chave_ec)
    assert Adaptador.identificador_da_requisicao(sem_arg) is None
    consulta = {"canal": "Suporte@Exemplo.com.br"}
    por_url = RequisicaoWebhook("POST", URL, dict(sem_arg.cabecalhos), sem_arg.corpo, consulta)
    assert Adaptador.identificador_da_requisicao(por_url) == ENDERECO
    ambos = RequisicaoWebhook("POST", URL, dict(requisicao.cabecalhos), requisicao.corpo,
                              query={"canal": ENDERECO})  # fmt: skip
    assert Adaptador.identificadores_da_requisicao(ambos) == ["vendas@exemplo.com.br", ENDERECO]
    ruim = post_eventos(b"{nope", chave_ec)
    assert Adaptador.identificadores_da_requisicao(ruim) == []
    assert Adaptador(CONFIG).id_evento(requisicao) is None


@pytest.mark.parametrize(
    ("corpo", "motivo"),
    [
        (b"{nope", "JSON"),
        (b'{"event": "open"}', "lista"),
        (b"[1]", "lista"),
        (json.dumps([_evento(**{"smtp-id": "", "sg_message_id": ""})]).encode(), "identificador"),
        (json.dumps([_evento(timestamp="ontem")]).encode(), "timestamp"),
        (json.dumps([_evento(timestamp=True)]).encode(), "timestamp"),
    ],
)
def test_eventos_invalidos(chave_ec, corpo, motivo):
    requisicao = post_eventos(corpo, chave_ec)
    with pytest.raises(PayloadInvalido, match=motivo):
        Adaptador(CONFIG).interpretar(requisicao)


# ------------------------------------------------------------------------------- inbound shapes
RESPOSTA_GMAIL = (
    b"From: =?utf-8?q?Jo=C3=A3o_Silva?= <Joao@Cliente.com.br>\r\n"
    b"To: Suporte <suporte@exemplo.com.br>, outra@exemplo.com.br\r\n"
    b"Cc: chefe@cliente.com.br\r\n"
    b"Reply-To: atendimento@cliente.com.br\r\n"
    b"Subject: =?utf-8?q?Re=3A_Pedido_n=C2=BA_123?=\r\n"
    b"Date: Sun, 01 Mar 2026 09:00:00 -0300\r\n"
    b"Message-ID: <CAF+resp-1@mail.gmail.com>\r\n"
    b"In-Reply-To: <20260301.1@exemplo.com.br>\r\n"
    b"References: <CAF+orig-0@mail.gmail.com>\r\n <20260301.1@exemplo.com.br>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    b"--mix\r\n"
    b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    b"--alt\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"Obrigado, chegou certinho!\r\n\r\n"
    b"Em dom., 1 de mar. de 2026 =C3=A0s 08:00, Suporte <suporte@exemplo.com.br>\r\n"
    b"escreveu:\r\n\r\n"
    b"> Seu pedido foi enviado.\r\n"
    b"--alt\r\n"
    b'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
    b"--rel\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<div>Obrigado, chegou certinho!<img src="cid:logo@x"></div>'
    b"<blockquote>Seu pedido foi enviado.</blockquote>\r\n"
    b"--rel\r\n"
    b"Content-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"iVBORw0KGgo=\r\n"
    b"--rel--\r\n"
    b"--alt--\r\n"
    b"--mix\r\n"
    b'Content-Type: application/pdf; name="nota fiscal.pdf"\r\n'
    b'Content-Disposition: attachment; filename="nota fiscal.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--mix\r\n"
    b"Content-Type: message/rfc822\r\n\r\n"
    b"From: a@b.com\r\nSubject: encaminhada\r\n\r\ncorpo\r\n"
    b"--mix--\r\n"
)


def test_resposta_completa_em_modo_raw():
    requisicao = post_raw(RESPOSTA_GMAIL)
    adaptador = Adaptador(CONFIG)
    adaptador.verificar(requisicao)
    with time_machine.travel(AGORA, tick=False):
        (evento,) = adaptador.interpretar(requisicao)
    assert evento.id_externo == "<CAF+resp-1@mail.gmail.com>"
    assert evento.conversa == Conversa("<CAF+orig-0@mail.gmail.com>")  # References' first id
    assert evento.responde_a == "<20260301.1@exemplo.com.br>"
    assert evento.remetente.identidades == email_de("joao@cliente.com.br")
    assert (evento.remetente.nome, evento.remetente.email) == ("João Silva", "joao@cliente.com.br")
    assert evento.data == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert evento.conteudo == "Obrigado, chegou certinho!"
    assert evento.dados["texto_completo"].startswith("Obrigado, chegou certinho!\r\n\r\nEm dom.")
    assert evento.cabecalhos == {
        "Message-ID": "<CAF+resp-1@mail.gmail.com>",
        "Subject": "Re: Pedido nº 123",
        "In-Reply-To": "<20260301.1@exemplo.com.br>",
        "References": "<CAF+orig-0@mail.gmail.com> <20260301.1@exemplo.com.br>",
        "From": "João Silva <Joao@Cliente.com.br>",
        "Reply-To": "atendimento@cliente.com.br",
    }
    assert evento.dados["para"] == ["suporte@exemplo.com.br", "outra@exemplo.com.br"]
    assert evento.dados["cc"] == ["chefe@cliente.com.br"]
    png = base64.b64decode("iVBORw0KGgo=")
    pdf = base64.b64decode("JVBERi0xLjQK")
    # the CRLF before a boundary belongs to the delimiter, not to the attached message
    encaminhada = b"From: a@b.com\r\nSubject: encaminhada\r\n\r\ncorpo"
    assert [(a["ref"], a["nome"], a["mime"], a["inline"]) for a in evento.dados["anexos"]] == [
        ("anexo:1", "anexo1", "image/png", True),
        ("anexo:2", "nota fiscal.pdf", "application/pdf", False),
        ("anexo:3", "anexo3.eml", "message/rfc822", False),
    ]
    assert evento.midias == (
        MidiaRef("anexo:2", "application/pdf", "nota fiscal.pdf", len(pdf),
                 hashlib.sha256(pdf).hexdigest()),
        MidiaRef("anexo:3", "message/rfc822", "anexo3.eml", len(encaminhada),
                 hashlib.sha256(encaminhada).hexdigest()),
    )  # fmt: skip
    assert adaptador.extrair_anexo(requisicao, evento.midias[0]).conteudo == pdf
    assert adaptador.extrair_anexo(requisicao, evento.midias[1]).conteudo == encaminhada
    assert adaptador.extrair_anexo(requisicao, MidiaRef("anexo:1")).conteudo == png
    assert Adaptador.identificadores_da_requisicao(requisicao) == [ENDERECO]


def test_todos_os_destinatarios_sao_candidatos_ao_roteamento():
    envelope = json.dumps({"to": ["Outra@Exemplo.com.br", ENDERECO], "from": "x@y.z"})
    requisicao = post_campos([
        ("headers", "From: x@y.z\r\n"), ("text", "oi"), ("envelope", envelope),
        ("to", "Outra <outra@exemplo.com.br>, Suporte <suporte@exemplo.com.br>"),
        ("cc", "vendas@exemplo.com.br"),
    ])  # fmt: skip
    assert Adaptador.identificadores_da_requisicao(requisicao) == [
        "outra@exemplo.com.br",
        ENDERECO,
        "vendas@exemplo.com.br",
    ]
    assert Adaptador.identificador_da_requisicao(requisicao) == "outra@exemplo.com.br"
    assert Adaptador.identificador_da_requisicao(post(b"--x--", "multipart/form-data")) is None
    # an unreadable or odd envelope: the To/Cc fields still route
    for envelope in ("{não é json", '{"to": "suporte@exemplo.com.br"}'):
        requisicao = post_campos([("envelope", envelope), ("to", ENDERECO)])
        assert Adaptador.identificadores_da_requisicao(requisicao) == [ENDERECO]


def test_extrair_anexo_confere_a_referencia():
    requisicao = post_raw(RESPOSTA_GMAIL)
    adaptador = Adaptador(CONFIG)
    with pytest.raises(ErroDefinitivo, match="sha256") as exc:
        adaptador.extrair_anexo(requisicao, MidiaRef("anexo:2", sha256="0" * 64))
    assert exc.value.codigo == "anexo"
    for ref in ("anexo:0", "anexo:9", "anexo:x", "foto:1"):
        with pytest.raises(PayloadInvalido):
            adaptador.extrair_anexo(requisicao, MidiaRef(ref))
    with pytest.raises(OperacaoNaoSuportada, match="extrair_midia"):
        adaptador.baixar_midia(MidiaRef("anexo:2"))


def test_modo_padrao_com_charset_e_so_html():
    campos = [
        ("headers", "From: =?iso-8859-1?q?Jos=E9?= <jose@x.com>\r\n"
                    "Subject: =?iso-8859-1?q?Ol=E1?=\r\nMessage-ID: <m1@x.com>\r\n"),
        ("html", "<p>Bom dia!</p><p>Segue a d&uacute;vida.<br>Obrigado</p>"
                 "<blockquote>citação antiga</blockquote><style>p{}</style>".encode("latin-1",
                                                                                    "replace")),
        ("charsets", '{"html": "iso-8859-1", "headers": "UTF-8"}'),
        ("to", ENDERECO),
    ]  # fmt: skip
    with time_machine.travel(AGORA, tick=False):
        (evento,) = Adaptador(CONFIG).interpretar(post_campos(campos))
    assert evento.conteudo == "Bom dia!\n\nSegue a dúvida.\nObrigado"
    assert evento.dados["texto_completo"] == ""
    assert evento.remetente.nome == "José"
    assert evento.cabecalhos["Subject"] == "Olá"
    assert evento.data == AGORA  # no Date header: the moment we read it
    assert evento.tipo == TipoMensagem.TEXTO


def test_email_so_com_anexo_tem_o_tipo_do_anexo_e_data_futura_e_limitada():
    eml = (
        b"From: a@b.com\r\nDate: Mon, 01 Jan 2035 00:00:00 +0000\r\nMessage-ID: <s1@b.com>\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\n\r\n"
        b'--m\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename="f.jpg"\r\n'
        b"\r\nJPEG\r\n--m--\r\n"
    )
    with time_machine.travel(AGORA, tick=False):
        (evento,) = Adaptador(CONFIG).interpretar(post_raw(eml))
    assert (evento.tipo, evento.conteudo) == (TipoMensagem.IMAGEM, "")
    assert evento.midias[0].nome == "f.jpg"
    assert evento.data == AGORA


def test_corpo_dividido_pelo_apple_mail_e_charset_desconhecido():
    eml = (
        b"From: a@b.com\r\nMessage-ID: sem-colchetes@b.com\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain; charset=x-desconhecido\r\n\r\nantes\r\n"
        b'--m\r\nContent-Type: image/png; name="i.png"\r\nContent-Disposition: inline;'
        b' filename="i.png"\r\n\r\nPNG\r\n'
        b"--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ndepois\r\n--m--\r\n"
    )
    (evento,) = Adaptador(CONFIG).interpretar(post_raw(eml))
    assert evento.conteudo == "antes\ndepois"
    assert evento.id_externo == "<sem-colchetes@b.com>"
    assert [m.nome for m in evento.midias] == ["i.png"]  # inline, but no HTML references it


@pytest.mark.parametrize(
    ("corpo", "tipo", "motivo"),
    [
        (b"--x\r\n\r\n--x--", "multipart/form-data", "boundary"),
        (b"nada aqui", "multipart/form-data; boundary=x", "boundary"),
        (b'--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n',
         "multipart/form-data; boundary=x", "sem campos"),
        (multipart([("text", "oi")])[0], multipart([])[1], "'email' nem 'headers'"),
        (multipart([("headers", "Subject: oi\r\n"), ("text", "oi")])[0], multipart([])[1],
         "sem remetente"),
    ],
)  # fmt: skip
def test_formulario_invalido(corpo, tipo, motivo):
    with pytest.raises(PayloadInvalido, match=motivo):
        Adaptador(CONFIG).interpretar(post(corpo, tipo))
    if motivo != "sem remetente":  # a readable post keeps its id: stored, then it fails here
        assert Adaptador(CONFIG).id_evento(post(corpo, tipo)) is None


def test_remetente_pelo_campo_from_e_id_sintetico_estavel():
    campos = [("headers", "Subject: sem from\r\n"), ("text", "oi"), ("from", "Ana <ana@x.com>")]
    requisicao = post_campos(campos)
    (evento,) = Adaptador(CONFIG).interpretar(requisicao)
    assert (evento.remetente.nome, evento.remetente.email) == ("Ana", "ana@x.com")
    assert re.fullmatch(r"<[0-9a-f]{40}@sem-message-id\.invalid>", evento.id_externo)
    assert Adaptador(CONFIG).id_evento(post_campos(campos)) == evento.id_externo  # a retry
    outro = post_campos([*campos[:1], ("text", "outro texto"), campos[2]])
    assert Adaptador(CONFIG).id_evento(outro) != evento.id_externo


def test_cabecalhos_estranhos_nao_derrubam():
    eml = b"From: <<<>>>\r\nDate: ontem\r\nMessage-ID: <a@b> <c@d>\r\nSubject: x\r\n\r\noi\r\n"
    requisicao = post_raw(eml)  # SendGrid's own 'from' field is the fallback sender
    with time_machine.travel(AGORA, tick=False):
        (evento,) = Adaptador(CONFIG).interpretar(requisicao)
    assert (evento.remetente.email, evento.data, evento.id_externo) == (
        "cliente@exemplo.org",
        AGORA,
        "<a@b>",
    )
    sem_from = post_campos([("email", eml), ("to", ENDERECO)])
    with pytest.raises(PayloadInvalido, match="sem remetente"):
        Adaptador(CONFIG).interpretar(sem_from)
    # the stdlib header parser raises IndexError on a lone quote: read as "no header"
    quebrado = post_raw(b'From: "\r\nReply-To: "\r\nMessage-ID: <q@x>\r\n\r\noi\r\n')
    (evento,) = Adaptador(CONFIG).interpretar(quebrado)
    assert evento.remetente.email == "cliente@exemplo.org"
    assert evento.cabecalhos == {"Message-ID": "<q@x>", "Subject": "", "From": ""}


# ------------------------------------------------------------------------------- quote stripping
@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("Oi!\n\nOn Wed, Aug 10, 2016 at 6:10 PM, Ana <ana@x.com> wrote:\n> antes", "Oi!"),
        ("Oi!\n\nOn Wed, Aug 10, 2016 at 6:10 PM, Ana Maria Souza <\nana@x.com> wrote:\n> a",
         "Oi!"),
        ("Certo.\r\n\r\nEm ter., 3 de mar. de 2026 às 10:00, Suporte <s@x.com> escreveu:\r\n> a",
         "Certo."),
        ("Ok\n\n-----Original Message-----\nFrom: a@b.com\nSent: Monday\n\nantigo", "Ok"),
        ("Ok\n\n________________________________\nDe: Suporte\nEnviado: segunda\nantigo", "Ok"),
        ("Ok\n\nFrom: Suporte <s@x.com>\nSent: Monday, March 2, 2026 10:00 AM\nTo: a\n\nold",
         "Ok"),
        ("Resposta\n\n> citação\n> mais citação\n", "Resposta"),
        ("> eu disse\nconcordo\n> você disse\nnão", "> eu disse\nconcordo\n> você disse\nnão"),
        ("From: isto é só o começo da mensagem\nsem data depois",
         "From: isto é só o começo da mensagem\nsem data depois"),
        ("On Monday I wrote the report:\nsee attached",
         "On Monday I wrote the report:\nsee attached"),
        ("On Wed, Ana <a@x.com> wrote:\n> só citação",
         "On Wed, Ana <a@x.com> wrote:\n> só citação"),
        ("", ""),
    ],
)  # fmt: skip
def test_sem_citacao(texto, esperado):
    assert email_texto.sem_citacao(texto) == esperado


def test_texto_do_html():
    html = "<html><head><title>t</title></head><body><h1>Título</h1><p>a &amp; b</p>" \
           "<script>x()</script><ul><li>um</li><li>dois</li></ul></body></html>"  # fmt: skip
    assert email_texto.texto_do_html(html) == "Título\n\na & b\n\num\n\ndois"
    assert email_texto.decodificar("ação".encode("latin-1"), "charset-que-nao-existe") == "a��o"


# ------------------------------------------------------------------------------- outbound: SMTP
class Caixa:
    """aiosmtpd handler: keeps what it accepts; some addresses are refused on purpose."""

    def __init__(self) -> None:
        self.recebidas: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("inexistente@"):
            return "550 5.1.1 Usuario inexistente"
        if address.startswith("cheia@"):
            return "452 4.2.2 Caixa cheia"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"SPAM" in envelope.content:
            return "554 5.7.1 Mensagem recusada"
        self.recebidas.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def certificado(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert path, key path)."""
    chave = ec.generate_private_key(ec.SECP256R1())
    nome = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    agora = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(nome)
        .issuer_name(nome)
        .public_key(chave.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(agora - timedelta(days=1))
        .not_valid_after(agora + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(chave, hashes.SHA256())
    )
    pasta = tmp_path_factory.mktemp("tls")
    (pasta / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (pasta / "chave.pem").write_bytes(
        chave.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(pasta / "cert.pem"), str(pasta / "chave.pem")


def contexto_servidor(certificado) -> ssl.SSLContext:
    contexto = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    contexto.load_cert_chain(*certificado)
    return contexto


def contexto_cliente(certificado) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certificado[0])


def autenticar(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"atende@exemplo.com.br",
        b"p@ss w:rd",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers the 535


def porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """Start a real local SMTP server: ``smtp(**aiosmtpd options) -> (Caixa, port)``."""
    controladores = []

    def iniciar(**opcoes):
        caixa, porta = Caixa(), porta_livre()
        controlador = Controller(caixa, hostname="127.0.0.1", port=porta, **opcoes)
        controlador.start()
        controladores.append(controlador)
        return caixa, porta

    yield iniciar
    for controlador in controladores:
        controlador.stop()


CREDENCIAIS = "atende%40exemplo.com.br:p%40ss%20w%3Ard"


@pytest.fixture
def smtp_tls(smtp, certificado):
    """STARTTLS required, AUTH only after TLS: the usual submission server on 587."""
    caixa, porta = smtp(
        tls_context=contexto_servidor(certificado),
        require_starttls=True,
        authenticator=autenticar,
        auth_require_tls=True,
    )
    return caixa, f"smtp+tls://{CREDENCIAIS}@127.0.0.1:{porta}"


def adaptador_smtp(smtp_url: str, certificado=None, **config) -> Adaptador:
    adaptador = Adaptador({**CONFIG, "smtp_url": smtp_url, **config})
    if certificado is not None:
        adaptador.contexto_tls = contexto_cliente(certificado)
    return adaptador


def ler_email(envelope) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(envelope.content)


ENTRADA = {
    "Message-ID": "<CAF+resp-1@mail.gmail.com>",
    "Subject": "Re: Pedido nº 123",
    "In-Reply-To": "<20260301.1@exemplo.com.br>",
    "References": "<CAF+orig-0@mail.gmail.com> <20260301.1@exemplo.com.br>",
    "From": "João Silva <Joao@Cliente.com.br>",
    "Reply-To": "atendimento@cliente.com.br",
}


def test_resposta_encadeada_via_smtp_com_starttls_e_login(smtp_tls, certificado):
    caixa, url = smtp_tls
    mensagem = MensagemSaida(
        destino="<CAF+orig-0@mail.gmail.com>",  # the ticket's conversation: the thread root
        texto="Olá João,\n\nsegue o código de rastreio: BR123.",
        assunto="Pedido nº 123",
        cabecalhos=email_envio.cabecalhos_resposta(ENTRADA),
    )
    resultado = adaptador_smtp(url, certificado).enviar(mensagem)
    (envelope,) = caixa.recebidas
    assert envelope.mail_from == ENDERECO
    assert envelope.rcpt_tos == ["atendimento@cliente.com.br"]
    recebido = ler_email(envelope)
    assert re.fullmatch(r"<[^@>]+@exemplo\.com\.br>", resultado.id_externo)
    assert recebido["Message-ID"] == resultado.id_externo
    assert recebido["In-Reply-To"] == "<CAF+resp-1@mail.gmail.com>"
    assert recebido["References"] == (
        "<CAF+orig-0@mail.gmail.com> <20260301.1@exemplo.com.br> <CAF+resp-1@mail.gmail.com>"
    )
    assert recebido["Subject"] == "Re: Pedido nº 123"
    assert recebido["From"] == "Suporte Exemplo <suporte@exemplo.com.br>"
    assert recebido["To"] == "atendimento@cliente.com.br"
    assert recebido["Date"].datetime.tzinfo is not None
    assert recebido.get_content_type() == "text/plain"
    assert recebido.get_content() == "Olá João,\r\n\r\nsegue o código de rastreio: BR123.\r\n"


def test_novo_email_com_anexo_por_smtps(smtp, certificado):
    caixa, porta = smtp(ssl_context=contexto_servidor(certificado))
    midia = MidiaSaida(TipoMensagem.DOCUMENTO, "application/pdf", "boleto.pdf", conteudo=b"%PDF-1")
    mensagem = MensagemSaida(
        destino="cliente@exemplo.org", texto="Segue o boleto.", assunto="Boleto", midia=midia
    )
    resultado = adaptador_smtp(f"smtps://127.0.0.1:{porta}", certificado).enviar(mensagem)
    recebido = ler_email(caixa.recebidas[0])
    assert recebido["Message-ID"] == resultado.id_externo
    assert (recebido["Subject"], recebido["To"]) == ("Boleto", "cliente@exemplo.org")
    assert recebido["In-Reply-To"] is None
    assert recebido["References"] is None
    assert recebido.get_body(("plain",)).get_content() == "Segue o boleto.\r\n"
    (anexo,) = recebido.iter_attachments()
    assert (anexo.get_filename(), anexo.get_content_type(), anexo.get_content()) == (
        "boleto.pdf",
        "application/pdf",
        b"%PDF-1",
    )


def test_smtp_simples_sem_tls_e_threading_por_responder_a(smtp):
    caixa, porta = smtp()
    mensagem = MensagemSaida(
        destino="<raiz@cliente.org>",
        texto="Resolvido.",
        assunto="Dúvida",
        responder_a="<m2@cliente.org>",
        cabecalhos={"to": "Ana <ana@cliente.org>"},
    )
    adaptador_smtp(f"smtp://127.0.0.1:{porta}").enviar(mensagem)
    recebido = ler_email(caixa.recebidas[0])
    assert recebido["In-Reply-To"] == "<m2@cliente.org>"
    assert recebido["References"] == "<raiz@cliente.org> <m2@cliente.org>"
    assert recebido["Subject"] == "Re: Dúvida"
    assert recebido["To"] == "Ana <ana@cliente.org>"
    assert caixa.recebidas[0].rcpt_tos == ["ana@cliente.org"]


@pytest.mark.parametrize(
    ("destino", "erro", "codigo"),
    [
        ("inexistente@exemplo.org", ErroDefinitivo, "550"),
        ("cheia@exemplo.org", ErroTransitorio, "452"),
    ],
)
def test_smtp_destinatario_recusado(smtp_tls, certificado, destino, erro, codigo):
    caixa, url = smtp_tls
    with pytest.raises(erro) as exc:
        adaptador_smtp(url, certificado).enviar(MensagemSaida(destino=destino, texto="oi"))
    assert exc.value.codigo == codigo
    assert destino in exc.value.detalhe or "recusado" in exc.value.detalhe
    assert caixa.recebidas == []


def test_smtp_conteudo_recusado_e_login_errado(smtp_tls, certificado):
    caixa, url = smtp_tls
    with pytest.raises(ErroDefinitivo) as exc:
        adaptador_smtp(url, certificado).enviar(MensagemSaida(destino="a@b.org", texto="SPAM"))
    assert exc.value.codigo == "554"
    errada = url.replace("p%40ss", "outra")
    with pytest.raises(ErroDefinitivo) as exc:
        adaptador_smtp(errada, certificado).enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    assert exc.value.codigo == "535"
    assert "outra" not in exc.value.detalhe
    assert caixa.recebidas == []


def test_smtp_tls_nao_verificado_e_starttls_ausente(smtp_tls, smtp):
    _, url = smtp_tls
    with pytest.raises(ErroDefinitivo) as exc:  # the system trust store does not know our CA
        adaptador_smtp(url).enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    assert exc.value.codigo == "tls"
    _, porta = smtp()
    sem_tls = adaptador_smtp(f"smtp+tls://127.0.0.1:{porta}")
    with pytest.raises(ErroDefinitivo) as exc:
        sem_tls.enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    assert exc.value.codigo == "smtp_nao_suportado"


def test_smtp_conexao_recusada_e_timeout(porta_fechada):
    with pytest.raises(ErroTransitorio) as exc:
        adaptador_smtp(f"smtp://127.0.0.1:{porta_fechada}").enviar(
            MensagemSaida(destino="a@b.org", texto="oi")
        )
    assert exc.value.codigo == "conexao"
    with socket.socket() as mudo:  # accepts the TCP connection, never greets
        mudo.bind(("127.0.0.1", 0))
        mudo.listen()
        adaptador = adaptador_smtp(f"smtp://127.0.0.1:{mudo.getsockname()[1]}")
        adaptador.timeout_segundos = 0.2
        with pytest.raises(ErroTransitorio) as exc:
            adaptador.enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    assert exc.value.codigo == "timeout"


@pytest.mark.parametrize(
    ("url", "esperado"),
    [
        ("smtp+tls://u%40x:p%3Aw@mail.x.com", ("mail.x.com", 587, "starttls", "u@x", "p:w")),
        ("smtp+starttls://mail.x.com:2525", ("mail.x.com", 2525, "starttls", "", "")),
        ("smtps://u:p@mail.x.com", ("mail.x.com", 465, "ssl", "u", "p")),
        ("smtp+ssl://mail.x.com:4650", ("mail.x.com", 4650, "ssl", "", "")),
        ("SMTP://relay.local", ("relay.local", 25, "simples", "", "")),
    ],
)
def test_config_smtp(url, esperado):
    cfg = email_envio.config_smtp(url)
    assert (cfg.host, cfg.porta, cfg.modo, cfg.usuario, cfg.senha) == esperado


@pytest.mark.parametrize("url", ["http://x.com", "smtp://", "smtp://x.com:porta", "x.com:25"])
def test_config_smtp_invalida(url):
    with pytest.raises(ErroDefinitivo) as exc:
        Adaptador({**CONFIG, "smtp_url": url}).enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    assert exc.value.codigo == "config"


# ------------------------------------------------------------------------------- outbound: rules
@pytest.mark.parametrize(
    ("config", "mensagem", "codigo"),
    [
        (CONFIG, MensagemSaida(destino="<raiz@x>", texto="oi"), "destino"),
        (CONFIG, MensagemSaida(destino="", texto="oi"), "destino"),
        (CONFIG, MensagemSaida(destino="a@b.org"), "vazia"),
        (CONFIG, MensagemSaida(destino="a@b.org", texto="oi", template=TemplateSaida("t")),
         "template"),
        (CONFIG, MensagemSaida(destino="a@b.org", midia=MidiaSaida(
            TipoMensagem.IMAGEM, "image/png", "a.png", url="https://x/a.png")), "vazia"),
        ({**CONFIG, "endereco": ""}, MensagemSaida(destino="a@b.org", texto="oi"), "config"),
        (CONFIG, MensagemSaida(destino="a@b.org", texto="oi"), "config"),  # no transport
    ],
)  # fmt: skip
def test_envio_recusado_antes_de_conectar(config, mensagem, codigo):
    with pytest.raises(ErroDefinitivo) as exc:
        Adaptador({**config, "sendgrid_api_key": ""}).enviar(mensagem)
    assert exc.value.codigo == codigo


def test_cabecalhos_resposta(fixture_bytes):
    (evento,) = Adaptador(CONFIG).interpretar(
        post_raw(
            fixture_bytes("email/reply_with_in_reply_to_and_references_chatwoot.eml"),
            para="care@example.com",
        )
    )
    assert email_envio.cabecalhos_resposta(evento.cabecalhos) == {
        "To": "Sony Mathew <sony@chatwoot.com>",
        "In-Reply-To": CHATWOOT_ID,
        "References": f"{CHATWOOT_PAI} <test-reference-id> {CHATWOOT_ID}",
        "Subject": "Re: Discussion: Let's debate these attachments",
    }
    # RFC 5322: no References but a single In-Reply-To → it goes first
    assert email_envio.cabecalhos_resposta(
        {"Message-ID": "<b@x>", "In-Reply-To": "<a@x>", "From": "c@x", "Subject": "RE: oi"}
    ) == {"To": "c@x", "In-Reply-To": "<b@x>", "References": "<a@x> <b@x>", "Subject": "Re: oi"}
    assert email_envio.cabecalhos_resposta({}) == {}


def test_operacoes_nao_suportadas():
    with pytest.raises(OperacaoNaoSuportada):
        Adaptador(CONFIG).marcar_lida(destino="<r@x>", id_externo="<m@x>")
    with pytest.raises(OperacaoNaoSuportada):
        Adaptador(CONFIG).digitando(destino="<r@x>")
    with pytest.raises(OperacaoNaoSuportada):
        Adaptador(CONFIG).registrar_webhook(URL)


# ------------------------------------------------------------------------------- outbound: SendGrid
CHAVE_SG = "SG.chave-de-teste"


@pytest.fixture
def sendgrid(api_base):
    return Adaptador({**CONFIG, "sendgrid_api_key": CHAVE_SG, "api_base_url": api_base})


def test_enviar_pelo_sendgrid(sendgrid, httpserver):
    recebidos = []

    def tratar(request):
        recebidos.append((request.headers.get("Authorization"), request.get_json()))
        return Response("", status=202, headers={"X-Message-Id": "sg-abc123"})

    httpserver.expect_oneshot_request("/v3/mail/send", method="POST").respond_with_handler(tratar)
    midia = MidiaSaida(TipoMensagem.IMAGEM, "image/png; x=1", "print.png", conteudo=b"\x89PNG")
    mensagem = MensagemSaida(
        destino="<CAF+orig-0@mail.gmail.com>",
        texto="Veja o print.",
        assunto="Pedido nº 123",
        midia=midia,
        cabecalhos=email_envio.cabecalhos_resposta(ENTRADA),
    )
    resultado = sendgrid.enviar(mensagem)
    ((autorizacao, corpo),) = recebidos
    assert autorizacao == f"Bearer {CHAVE_SG}"
    mid = resultado.id_externo
    assert re.fullmatch(r"<[^@>]+@exemplo\.com\.br>", mid)
    assert corpo == {
        "personalizations": [{"to": [{"email": "atendimento@cliente.com.br"}]}],
        "from": {"email": ENDERECO, "name": "Suporte Exemplo"},
        "subject": "Re: Pedido nº 123",
        "content": [{"type": "text/plain", "value": "Veja o print."}],
        "headers": {
            "Message-ID": mid,
            "In-Reply-To": "<CAF+resp-1@mail.gmail.com>",
            "References": "<CAF+orig-0@mail.gmail.com> <20260301.1@exemplo.com.br> "
            "<CAF+resp-1@mail.gmail.com>",
        },
        "custom_args": {"conectcrm_message_id": mid, "conectcrm_canal": ENDERECO},
        "attachments": [
            {
                "content": base64.b64encode(b"\x89PNG").decode(),
                "type": "image/png",
                "filename": "print.png",
                "disposition": "attachment",
            }
        ],
    }


def test_sendgrid_sem_assunto_nem_nome(api_base, httpserver):
    httpserver.expect_oneshot_request("/v3/mail/send").respond_with_data("", status=202)
    adaptador = Adaptador(
        {"endereco": ENDERECO, "sendgrid_api_key": CHAVE_SG, "api_base_url": api_base}
    )
    adaptador.enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    ((requisicao, _),) = httpserver.log
    corpo = requisicao.get_json()
    assert (corpo["subject"], corpo["from"]) == (" ", {"email": ENDERECO})
    assert set(corpo["headers"]) == {"Message-ID"}


@pytest.mark.parametrize(
    ("status", "corpo", "erro", "detalhe"),
    [
        (400, {"errors": [{"message": "The from address does not match a verified Sender "
                                      "Identity.", "field": "from", "help": None}]},
         ErroDefinitivo, "400: from: The from address does not match a verified Sender Identity."),
        (401, {"errors": [{"message": "The provided authorization grant is invalid, expired, or "
                                      "revoked", "field": None, "help": None}]},
         ErroDefinitivo, "401: The provided authorization grant is invalid, expired, or revoked"),
        (413, "", ErroDefinitivo, "413: sem descrição"),
        (429, {"errors": [{"message": "too many requests"}]}, ErroTransitorio,
         "429: too many requests"),
        (500, "Internal Server Error", ErroTransitorio, "500: Internal Server Error"),
    ],
)  # fmt: skip
def test_erros_do_sendgrid(sendgrid, httpserver, status, corpo, erro, detalhe):
    texto = json.dumps(corpo) if isinstance(corpo, dict) else corpo
    httpserver.expect_request("/v3/mail/send").respond_with_data(texto, status=status)
    with pytest.raises(erro) as exc:
        sendgrid.enviar(MensagemSaida(destino="a@b.org", texto="oi"))
    assert (exc.value.codigo, exc.value.detalhe) == (str(status), detalhe)


# ------------------------------------------------------------------------------- testar_conexao
def test_testar_conexao_smtp(smtp_tls, certificado):
    _, url = smtp_tls
    resultado = adaptador_smtp(url, certificado).testar_conexao()
    porta = int(url.rsplit(":", 1)[1])
    assert (resultado.ok, resultado.detalhe) == (True, f"SMTP 127.0.0.1:{porta} ok")
    assert resultado.dados == {
        "host": "127.0.0.1",
        "porta": porta,
        "modo": "starttls",
        "autenticado": True,
    }
    falha = adaptador_smtp(url.replace("p%40ss", "x"), certificado).testar_conexao()
    assert (falha.ok, dict(falha.dados)) == (False, {"codigo": "535"})


def test_testar_conexao_sendgrid(sendgrid, httpserver):
    httpserver.expect_oneshot_request(
        "/v3/scopes", method="GET", headers={"Authorization": f"Bearer {CHAVE_SG}"}
    ).respond_with_json({"scopes": ["mail.send", "alerts.read"]})
    resultado = sendgrid.testar_conexao()
    assert (resultado.ok, resultado.detalhe, dict(resultado.dados)) == (
        True,
        "SendGrid ok (mail.send)",
        {"escopos": 2, "mail_send": True},
    )
    httpserver.expect_oneshot_request("/v3/scopes").respond_with_json({"scopes": ["alerts.read"]})
    assert sendgrid.testar_conexao().ok is False
    httpserver.expect_oneshot_request("/v3/scopes").respond_with_json(
        {"errors": [{"field": None, "message": "access forbidden"}]}, status=401
    )
    falha = sendgrid.testar_conexao()
    assert (falha.ok, falha.detalhe) == (False, "401: access forbidden")
    assert Adaptador(CONFIG).testar_conexao().detalhe == (
        "configuração incompleta: smtp_url ou sendgrid_api_key"
    )
