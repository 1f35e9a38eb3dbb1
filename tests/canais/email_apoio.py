"""Helpers of the e-mail pipeline tests: an e-mail channel whose SMTP is a real local server
(aiosmtpd), mails built with the stdlib and posted through the real webhook URL as SendGrid
Inbound Parse does ("send raw" mode, HTTP Basic credentials)."""

from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

import pytest
from aiosmtpd.controller import Controller

from canais.adapters.email import AdaptadorEmail as Adaptador
from tests.factories import CanalFactory

from .webhook_apoio import url_webhook

USUARIO, SENHA = "sendgrid", "s3nha-do-parse"
ENDERECO = "suporte@loja.com.br"
CLIENTE = "maria@cliente.com.br"


class Caixa:
    """aiosmtpd handler keeping every accepted mail."""

    def __init__(self) -> None:
        self.recebidas: list = []

    async def handle_DATA(self, server, session, envelope):
        self.recebidas.append(envelope)
        return "250 Message accepted for delivery"

    def mensagens(self) -> list[EmailMessage]:
        return [BytesParser(policy=policy.default).parsebytes(e.content) for e in self.recebidas]


def porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servidor_smtp():
    """A real SMTP server on 127.0.0.1: ``(Caixa, smtp_url)``."""
    caixa, porta = Caixa(), porta_livre()
    controlador = Controller(caixa, hostname="127.0.0.1", port=porta)
    controlador.start()
    yield caixa, f"smtp://127.0.0.1:{porta}"
    controlador.stop()


def canal_email(empresa, fila, *, endereco: str = ENDERECO, nome: str = "E-mail", **config):
    publicos = {"endereco": endereco, "nome_remetente": "Loja Aurora", "inbound_usuario": USUARIO}
    segredos = {"inbound_senha": SENHA}
    for chave, valor in config.items():
        (segredos if chave in Adaptador.campos_segredo else publicos)[chave] = valor
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        tipo="email",
        nome=nome,
        config=publicos,
        segredos=segredos,
        identificador=Adaptador.identificador_da_config(publicos),
    )


def basic(usuario: str = USUARIO, senha: str = SENHA) -> str:
    return "Basic " + base64.b64encode(f"{usuario}:{senha}".encode()).decode()


def email(
    *,
    assunto: str = "Nota fiscal de outubro",
    texto: str = "Bom dia, não recebi a nota fiscal.",
    de: str = f"Maria Silva <{CLIENTE}>",
    para: str = ENDERECO,
    message_id: str | None = None,
    em_resposta: str = "",
    referencias: str = "",
    cabecalhos: dict | None = None,
    html: str = "",
    anexos: list[tuple[bytes, str, str, str]] = (),
) -> EmailMessage:
    """A mail as a customer's client writes it; ``anexos``: (bytes, mime, name, content id)."""
    msg = EmailMessage()
    msg["From"] = de
    msg["To"] = para
    msg["Subject"] = assunto
    msg["Date"] = format_datetime(datetime.now(tz=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="cliente.com.br")
    if em_resposta:
        msg["In-Reply-To"] = em_resposta
    if referencias:
        msg["References"] = referencias
    for nome, valor in (cabecalhos or {}).items():
        msg[nome] = valor
    msg.set_content(texto)
    if html:
        msg.add_alternative(html, subtype="html")
    for conteudo, mime, nome, content_id in anexos:
        principal, _, sub = mime.partition("/")
        if content_id:
            msg.get_payload()[-1].add_related(
                conteudo, maintype=principal, subtype=sub, cid=f"<{content_id}>", filename=nome
            )
        else:
            msg.add_attachment(conteudo, maintype=principal, subtype=sub, filename=nome)
    return msg


def multipart(campos: list[tuple[str, bytes | str]], boundary: str = "xYzZY") -> tuple[bytes, str]:
    partes = []
    for nome, valor in campos:
        valor = valor.encode() if isinstance(valor, str) else valor
        partes.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{nome}"\r\n\r\n'.encode()
            + valor
            + b"\r\n"
        )
    return b"".join(partes) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def postar_email(
    client,
    empresa_id,
    msg: EmailMessage,
    *,
    envelope_para: list[str] | None = None,
    envelope_de: str = CLIENTE,
    autorizacao: str | None = None,
):
    """POST the mail as SendGrid Inbound Parse "send raw" does."""
    bruto = msg.as_bytes(policy=policy.SMTP)
    para = envelope_para or [str(msg["To"])]
    corpo, tipo = multipart(
        [
            ("dkim", "{@cliente.com.br : pass}"),
            ("email", bruto),
            ("to", str(msg["To"])),
            ("from", str(msg["From"])),
            ("envelope", json.dumps({"to": para, "from": envelope_de})),
            ("SPF", "pass"),
        ]
    )
    return client.post(
        url_webhook("email", empresa_id),
        data=corpo,
        content_type=tipo,
        HTTP_AUTHORIZATION=basic() if autorizacao is None else autorizacao,
    )
