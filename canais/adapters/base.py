"""The channel adapter interface and the dataclasses that cross it.

Every provider module in this package implements :class:`AdaptadorCanal`; nothing outside this
package sees a provider dict or talks to a provider.  The core (``atendimento.services``)
consumes :class:`Entrada` values and produces :class:`MensagemSaida` values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


# ------------------------------------------------------------------------------- errors
class ErroCanal(Exception):
    """Base for every adapter error."""


class RequisicaoRecusada(ErroCanal):
    """Inbound request refused before anything is stored (HTTP status in ``status``)."""

    def __init__(self, detalhe: str, status: int = 403) -> None:
        super().__init__(detalhe)
        self.detalhe = detalhe
        self.status = status


class AssinaturaInvalida(RequisicaoRecusada):
    def __init__(self, detalhe: str = "assinatura inválida", status: int = 401) -> None:
        super().__init__(detalhe, status)


class PayloadInvalido(ErroCanal):
    """A verified body that cannot be interpreted (malformed JSON, wrong shape)."""


class ErroTransitorio(ErroCanal):
    """Timeouts, 5xx, 429: worth retrying (after ``retry_after`` seconds when the provider says)."""

    def __init__(self, detalhe: str, *, retry_after: float | None = None, codigo: str = "") -> None:
        super().__init__(detalhe)
        self.detalhe = detalhe
        self.retry_after = retry_after
        self.codigo = codigo


class ErroDefinitivo(ErroCanal):
    """The provider refused for good (e.g. WhatsApp 131047 outside the 24 h window)."""

    def __init__(self, detalhe: str, *, codigo: str = "") -> None:
        super().__init__(detalhe)
        self.detalhe = detalhe
        self.codigo = codigo


def detalhe_erro(exc: BaseException) -> str:
    """The readable text of an adapter error (its ``detalhe``), else of any exception."""
    return str(getattr(exc, "detalhe", "") or exc)


class OperacaoNaoSuportada(ErroCanal):
    """The channel cannot do this (e.g. 'typing' over SMS); callers skip it quietly."""


class EventoDescartado(ErroCanal):
    """A verified delivery that must not reach a ticket (an auto-reply, a bounce, bulk mail):
    raised by ``interpretar``; the stored event ends ``processado`` with ``motivo`` noted."""

    def __init__(self, motivo: str) -> None:
        super().__init__(motivo)
        self.motivo = motivo


# ------------------------------------------------------------------------------- enums
class TipoMensagem(enum.StrEnum):
    TEXTO = "texto"
    IMAGEM = "imagem"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENTO = "documento"
    LOCALIZACAO = "localizacao"
    CONTATO = "contato"
    INTERATIVO = "interativo"
    REACAO = "reacao"
    STICKER = "sticker"
    SISTEMA = "sistema"
    DESCONHECIDO = "desconhecido"


class StatusEntrega(enum.StrEnum):
    ENVIADA = "enviada"
    ENTREGUE = "entregue"
    LIDA = "lida"
    ERRO = "erro"


class TipoIdentidade(enum.StrEnum):
    """How a contact is known (``IdentidadeContato.tipo``).  The names of the built-in ones;
    a channel declares its own in ``identidades_proprias`` (labels included)."""

    WHATSAPP = "whatsapp"  # wa_id (digits)
    WHATSAPP_BSUID = "whatsapp_bsuid"  # business-scoped user id (users without a phone)
    TELEGRAM = "telegram"  # Telegram user id (64-bit, as a string)
    TELEFONE = "telefone"  # E.164 digits
    EMAIL = "email"
    WEBCHAT = "webchat"  # the website chat's visitor id (signed by the desk)


#: identities every channel may match a contact by (phone, e-mail), with their labels
IDENTIDADES_COMUNS: Mapping[str, Any] = {
    TipoIdentidade.TELEFONE: _("Telefone"),
    TipoIdentidade.EMAIL: _("E-mail"),
}


#: File types channels that take "any file" (Telegram documents, e-mail attachments) accept
MIMES_ARQUIVOS = frozenset(
    {
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
        "video/mp4", "video/quicktime", "video/webm", "video/3gpp", "video/mpeg",
        "audio/mpeg", "audio/ogg", "audio/opus", "audio/mp4", "audio/x-m4a", "audio/aac",
        "audio/wav", "audio/x-wav", "audio/amr", "audio/webm", "audio/flac",
        "application/pdf", "application/zip", "application/x-zip-compressed",
        "application/x-7z-compressed", "application/x-rar-compressed", "application/gzip",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/rtf", "application/json", "application/xml", "application/octet-stream",
        "text/plain", "text/csv", "text/html", "text/xml", "text/calendar", "text/vcard",
    }
)  # fmt: skip


# ------------------------------------------------------------------------------- inbound
@dataclass(frozen=True, slots=True)
class RequisicaoWebhook:
    """A webhook request as the provider sent it, independent of the web framework."""

    metodo: str
    url: str  # absolute URL the provider called (Twilio signs it)
    cabecalhos: Mapping[str, str]  # lower-case names
    corpo: bytes
    query: Mapping[str, str] = field(default_factory=dict)

    def cabecalho(self, nome: str, padrao: str = "") -> str:
        return self.cabecalhos.get(nome.lower(), padrao)


@dataclass(frozen=True, slots=True)
class RespostaHandshake:
    """What to answer to a verification request (WhatsApp GET)."""

    status: int
    corpo: str
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class Identidade:
    tipo: TipoIdentidade
    valor: str


@dataclass(frozen=True, slots=True)
class Remetente:
    """Who sent an inbound message: the identities we can match a contact by."""

    identidades: tuple[Identidade, ...]
    nome: str = ""
    telefone: str = ""  # E.164 digits when known
    email: str = ""
    username: str = ""


@dataclass(frozen=True, slots=True)
class Conversa:
    """The provider-side conversation a message belongs to (one ticket per conversation)."""

    id_externo: str  # WhatsApp: wa_id/bsuid; Telegram: chat id; Twilio: From; e-mail: thread root
    grupo: bool = False
    titulo: str = ""


@dataclass(frozen=True, slots=True)
class MidiaRef:
    """Media announced by the provider, downloaded later by a task."""

    ref: str  # provider media id / file_id / URL
    mime: str = ""
    nome: str = ""
    tamanho: int | None = None
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class MensagemEntrada:
    id_externo: str
    conversa: Conversa
    remetente: Remetente
    tipo: TipoMensagem
    data: datetime
    conteudo: str = ""  # text, caption, or a readable summary (location, contact, reply title)
    midias: tuple[MidiaRef, ...] = ()
    dados: Mapping[str, Any] = field(default_factory=dict)  # lat/long, contacts, button id, emoji
    responde_a: str = ""  # id_externo of the quoted message
    ordem: int | None = None  # provider ordering hint inside the conversation (Telegram message_id)
    tipo_original: str = ""  # provider's own type name (kept for unknown types)
    # e-mail threading: Message-ID / In-Reply-To / References / Subject
    cabecalhos: Mapping[str, str] = field(default_factory=dict)
    #: subject of the conversation: a ticket opened by this message takes it
    assunto: str = ""
    #: provider ids of earlier messages this one answers (most relevant first): when one of
    #: them is a message of the same channel, this message goes to that message's ticket
    referencias: tuple[str, ...] = ()
    #: one of our ticket ids carried by the address the customer wrote to (an e-mail reply
    #: address); honoured only for a ticket of the same channel
    ticket_ref: str = ""


@dataclass(frozen=True, slots=True)
class EdicaoEntrada:
    id_externo: str  # the message that was edited
    conversa: Conversa
    conteudo: str
    data: datetime


@dataclass(frozen=True, slots=True)
class StatusEntrada:
    id_externo: str  # our outbound message's provider id
    status: StatusEntrega
    data: datetime
    erro_codigo: str = ""
    erro_detalhe: str = ""
    conversa_id_externo: str = ""  # recipient (opens WhatsApp's 24 h window bookkeeping, if needed)
    #: the recipient opted out of messages from us (Twilio 21610: they replied STOP)
    descadastro: bool = False


@dataclass(frozen=True, slots=True)
class TemplateStatusEntrada:
    """The provider changed an approved-message template's status (WhatsApp
    ``message_template_status_update``: APPROVED, REJECTED, PAUSED, DISABLED…)."""

    id_externo: str  # the provider's template id
    nome: str
    idioma: str
    status: str
    motivo: str = ""
    data: datetime | None = None


#: an inbound fact an adapter read from a provider's delivery (``interpretar``'s result items)
Entrada = MensagemEntrada | EdicaoEntrada | StatusEntrada | TemplateStatusEntrada


# ------------------------------------------------------------------------------- outbound
@dataclass(frozen=True, slots=True)
class MidiaSaida:
    tipo: TipoMensagem  # IMAGEM | AUDIO | VIDEO | DOCUMENTO | STICKER
    mime: str
    nome: str
    conteudo: bytes | None = None  # uploaded to the provider when given
    url: str = ""  # or a public URL the provider fetches (Twilio MediaUrl)


@dataclass(frozen=True, slots=True)
class TemplateSaida:
    nome: str
    idioma: str = "pt_BR"
    componentes: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class MensagemSaida:
    destino: str  # Conversa.id_externo of the ticket
    texto: str = ""
    midia: MidiaSaida | None = None
    template: TemplateSaida | None = None
    responder_a: str = ""  # id_externo of the message being answered
    assunto: str = ""  # e-mail
    cabecalhos: Mapping[str, str] = field(default_factory=dict)  # e-mail threading headers
    #: buttons under the text (Telegram inline keyboard, WhatsApp reply buttons or list):
    #: ``{"texto", "dados"|"url", "linha"?}``
    botoes: tuple[Mapping[str, Any], ...] = ()
    #: the text above ``botoes`` for channels that show them as native choices, when
    #: ``texto`` also lists them for channels that cannot (the first-contact menu's greeting)
    texto_botoes: str = ""
    html: str = ""  # e-mail: the HTML alternative of ``texto`` (layout and signature included)


@dataclass(frozen=True, slots=True)
class TemplateProvedor:
    """An approved-message template as the provider lists it (WhatsApp message_templates)."""

    id_externo: str
    nome: str
    idioma: str
    categoria: str
    status: str
    componentes: tuple[Mapping[str, Any], ...] = ()
    motivo: str = ""


@dataclass(frozen=True, slots=True)
class ResultadoEnvio:
    id_externo: str
    status: StatusEntrega = StatusEntrega.ENVIADA
    #: the provider's own id when ``id_externo`` is ours (Amazon SES's message id of an
    #: e-mail whose Message-ID we chose): its delivery notifications name this one
    id_provedor: str = ""


@dataclass(frozen=True, slots=True)
class MidiaBaixada:
    conteudo: bytes
    mime: str
    nome: str = ""


@dataclass(frozen=True, slots=True)
class ResultadoTeste:
    ok: bool
    detalhe: str
    dados: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------- the interface
class AdaptadorCanal:
    """One provider.  Instances are cheap: built per call from the channel's config.

    ``config`` is the channel's whole configuration (public keys and decrypted secrets): the
    keys in :attr:`chaves_config`.

    Everything the rest of the desk needs to know about a kind of channel is declared here, as
    class attributes and class methods, so that no module outside ``canais/adapters/`` keeps a
    table keyed by channel type (``tests/canais/test_fatos_do_canal.py`` checks it).  Hooks
    that need the database (the e-mail reply context, the default transport, inbound filters)
    are services the adapter names; the adapter stays the one place that says which apply.
    """

    tipo: ClassVar[str]
    #: how the channel is named to people (the channel list, messages about it)
    rotulo: ClassVar[str] = ""
    #: every config key the channel accepts, public and secret; any other is refused
    chaves_config: ClassVar[frozenset[str]] = frozenset()
    #: config keys that are secrets (encrypted at rest, never returned)
    campos_segredo: ClassVar[frozenset[str]] = frozenset()
    #: config keys required to activate the channel
    campos_obrigatorios: ClassVar[frozenset[str]] = frozenset()
    #: per-channel media limits: bytes per kind and accepted MIME types
    limite_midia_bytes: ClassVar[Mapping[TipoMensagem, int]] = {}
    mimes_aceitos: ClassVar[frozenset[str]] = frozenset()
    #: largest inbound webhook body accepted, in bytes (None: settings.WEBHOOK_MAX_BYTES)
    limite_corpo_bytes: ClassVar[int | None] = None
    #: outbound media goes as a public URL the provider fetches (MidiaSaida.url), not uploaded
    midia_por_url: ClassVar[bool] = False
    #: messages per second a bulk send may use on one channel (the provider's rate)
    taxa_lote_por_segundo: ClassVar[float] = 1.0
    #: media travel inside the webhook itself (e-mail attachments): the media task reads them
    #: from the stored event (:meth:`extrair_midia`) instead of asking the provider
    midia_no_webhook: ClassVar[bool] = False

    #: longest outbound text in characters (longer messages are refused before storing)
    limite_texto: ClassVar[int] = 100_000
    #: contact identities (:class:`TipoIdentidade` values) that address a conversation on this
    #: channel, in order: a ticket an agent opens takes the first the contact has
    identidades_conversa: ClassVar[tuple[str, ...]] = ()
    #: where to send when the ticket has no conversation id: contact identities, in order…
    identidades_destino: ClassVar[tuple[str, ...]] = ()
    #: …then this field of the contact (``"telefone"``, ``"email"``; "" for none)
    campo_contato_destino: ClassVar[str] = ""
    #: identity types this channel brings (``tipo -> label``): with the common ones
    #: (:data:`IDENTIDADES_COMUNS`) they are ``IdentidadeContato.tipo``'s choices
    identidades_proprias: ClassVar[Mapping[str, Any]] = {}
    #: plain direct messages of this channel may take the set-based inbound path
    #: (``atendimento.services.entrada_lote``): no threading, no per-message routing
    entrada_em_lote: ClassVar[bool] = False
    #: ``verificar`` needs neither the database nor the network (a signature or a secret
    #: compared in memory): the ASGI webhook path may run it in the event loop
    verificacao_local: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        self._timeout_segundos: float | None = None

    @property
    def timeout_segundos(self) -> float:
        """Seconds for the connect/read/write timeouts of every provider call: this
        instance's own when set, else ``settings.PROVEDOR_TIMEOUT_SEGUNDOS`` read now."""
        proprio = getattr(self, "_timeout_segundos", None)
        if proprio is not None:
            return proprio
        from canais.adapters._http import timeout_padrao

        return timeout_padrao()

    @timeout_segundos.setter
    def timeout_segundos(self, valor: float) -> None:
        self._timeout_segundos = float(valor)

    # -- channel facts used by the desk ------------------------------------------------------
    @classmethod
    def config_gerada(cls) -> dict[str, str]:
        """Keys generated when a channel is created without them (secrets nobody needs to
        type because we register them ourselves: Telegram's webhook secret)."""
        return {}

    @classmethod
    def config_ao_ativar(cls, url_webhook: str) -> dict[str, str]:
        """Public keys filled on activation from the webhook URL when absent (Twilio sends
        delivery statuses only to a per-message StatusCallback: our webhook URL)."""
        return {}

    @classmethod
    def tem_janela(cls, config: Mapping[str, Any]) -> bool:
        """The channel (with this public config) is bound by WhatsApp's 24-hour
        customer-service window: outside it only an approved template may be sent."""
        return False

    @classmethod
    def envia_templates_whatsapp(cls, config: Mapping[str, Any]) -> bool:
        """The channel sends approved WhatsApp templates (``Template`` of tipo whatsapp):
        those with the window."""
        return cls.tem_janela(config)

    @classmethod
    def conversa_do_contato(cls, config: Mapping[str, Any], identidades: Mapping[str, str]) -> str:
        """The conversation id (``Ticket.conversa_id_externo``) of a contact on this channel,
        from the contact's identities (``tipo -> valor``, phone and e-mail included); "" when
        the contact has no address here."""
        return next((identidades[t] for t in cls.identidades_conversa if identidades.get(t)), "")

    @classmethod
    def config_de_envio(cls, canal: Any, config: dict[str, Any]) -> dict[str, Any]:
        """The config used to send: ``config`` (the channel's own), completed where the
        channel has no transport of its own (e-mail: the empresa's or the server's)."""
        return config

    @classmethod
    def contexto_saida(cls, mensagem: Any) -> dict[str, Any]:
        """Channel-specific fields of :class:`MensagemSaida` built from the stored message and
        its conversation (e-mail subject and threading headers; a webchat file link)."""
        return {}

    @classmethod
    def filtros_entrada(cls) -> tuple[Any, ...]:
        """Checks ``(canal, evento) -> motivo`` run on each interpreted event before it is
        applied: one returning a reason discards the whole delivery like
        :class:`EventoDescartado` (the e-mail loop guard)."""
        return ()

    # -- routing: which channel does an inbound request belong to? --------------------------
    @classmethod
    def identificador_da_config(cls, config: Mapping[str, Any]) -> str:
        """The routing key stored on the channel row (``Canal.identificador``)."""
        raise NotImplementedError

    @classmethod
    def identificador_da_requisicao(cls, req: RequisicaoWebhook) -> str | None:
        """The same key read from an inbound request (before verification); None: unknown."""
        raise NotImplementedError

    @classmethod
    def identificadores_da_requisicao(cls, req: RequisicaoWebhook) -> list[str]:
        """Every key the request may be routed by, most likely first (an e-mail names several
        recipients); the webhook takes the first one that is a channel of the empresa."""
        identificador = cls.identificador_da_requisicao(req)
        return [identificador] if identificador else []

    # -- inbound -----------------------------------------------------------------------------
    def handshake(self, req: RequisicaoWebhook) -> RespostaHandshake | None:
        """Answer a provider's verification request, or None when ``req`` is not one."""
        return None

    def verificar(self, req: RequisicaoWebhook) -> None:
        """Raise :class:`AssinaturaInvalida` unless ``req`` really comes from the provider."""
        raise NotImplementedError

    @classmethod
    def confirmacao(cls, req: RequisicaoWebhook) -> RespostaHandshake:
        """The answer to an accepted (stored) webhook; the provider only needs a 200."""
        return RespostaHandshake(200, "ok")

    def cabecalhos_verificados(self, req: RequisicaoWebhook) -> dict[str, str]:
        """Facts established by :meth:`verificar`, stored with the event (as ``x-conectcrm-*``
        headers) in place of the credential that proved them, which is never stored; the same
        names sent by a client are dropped before verification."""
        return {}

    def id_evento(self, req: RequisicaoWebhook) -> str | None:
        """Provider's id for the whole delivery (dedupe of EventoWebhook), when it has one."""
        return None

    def interpretar(self, req: RequisicaoWebhook) -> list[Entrada]:
        """Normalise a verified request into events; :class:`PayloadInvalido` when malformed."""
        raise NotImplementedError

    # -- outbound ----------------------------------------------------------------------------
    def enviar(self, mensagem: MensagemSaida) -> ResultadoEnvio:
        raise NotImplementedError

    def baixar_midia(self, midia: MidiaRef) -> MidiaBaixada:
        raise OperacaoNaoSuportada("download de mídia")

    def extrair_midia(self, req: RequisicaoWebhook, midia: MidiaRef) -> MidiaBaixada:
        """The bytes of ``midia`` from the stored request that announced it (adapters with
        ``midia_no_webhook``)."""
        raise OperacaoNaoSuportada("mídia dentro do webhook")

    def marcar_lida(self, *, destino: str, id_externo: str) -> None:
        raise OperacaoNaoSuportada("confirmação de leitura")

    def digitando(self, *, destino: str, id_externo: str = "") -> None:
        raise OperacaoNaoSuportada("indicador de digitação")

    def testar_conexao(self) -> ResultadoTeste:
        raise NotImplementedError

    def registrar_webhook(self, url: str) -> None:
        """Point the provider at ``url`` where the provider allows it (Telegram setWebhook)."""
        raise OperacaoNaoSuportada("registro de webhook")

    def desregistrar_webhook(self, url: str) -> None:
        """Undo :meth:`registrar_webhook` (Telegram deleteWebhook; a Twilio number's SmsUrl
        cleared only while it still points at ``url``)."""
        raise OperacaoNaoSuportada("remoção do webhook")

    def listar_templates(self) -> list[TemplateProvedor]:
        """Every approved-message template of the account (WhatsApp), all pages."""
        raise OperacaoNaoSuportada("templates do provedor")

    def responder_callback(self, callback_id: str, texto: str = "") -> None:
        """Acknowledge a button press (Telegram answerCallbackQuery)."""
        raise OperacaoNaoSuportada("resposta a botões")
