"""Outbound e-mail: the MIME message, SMTP delivery and SendGrid v3 ``mail/send``.

Threading (RFC 5322 §3.6.4): ``In-Reply-To`` holds the parent's ``Message-ID``; ``References``
the parent's ``References`` (or its single ``In-Reply-To``) followed by the parent's
``Message-ID`` — :func:`cabecalhos_resposta` builds them from an inbound message's
``cabecalhos``.  Our own ``Message-ID`` is generated here and becomes ``id_externo``.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from canais.adapters.base import (
    ErroCanal,
    ErroDefinitivo,
    ErroTransitorio,
    MensagemSaida,
    MidiaSaida,
)
from canais.adapters.email.parse import assunto_limpo, ids, sem_subendereco
from canais.adapters.email.sendgrid import ARG_CANAL, ARG_MESSAGE_ID

#: scheme → (mode, default port)
ESQUEMAS = {
    "smtp": ("simples", 25),
    "smtp+tls": ("starttls", 587),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("ssl", 465),
    "smtp+ssl": ("ssl", 465),
}


# ------------------------------------------------------------------------------- threading
def cabecalhos_resposta(entrada: Mapping[str, str]) -> dict[str, str]:
    """Headers that answer the inbound e-mail whose ``cabecalhos`` are ``entrada``.

    Returns ``To`` (Reply-To, else From), ``In-Reply-To``, ``References`` and ``Subject``
    (the customer's, without their client's prefixes, with one ``Re:``): what
    :class:`MensagemSaida.cabecalhos` expects for a threaded reply.
    """
    pai = ids(entrada.get("Message-ID", ""))
    anteriores = ids(entrada.get("References", ""))
    if not anteriores and len(ids(entrada.get("In-Reply-To", ""))) == 1:
        anteriores = ids(entrada.get("In-Reply-To", ""))
    resposta: dict[str, str] = {}
    destino = entrada.get("Reply-To") or entrada.get("From") or ""
    if destino:
        resposta["To"] = destino
    if pai:
        resposta["In-Reply-To"] = pai[0]
        resposta["References"] = " ".join(_sem_repetir([*anteriores, pai[0]]))
    assunto = assunto_de_resposta(assunto_limpo(entrada.get("Subject", "")))
    if assunto:
        resposta["Subject"] = assunto
    return resposta


def endereco_resposta(endereco: str, ticket_id: Any) -> str:
    """Our per-ticket reply address: ``suporte+<ticket id hex>@loja.com`` (RFC 5233
    sub-address; the channel still routes it by ``suporte@loja.com``)."""
    local, _, dominio = sem_subendereco(endereco.strip().lower()).partition("@")
    return f"{local}+{uuid.UUID(str(ticket_id)).hex}@{dominio}"


def assunto_de_resposta(assunto: str) -> str:
    """One ``Re:`` in front (none added when there is one already)."""
    assunto = " ".join(assunto.split())
    if not assunto or assunto.lower().startswith("re:"):
        return assunto
    return f"Re: {assunto}"


def _sem_repetir(itens: list[str]) -> list[str]:
    return list(dict.fromkeys(itens))


@dataclass(frozen=True)
class Envio:
    """Everything both transports need, decided once."""

    remetente: str
    nome_remetente: str
    para: list[tuple[str, str]]  # (display name, address)
    assunto: str
    texto: str
    message_id: str
    em_resposta: str = ""
    referencias: str = ""
    midia: MidiaSaida | None = None
    html: str = ""
    #: Reply-To (our per-ticket reply address), Auto-Submitted (only on automatic messages)
    extras: Mapping[str, str] = field(default_factory=dict)


#: headers of MensagemSaida.cabecalhos passed through as they are
CABECALHOS_EXTRAS = {"reply-to": "Reply-To", "auto-submitted": "Auto-Submitted"}


def preparar(mensagem: MensagemSaida, *, endereco: str, nome_remetente: str) -> Envio:
    """Recipient, subject and threading headers of ``mensagem`` (see the module docstring).

    The recipient is ``cabecalhos["To"]``, else ``destino`` when it is an address (a thread
    root ``<…>`` is not one).  Without explicit headers, ``responder_a`` (the Message-ID of the
    message answered) and the thread root in ``destino`` still thread the reply.
    """
    cabecalhos = {k.lower(): v for k, v in mensagem.cabecalhos.items()}
    destino = mensagem.destino.strip()
    bruto = cabecalhos.get("to") or ("" if destino.startswith("<") else destino)
    pares = [(nome, endereco) for nome, endereco in getaddresses([bruto]) if "@" in endereco]
    if not pares:
        raise ErroDefinitivo(
            "e-mail sem destinatário: informe cabecalhos['To'] (o destino é a raiz da conversa)",
            codigo="destino",
        )
    if mensagem.template is not None:
        raise ErroDefinitivo(
            "e-mail não tem templates: envie o texto renderizado", codigo="template"
        )
    if not mensagem.texto and mensagem.midia is None:
        raise ErroDefinitivo("mensagem sem texto nem anexo", codigo="vazia")
    if mensagem.midia is not None and mensagem.midia.conteudo is None:
        raise ErroDefinitivo("anexo de e-mail sem conteúdo (URL não basta)", codigo="vazia")
    em_resposta = (ids(cabecalhos.get("in-reply-to", "")) or ids(mensagem.responder_a) or [""])[0]
    referencias = ids(cabecalhos.get("references", ""))
    if not referencias and em_resposta:
        referencias = [*ids(mensagem.destino), em_resposta]
    assunto = mensagem.assunto or cabecalhos.get("subject", "")
    if em_resposta:
        assunto = assunto_de_resposta(assunto)
    dominio = endereco.rpartition("@")[2] or "localhost"
    return Envio(
        remetente=endereco,
        nome_remetente=nome_remetente,
        para=pares,
        assunto=" ".join(assunto.split()),
        texto=mensagem.texto,
        message_id=make_msgid(domain=dominio),
        em_resposta=em_resposta,
        referencias=" ".join(_sem_repetir(referencias)),
        midia=mensagem.midia,
        html=mensagem.html,
        extras={
            nome: " ".join(str(cabecalhos[chave]).split())
            for chave, nome in CABECALHOS_EXTRAS.items()
            if cabecalhos.get(chave)
        },
    )


def _anexo(midia: MidiaSaida) -> tuple[bytes, str, str]:
    mime = (midia.mime or "application/octet-stream").split(";", 1)[0].strip().lower()
    return midia.conteudo or b"", mime, midia.nome or "anexo"


def montar(envio: Envio) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((envio.nome_remetente, envio.remetente))
    msg["To"] = ", ".join(formataddr(par) for par in envio.para)
    msg["Subject"] = envio.assunto
    msg["Date"] = format_datetime(datetime.now(tz=UTC))
    msg["Message-ID"] = envio.message_id
    if envio.em_resposta:
        msg["In-Reply-To"] = envio.em_resposta
    if envio.referencias:
        msg["References"] = envio.referencias
    for nome, valor in envio.extras.items():
        msg[nome] = valor
    msg.set_content(envio.texto or "")
    if envio.html:  # multipart/alternative: plain text first, the preferred HTML last
        msg.add_alternative(envio.html, subtype="html")
    if envio.midia is not None:
        conteudo, mime, nome = _anexo(envio.midia)
        principal, _, sub = mime.partition("/")
        msg.add_attachment(
            conteudo, maintype=principal, subtype=sub or "octet-stream", filename=nome
        )
    return msg


# ------------------------------------------------------------------------------- SMTP
@dataclass(frozen=True)
class ConfigSmtp:
    host: str
    porta: int
    modo: str  # simples | starttls | ssl
    usuario: str = ""
    senha: str = ""


def config_smtp(url: str) -> ConfigSmtp:
    """``smtp+tls://user:pass@host:587`` → :class:`ConfigSmtp` (user/pass URL-decoded)."""
    try:
        partes = urlsplit(url)
        porta = partes.port
    except ValueError as exc:
        raise ErroDefinitivo(f"smtp_url inválida: {exc}", codigo="config") from exc
    esquema = ESQUEMAS.get(partes.scheme.lower())
    if esquema is None or not partes.hostname:
        raise ErroDefinitivo(
            "smtp_url deve ser smtp://, smtp+tls:// ou smtps:// com um host", codigo="config"
        )
    modo, porta_padrao = esquema
    return ConfigSmtp(
        host=partes.hostname,
        porta=porta or porta_padrao,
        modo=modo,
        usuario=unquote(partes.username or ""),
        senha=unquote(partes.password or ""),
    )


def conectar(cfg: ConfigSmtp, *, timeout: float, contexto: ssl.SSLContext) -> smtplib.SMTP:
    """Connected, (STARTTLS-)secured and logged-in session; the caller quits it."""
    if cfg.modo == "ssl":
        sessao: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg.host, cfg.porta, timeout=timeout, context=contexto
        )
    else:
        sessao = smtplib.SMTP(cfg.host, cfg.porta, timeout=timeout)
    try:
        sessao.ehlo()
        if cfg.modo == "starttls":
            sessao.starttls(context=contexto)
            sessao.ehlo()
        if cfg.usuario:
            sessao.login(cfg.usuario, cfg.senha)
    except BaseException:
        fechar(sessao)
        raise
    return sessao


def fechar(sessao: smtplib.SMTP) -> None:
    try:
        sessao.quit()
    except (smtplib.SMTPException, OSError):
        sessao.close()


def enviar_smtp(
    cfg: ConfigSmtp, msg: EmailMessage, envio: Envio, *, timeout: float, contexto: ssl.SSLContext
) -> str:
    """Send ``msg``; the server's reply to the message data (SES puts its id there)."""
    try:
        sessao = conectar(cfg, timeout=timeout, contexto=contexto)
        respostas: list[bytes] = []
        dados_original = sessao.data

        def dados(conteudo):  # smtplib discards the DATA reply: keep it
            codigo, texto = dados_original(conteudo)
            respostas.append(texto)
            return codigo, texto

        sessao.data = dados
        try:
            destinatarios = [endereco for _, endereco in envio.para]
            sessao.send_message(msg, from_addr=envio.remetente, to_addrs=destinatarios)
        finally:
            fechar(sessao)
    except (smtplib.SMTPException, OSError) as exc:
        raise erro_smtp(exc, cfg) from exc
    return _texto(respostas[-1]) if respostas else ""


#: Amazon SES's SMTP interface answers the data with ``250 Ok <SES message id>``
_ID_SES = re.compile(r"^Ok\s+([0-9a-f]{16}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-\d{6})\b")


def id_do_ses(resposta: str) -> str:
    encontrado = _ID_SES.match(resposta.strip())
    return encontrado.group(1) if encontrado else ""


def erro_smtp(exc: BaseException, cfg: ConfigSmtp) -> ErroCanal:
    """SMTP failures: 4xx replies, timeouts and lost connections are worth retrying."""
    onde = f"{cfg.host}:{cfg.porta}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        recusas = list(exc.recipients.values())
        codigo = recusas[0][0] if recusas else 550
        texto = "; ".join(f"{c} {_texto(m)}" for c, m in recusas)
        transitorio = bool(recusas) and all(400 <= c < 500 for c, _ in recusas)
        return _por_codigo(codigo, f"destinatário recusado: {texto}", transitorio=transitorio)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ErroDefinitivo(f"servidor SMTP {onde}: {exc}", codigo="smtp_nao_suportado")
    if isinstance(exc, smtplib.SMTPResponseException):
        codigo = exc.smtp_code
        texto = f"SMTP {onde} respondeu {codigo} {_texto(exc.smtp_error)}"
        return _por_codigo(codigo, texto, transitorio=not 500 <= codigo < 600)
    if isinstance(exc, ssl.SSLError):
        return ErroDefinitivo(f"falha de TLS com {onde}: {exc.reason or exc}", codigo="tls")
    # smtplib turns a read timeout into SMTPServerDisconnected: the cause tells them apart
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return ErroTransitorio(f"tempo esgotado falando com {onde}", codigo="timeout")
    return ErroTransitorio(
        f"falha de conexão com {onde}: {exc.__class__.__name__}", codigo="conexao"
    )


def _por_codigo(codigo: int, detalhe: str, *, transitorio: bool) -> ErroCanal:
    if transitorio:
        return ErroTransitorio(detalhe, codigo=str(codigo))
    return ErroDefinitivo(detalhe, codigo=str(codigo))


def _texto(valor: Any) -> str:
    return valor.decode("utf-8", "replace") if isinstance(valor, bytes) else str(valor)


# ------------------------------------------------------------------------------- SendGrid
def corpo_sendgrid(envio: Envio, *, canal: str) -> dict[str, Any]:
    """v3 ``mail/send`` body; custom args bring our Message-ID back on every event."""
    cabecalhos = {"Message-ID": envio.message_id}
    if envio.em_resposta:
        cabecalhos["In-Reply-To"] = envio.em_resposta
    if envio.referencias:
        cabecalhos["References"] = envio.referencias
    if envio.extras.get("Auto-Submitted"):
        cabecalhos["Auto-Submitted"] = envio.extras["Auto-Submitted"]
    conteudo = [{"type": "text/plain", "value": envio.texto or " "}]
    if envio.html:
        conteudo.append({"type": "text/html", "value": envio.html})
    corpo: dict[str, Any] = {
        "personalizations": [{"to": [_pessoa(nome, email) for nome, email in envio.para]}],
        "from": _pessoa(envio.nome_remetente, envio.remetente),
        "subject": envio.assunto or " ",  # SendGrid refuses an empty subject
        "content": conteudo,
        "headers": cabecalhos,
        "custom_args": {ARG_MESSAGE_ID: envio.message_id, ARG_CANAL: canal},
    }
    if envio.extras.get("Reply-To"):  # SendGrid takes Reply-To only as this field
        corpo["reply_to"] = {"email": envio.extras["Reply-To"]}
    if envio.midia is not None:
        conteudo, mime, nome = _anexo(envio.midia)
        corpo["attachments"] = [
            {"content": base64.b64encode(conteudo).decode(), "type": mime, "filename": nome,
             "disposition": "attachment"}
        ]  # fmt: skip
    return corpo


def _pessoa(nome: str, email: str) -> dict[str, str]:
    return {"email": email, "name": nome} if nome else {"email": email}
