"""SendGrid Inbound Parse posts → :class:`MensagemEntrada` (no I/O).

Both Inbound Parse modes are read: "send raw" (field ``email`` with the whole MIME message,
parsed with the stdlib ``email`` package, ``policy.default``) and the default parsed fields
(``headers``, ``text``, ``html``, ``attachmentN`` + ``attachment-info``).  The multipart body
itself is read with the same stdlib parser (byte-exact for file parts).

Threading: ``conversa`` is the thread root — the first id of ``References``, else
``In-Reply-To``, else the message's own ``Message-ID`` — and ``cabecalhos`` carries
Message-ID / In-Reply-To / References / Subject / From / Reply-To so the core can match a reply
to any earlier message of a ticket (a client that keeps only ``In-Reply-To`` yields a different
root: match on the ids, not only on the root).  ``referencias`` lists those ids (In-Reply-To,
then References newest first) and ``ticket_ref`` our reply token (``suporte+<ticket>@``): the
core puts the message in the ticket of any of them found in the same channel.  ``assunto`` is
the subject without reply/forward prefixes (RFC 2047 already decoded by the parser).

Noise: :func:`motivo_automatico` says why a mail was written by a machine (auto-reply, bulk or
list mail, bounce, null sender); :func:`devolucao` reads a bounce's failed recipient and the
Message-ID of the mail it returns.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr
from typing import Any

from canais.adapters.base import (
    Conversa,
    Identidade,
    MensagemEntrada,
    MidiaRef,
    PayloadInvalido,
    Remetente,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.email import texto as texto_util

_ID = re.compile(r"<[^<>\s]+>")
_ANEXO = re.compile(r"attachment(\d+)")
#: the stdlib's header parser can raise on hostile input (``From: "`` → IndexError)
_ERROS_CABECALHO = (HeaderParseError, IndexError, TypeError, ValueError, AttributeError)


# ------------------------------------------------------------------------------- the form body
@dataclass(frozen=True, slots=True)
class Campo:
    valor: bytes
    arquivo: str = ""  # filename of a file part
    mime: str = ""


def formulario(corpo: bytes, content_type: str) -> dict[str, Campo]:
    """Read a ``multipart/form-data`` body into ``{field name: Campo}``."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in (
        content_type.lower()
    ):
        raise PayloadInvalido(f"esperado multipart/form-data com boundary: {content_type!r}")
    cabeca = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    mensagem = BytesParser(policy=policy.default).parsebytes(cabeca + corpo)
    if not mensagem.is_multipart():
        raise PayloadInvalido("corpo multipart ilegível (boundary não encontrado)")
    campos: dict[str, Campo] = {}
    for parte in mensagem.iter_parts():
        nome = parte.get_param("name", header="content-disposition")
        if not nome:
            continue
        campos[str(collapse_rfc2231_value(nome))] = Campo(
            valor=parte.get_payload(decode=True) or b"",
            arquivo=parte.get_filename() or "",
            mime=parte.get_content_type() if parte.get("content-type") else "",
        )
    if not campos:
        raise PayloadInvalido("formulário sem campos")
    return campos


def _json(form: Mapping[str, Campo], nome: str) -> Any:
    campo = form.get(nome)
    if campo is None:
        return {}
    try:
        return json.loads(campo.valor)
    except (ValueError, UnicodeDecodeError):
        return {}


def texto_do_campo(form: Mapping[str, Campo], nome: str) -> str:
    """A text field decoded with the charset SendGrid announces in ``charsets``."""
    campo = form.get(nome)
    if campo is None:
        return ""
    charsets = _json(form, "charsets")
    charset = charsets.get(nome) if isinstance(charsets, dict) else None
    return texto_util.decodificar(campo.valor, str(charset or "utf-8"))


def destinatarios(form: Mapping[str, Campo]) -> list[str]:
    """Recipient addresses, lower case: SMTP envelope first, then To/Cc (deduplicated); a
    sub-address ``suporte+tag@x`` is followed by its base ``suporte@x`` (a channel is its base
    address; the tag may carry one of our reply tokens)."""
    enderecos: list[str] = []
    envelope = _json(form, "envelope")
    if isinstance(envelope, dict) and isinstance(envelope.get("to"), list):
        enderecos += [str(e) for e in envelope["to"]]
    campos = [texto_do_campo(form, "to"), texto_do_campo(form, "cc")]
    enderecos += [endereco for _, endereco in getaddresses(campos)]
    vistos: dict[str, None] = {}
    for endereco in enderecos:
        limpo = endereco.strip().lower()
        if "@" in limpo:
            vistos.setdefault(limpo, None)
            vistos.setdefault(sem_subendereco(limpo), None)
    return list(vistos)


def sem_subendereco(endereco: str) -> str:
    """``suporte+abc@x`` → ``suporte@x`` (RFC 5233 sub-addressing)."""
    local, arroba, dominio = endereco.rpartition("@")
    return f"{local.split('+', 1)[0]}{arroba}{dominio}" if arroba else endereco


def remetente_do_envelope(form: Mapping[str, Campo]) -> str | None:
    """The SMTP envelope's sender (``MAIL FROM``); ``""`` for the null sender ``<>`` of
    bounces; None when the post does not say."""
    envelope = _json(form, "envelope")
    if isinstance(envelope, dict) and "from" in envelope:
        return str(envelope.get("from") or "").strip().strip("<>").strip().lower()
    return None


# ------------------------------------------------------------------------------- the message
@dataclass(frozen=True)
class Anexo:
    conteudo: bytes
    mime: str
    nome: str
    content_id: str = ""
    inline: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.conteudo).hexdigest()


@dataclass(frozen=True)
class Correio:
    """What we keep of one inbound e-mail, whichever Inbound Parse mode delivered it."""

    cabecalhos: EmailMessage
    texto: str
    html: str
    anexos: tuple[Anexo, ...] = ()
    extras: Mapping[str, str] = field(default_factory=dict)
    impressao: str = ""  # sha256 of the content: synthetic id when there is no Message-ID


def ler(form: Mapping[str, Campo]) -> Correio:
    """The e-mail of an Inbound Parse post ("send raw" when the ``email`` field is present)."""
    extras = {
        chave: texto_do_campo(form, campo).strip()
        for chave, campo in (("spam_score", "spam_score"), ("spf", "SPF"), ("dkim", "dkim"))
        if campo in form
    }
    if "email" in form:
        bruto = form["email"].valor
        mensagem = BytesParser(policy=policy.default).parsebytes(bruto)
        texto, html, anexos = _partes(mensagem)
        impressao = hashlib.sha256(bruto).hexdigest()
        return Correio(mensagem, texto, html, anexos, extras, impressao)
    if "headers" not in form:
        raise PayloadInvalido("post do Inbound Parse sem 'email' nem 'headers'")
    cabecalhos = BytesHeaderParser(policy=policy.default).parsebytes(form["headers"].valor)
    texto, html = texto_do_campo(form, "text"), texto_do_campo(form, "html")
    anexos = _anexos_do_formulario(form, html)
    impressao = hashlib.sha256(
        b"\0".join([form["headers"].valor, texto.encode(), html.encode()])
        + "".join(a.sha256 for a in anexos).encode()
    ).hexdigest()
    return Correio(cabecalhos, texto, html, anexos, extras, impressao)


def _texto_da_parte(parte: EmailMessage) -> str:
    conteudo = parte.get_payload(decode=True) or b""
    return texto_util.decodificar(conteudo, parte.get_content_charset() or "utf-8")


def _partes(mensagem: EmailMessage) -> tuple[str, str, tuple[Anexo, ...]]:
    """Body text, body HTML and the attachments of a whole MIME message."""
    corpo_texto = mensagem.get_body(preferencelist=("plain",))
    corpo_html = mensagem.get_body(preferencelist=("html",))
    textos = [_texto_da_parte(corpo_texto)] if corpo_texto is not None else []
    htmls = [_texto_da_parte(corpo_html)] if corpo_html is not None else []
    escolhidos = {id(corpo_texto), id(corpo_html)}
    anexos: list[tuple[EmailMessage, bytes]] = []
    for parte in _folhas(mensagem):
        if id(parte) in escolhidos:
            continue
        tipo = parte.get_content_type()
        sem_nome = not parte.get_filename() and parte.get_content_disposition() != "attachment"
        if tipo in ("text/plain", "text/html") and sem_nome:
            # Apple Mail splits a body around inline images: the pieces are body, not files
            (textos if tipo == "text/plain" else htmls).append(_texto_da_parte(parte))
            continue
        if tipo == "message/rfc822":
            conteudo = parte.get_payload(0).as_bytes(policy=policy.SMTP)
        else:
            conteudo = parte.get_payload(decode=True) or b""
        anexos.append((parte, conteudo))
    html = "\n".join(htmls)
    lista = []
    for n, (parte, conteudo) in enumerate(anexos, start=1):
        content_id = str(parte.get("content-id") or "").strip().strip("<>")
        lista.append(
            Anexo(
                conteudo=conteudo,
                mime=parte.get_content_type(),
                nome=parte.get_filename() or _nome_padrao(n, parte.get_content_type()),
                content_id=content_id,
                inline=_referenciado(content_id, html),
            )
        )
    return "\n".join(textos), html, tuple(lista)


def _folhas(parte: EmailMessage) -> Iterator[EmailMessage]:
    """Leaf parts in order; an attached message (message/rfc822) counts as one leaf."""
    if parte.is_multipart() and parte.get_content_maintype() == "multipart":
        for sub in parte.iter_parts():
            yield from _folhas(sub)
    else:
        yield parte


def _referenciado(content_id: str, html: str) -> bool:
    return bool(content_id) and f"cid:{content_id}".lower() in html.lower()


def _nome_padrao(n: int, mime: str) -> str:
    extensoes = {"message/rfc822": ".eml", "text/plain": ".txt", "text/html": ".html"}
    return f"anexo{n}{extensoes.get(mime, '')}"


def _anexos_do_formulario(form: Mapping[str, Campo], html: str) -> tuple[Anexo, ...]:
    """``attachmentN`` file parts, described by ``attachment-info`` (default parsed mode)."""
    info = _json(form, "attachment-info")
    info = info if isinstance(info, dict) else {}
    numeros = sorted(int(m.group(1)) for nome in form if (m := _ANEXO.fullmatch(nome)))
    anexos = []
    for n in numeros:
        campo = form[f"attachment{n}"]
        dados = info.get(f"attachment{n}") if isinstance(info.get(f"attachment{n}"), dict) else {}
        content_id = str(dados.get("content-id") or "").strip("<>")
        mime = str(dados.get("type") or campo.mime or "application/octet-stream").lower()
        anexos.append(
            Anexo(
                conteudo=campo.valor,
                mime=mime,
                nome=str(dados.get("filename") or campo.arquivo or _nome_padrao(n, mime)),
                content_id=content_id,
                inline=_referenciado(content_id, html),
            )
        )
    return tuple(anexos)


# ------------------------------------------------------------------------------- headers
def ids(valor: str) -> list[str]:
    """Message ids (with their angle brackets) in a Message-ID/In-Reply-To/References value."""
    return _ID.findall(valor or "")


def _cabecalho(cabecalhos: EmailMessage, nome: str) -> str:
    try:
        valor = cabecalhos.get(nome)
        return " ".join(str(valor).split()) if valor is not None else ""
    except _ERROS_CABECALHO:
        return ""


def _endereco(cabecalhos: EmailMessage, nome: str) -> tuple[str, str]:
    """``(display name, address)`` of the first mailbox of an address header."""
    try:
        cabecalho = cabecalhos.get(nome)
        enderecos = getattr(cabecalho, "addresses", ()) if cabecalho is not None else ()
        if enderecos and enderecos[0].addr_spec and "@" in enderecos[0].addr_spec:
            return str(enderecos[0].display_name), str(enderecos[0].addr_spec)
    except _ERROS_CABECALHO:
        pass
    nome_exibicao, endereco = parseaddr(_cabecalho(cabecalhos, nome))
    return nome_exibicao, endereco


def id_da_mensagem(correio: Correio) -> str:
    """The Message-ID, or a stable synthetic one (same post → same id: retries dedupe)."""
    encontrados = ids(_cabecalho(correio.cabecalhos, "message-id"))
    if encontrados:
        return encontrados[0]
    bruto = _cabecalho(correio.cabecalhos, "message-id")
    if bruto and " " not in bruto:
        return f"<{bruto}>"
    return f"<{correio.impressao[:40]}@sem-message-id.invalid>"


def _data(cabecalhos: EmailMessage, agora: datetime) -> datetime:
    """The Date header (the stdlib turns an unreadable one into a defect, datetime None)."""
    cabecalho = cabecalhos.get("date")
    quando = getattr(cabecalho, "datetime", None) if cabecalho is not None else None
    if not isinstance(quando, datetime) or quando.tzinfo is None:
        return agora
    return min(quando.astimezone(UTC), agora)  # a sender's clock in the future is not trusted


#: reply/forward prefixes of many mail clients and languages: Re, Fwd, Fw, RES (pt),
#: ENC (pt: encaminhado), AW/WG (de), TR (fr), SV/VS (nordic), RV (es), Antw (nl), Odp (pl)
_PREFIXO = re.compile(
    r"^\s*(?:re|fwd?|res|enc|aw|wg|tr|sv|vs|rv|antw|odp|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*",
    re.IGNORECASE,
)


def assunto_limpo(assunto: str) -> str:
    """The subject without reply/forward prefixes (``Re: RES: Fwd: x`` → ``x``)."""
    texto = " ".join((assunto or "").split())
    while True:
        sem = _PREFIXO.sub("", texto, count=1)
        if sem == texto:
            return texto
        texto = sem


#: Precedence values of mail no person wrote to us personally (RFC 2076, RFC 3834 §2)
PRECEDENCIAS_AUTOMATICAS = frozenset({"bulk", "list", "junk", "auto_reply"})
#: local parts of system senders (bounces, delivery reports)
REMETENTES_DE_SISTEMA = frozenset({"mailer-daemon", "postmaster", "mail-daemon"})


def motivo_automatico(
    cabecalhos: EmailMessage, remetente: str, envelope_de: str | None = None
) -> str:
    """Why this mail was written by a machine (an auto-reply, a bounce, bulk or list mail),
    or ``""`` when a person wrote it.  Such mail never opens a ticket nor gets an answer."""
    auto = _cabecalho(cabecalhos, "auto-submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"resposta automática (Auto-Submitted: {auto})"
    for nome in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        valor = _cabecalho(cabecalhos, nome)
        if valor:
            return f"resposta automática ({nome}: {valor})"
    precedencia = _cabecalho(cabecalhos, "precedence").lower()
    if precedencia in PRECEDENCIAS_AUTOMATICAS:
        return f"envio em massa (Precedence: {precedencia})"
    lista = _cabecalho(cabecalhos, "list-id")
    if lista:
        return f"lista de e-mail (List-Id: {lista})"
    if cabecalhos.get_content_type() == "multipart/report":
        return "relatório de entrega (multipart/report)"
    if remetente.split("@", 1)[0] in REMETENTES_DE_SISTEMA:
        return f"mensagem do sistema de e-mail ({remetente})"
    caminho = _cabecalho(cabecalhos, "return-path")
    if envelope_de == "" or caminho.replace(" ", "") == "<>":
        return "remetente nulo (devolução ou aviso de entrega)"
    return ""


@dataclass(frozen=True)
class Devolucao:
    """A delivery status notification (RFC 3464) saying one of our mails failed."""

    id_original: str  # the Message-ID of the mail that bounced
    destinatario: str
    codigo: str  # the enhanced status code (5.1.1)
    detalhe: str  # the remote server's diagnostic


def devolucao(correio: Correio) -> Devolucao | None:
    """The failure a bounce (``multipart/report``, ``Action: failed``) reports, with the
    Message-ID of the mail it returns (from its ``text/rfc822-headers`` or ``message/rfc822``
    part); None for anything else, delays included."""
    mensagem = correio.cabecalhos
    if mensagem.get_content_type() != "multipart/report":
        return None
    falha = None
    original = ""
    try:
        for parte in mensagem.walk():
            tipo = parte.get_content_type()
            if tipo == "message/delivery-status" and falha is None:
                blocos = parte.get_payload()
                falha = next(
                    (b for b in (blocos[1:] if isinstance(blocos, list) else [])
                     if str(b.get("action", "")).strip().lower() == "failed"),
                    None,
                )  # fmt: skip
            elif tipo == "text/rfc822-headers" and not original:
                cabecalhos = HeaderParser(policy=policy.default).parsestr(parte.get_content())
                original = (ids(str(cabecalhos.get("message-id") or "")) or [""])[0]
            elif tipo == "message/rfc822" and not original:
                anexada = parte.get_payload(0)
                original = (ids(str(anexada.get("message-id") or "")) or [""])[0]
    except (*_ERROS_CABECALHO, KeyError, LookupError):
        return None
    if falha is None or not original:
        return None
    destinatario = str(falha.get("final-recipient") or "").partition(";")[2].strip().lower()
    diagnostico = str(falha.get("diagnostic-code") or "").partition(";")[2].strip()
    codigo = str(falha.get("status") or "").strip()
    return Devolucao(
        id_original=original,
        destinatario=destinatario,
        codigo=codigo[:50],
        detalhe=" ".join((diagnostico or codigo or "sem diagnóstico").split())[:1000],
    )


def ticket_do_endereco(destinos: list[str], endereco: str) -> str:
    """Our reply token in a recipient ``<endereco local>+<ticket id hex>@<domain>``."""
    if "@" not in endereco:
        return ""
    local, _, dominio = endereco.partition("@")
    for destino in destinos:
        parte, _, outro_dominio = destino.rpartition("@")
        base, mais, marca = parte.partition("+")
        if mais and base == local and outro_dominio == dominio and _TOKEN.fullmatch(marca):
            return marca
    return ""


_TOKEN = re.compile(r"[0-9a-f]{32}")


# ------------------------------------------------------------------------------- the event
def mensagem(
    correio: Correio,
    *,
    agora: datetime | None = None,
    campo_from: str = "",
    endereco_canal: str = "",
    destinos: list[str] | None = None,
) -> MensagemEntrada:
    """The e-mail as a normalised message; ``endereco_canal`` (the channel's address) and
    ``destinos`` (every recipient, :func:`destinatarios`) find our reply token."""
    agora = agora or datetime.now(tz=UTC)
    cab = correio.cabecalhos
    id_externo = id_da_mensagem(correio)
    em_resposta = ids(_cabecalho(cab, "in-reply-to"))
    referencias = ids(_cabecalho(cab, "references"))
    raiz = (referencias or em_resposta or [id_externo])[0]
    nome, endereco = _endereco(cab, "from")
    if "@" not in endereco and campo_from:
        nome, endereco = parseaddr(campo_from)
    endereco = endereco.strip().lower()
    if "@" not in endereco:
        raise PayloadInvalido(f"e-mail {id_externo} sem remetente (From)")
    cabecalhos = {"Message-ID": id_externo, "Subject": _cabecalho(cab, "subject")}
    if em_resposta:
        cabecalhos["In-Reply-To"] = " ".join(em_resposta)
    if referencias:
        cabecalhos["References"] = " ".join(referencias)
    cabecalhos["From"] = _cabecalho(cab, "from")
    _, responder_para = _endereco(cab, "reply-to")
    if "@" in responder_para:
        cabecalhos["Reply-To"] = responder_para.lower()

    texto = correio.texto
    if not texto.strip() and correio.html:
        texto = texto_util.texto_do_html(correio.html)
    visiveis = [a for a in correio.anexos if not a.inline]
    midias = tuple(
        MidiaRef(ref=f"anexo:{n}", mime=a.mime, nome=a.nome, tamanho=len(a.conteudo),
                 sha256=a.sha256)
        for n, a in enumerate(correio.anexos, start=1)
        if not a.inline
    )  # fmt: skip
    conteudo = texto_util.sem_citacao(texto)
    tipo = TipoMensagem.TEXTO
    if not conteudo and visiveis:
        tipo = _tipo_por_mime(visiveis[0].mime)
    dados: dict[str, Any] = {"texto_completo": correio.texto}
    if correio.html:
        dados["html"] = correio.html
    if correio.anexos:
        dados["anexos"] = [
            {"ref": f"anexo:{n}", "nome": a.nome, "mime": a.mime, "tamanho": len(a.conteudo),
             "sha256": a.sha256, "content_id": a.content_id, "inline": a.inline}
            for n, a in enumerate(correio.anexos, start=1)
        ]  # fmt: skip
    for chave, nome_cabecalho in (("para", "to"), ("cc", "cc")):
        lista = [e.lower() for _, e in getaddresses([_cabecalho(cab, nome_cabecalho)]) if "@" in e]
        if lista:
            dados[chave] = lista
    dados.update(correio.extras)
    destinos = list(destinos or [])
    if destinos:
        dados["destinatarios"] = destinos
    referencias_todas = [*em_resposta, *reversed(referencias)]
    return MensagemEntrada(
        id_externo=id_externo,
        conversa=Conversa(id_externo=raiz),
        remetente=Remetente(
            identidades=(Identidade(TipoIdentidade.EMAIL, endereco),), nome=nome, email=endereco
        ),
        tipo=tipo,
        data=_data(cab, agora),
        conteudo=conteudo,
        midias=midias,
        dados=dados,
        responde_a=em_resposta[0] if em_resposta else "",
        tipo_original="email",
        cabecalhos=cabecalhos,
        assunto=assunto_limpo(cabecalhos["Subject"]),
        referencias=tuple(dict.fromkeys(r for r in referencias_todas if r != id_externo)),
        ticket_ref=ticket_do_endereco(destinos, endereco_canal.lower()),
    )


def _tipo_por_mime(mime: str) -> TipoMensagem:
    return {
        "image": TipoMensagem.IMAGEM,
        "video": TipoMensagem.VIDEO,
        "audio": TipoMensagem.AUDIO,
    }.get(mime.split("/", 1)[0], TipoMensagem.DOCUMENTO)


def anexo(correio: Correio, ref: str) -> Anexo:
    """The attachment ``anexo:N`` (1-based, in message order) of a re-read post."""
    numero = ref.removeprefix("anexo:")
    if not ref.startswith("anexo:") or not numero.isdigit():
        raise PayloadInvalido(f"referência de anexo inválida: {ref!r}")
    indice = int(numero) - 1
    if not 0 <= indice < len(correio.anexos):
        raise PayloadInvalido(f"o e-mail não tem o anexo {ref!r}")
    return correio.anexos[indice]
