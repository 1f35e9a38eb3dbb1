"""Twilio Messaging webhooks (form-encoded) → :mod:`canais.adapters.base` events (no I/O).

One POST is one event: an inbound message (SMS, MMS or WhatsApp via Twilio) or a status
callback of a message we sent.  Twilio's webhooks carry no timestamp: events are dated when read.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from canais.adapters.base import (
    Conversa,
    Entrada,
    Identidade,
    MensagemEntrada,
    MidiaRef,
    PayloadInvalido,
    Remetente,
    StatusEntrada,
    StatusEntrega,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.resumos import resumo_localizacao

PREFIXO_WHATSAPP = "whatsapp"
#: channel prefixes Twilio puts before an address (``whatsapp:+5511…``)
PREFIXOS = frozenset({"whatsapp", "sms", "mms", "rcs", "messenger"})

STATUS = {
    "sent": StatusEntrega.ENVIADA,
    "delivered": StatusEntrega.ENTREGUE,
    "read": StatusEntrega.LIDA,
    "failed": StatusEntrega.ERRO,
    "undelivered": StatusEntrega.ERRO,
    "canceled": StatusEntrega.ERRO,
}
#: error codes meaning the recipient opted out (replied STOP to this sender)
CODIGOS_DESCADASTRO = frozenset({"21610"})
#: statuses of an inbound message (never a callback about something we sent)
STATUS_DE_ENTRADA = frozenset({"received", "receiving"})

#: Twilio error codes seen on callbacks and API answers (callbacks carry only the code)
ERROS: dict[str, str] = {
    "20003": "autenticação recusada (account_sid/auth_token)",
    "20429": "muitas requisições à API do Twilio",
    "21211": "número de destino inválido",
    "21408": "envio para esta região não está habilitado na conta",
    "21608": "número de destino não verificado (conta de teste)",
    "21610": "o destinatário respondeu STOP e não recebe mais mensagens deste número",
    "21612": "o destino não é alcançável a partir deste número",
    "21614": "o número de destino não recebe SMS",
    "21635": "o número de destino é um telefone fixo",
    "30003": "aparelho de destino inalcançável",
    "30004": "mensagem bloqueada pelo destino",
    "30005": "número de destino desconhecido ou inexistente",
    "30006": "telefone fixo ou operadora inalcançável",
    "30007": "mensagem filtrada pela operadora",
    "30008": "erro desconhecido na entrega",
    "63016": "fora da janela de 24 h do WhatsApp: envie um template aprovado",
    "63018": "limite de taxa do WhatsApp excedido",
}


# ------------------------------------------------------------------------------- form body
class Formulario(dict[str, list[str]]):
    """A form body as Twilio sent it: every key with all its values (order kept).

    Offers ``getlist`` so the SDK's ``RequestValidator`` signs multi-valued keys as Twilio does.
    """

    def getlist(self, chave: str) -> list[str]:
        return self.get(chave, [])

    def valor(self, chave: str, padrao: str = "") -> str:
        valores = self.get(chave)
        return valores[0] if valores else padrao


def carregar(corpo: bytes) -> Formulario:
    """Decode an ``application/x-www-form-urlencoded`` body (blank values are kept: signed)."""
    try:
        texto = corpo.decode("utf-8")
        pares = parse_qsl(texto, keep_blank_values=True, strict_parsing=bool(texto))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadInvalido(f"corpo não é um formulário válido: {exc}") from exc
    formulario = Formulario()
    for chave, valor in pares:
        formulario.setdefault(chave, []).append(valor)
    return formulario


def eh_status(form: Formulario) -> bool:
    """True for a status callback (a message we sent), False for an inbound message."""
    status = form.valor("MessageStatus")
    return bool(status) and status not in STATUS_DE_ENTRADA


def identificador(form: Formulario) -> str | None:
    """Our number: ``From`` of a status callback, ``To`` of an inbound message."""
    numero = form.valor("From" if eh_status(form) else "To")
    return normalizar_endereco(numero) or None


def id_evento(form: Formulario) -> str | None:
    sid = form.valor("MessageSid") or form.valor("SmsSid")
    if not sid:
        return None
    return f"{sid}:{form.valor('MessageStatus')}" if eh_status(form) else sid


# ------------------------------------------------------------------------------- addresses
def normalizar_numero(numero: str) -> str:
    """``"+55 (11) 99999-0000"`` → ``"+5511999990000"``; short codes and ids stay as they are."""
    valor = numero.strip()
    compacto = re.sub(r"[\s().-]", "", valor)
    if re.fullmatch(r"\+?\d{8,15}", compacto):
        return "+" + compacto.lstrip("+")
    return valor


def separar(endereco: str) -> tuple[str, str]:
    """``"whatsapp:+5511…"`` → ``("whatsapp", "+5511…")``; ``"+5511…"`` → ``("", "+5511…")``."""
    prefixo, separador, resto = endereco.strip().partition(":")
    if separador and prefixo.lower() in PREFIXOS:
        return prefixo.lower(), resto.strip()
    return "", endereco.strip()


def remetente_whatsapp(numero: Any) -> bool:
    """The channel's ``numero`` is a WhatsApp sender (``"whatsapp:+5511…"``, any case)."""
    return separar(str(numero or ""))[0] == "whatsapp"


def normalizar_endereco(endereco: str, *, prefixo_padrao: str = "") -> str:
    """Canonical Twilio address: lower-case channel prefix + normalised number ("" stays "")."""
    prefixo, numero = separar(endereco)
    if not numero:
        return ""
    prefixo = prefixo or prefixo_padrao
    numero = normalizar_numero(numero)
    return f"{prefixo}:{numero}" if prefixo else numero


def digitos(numero: str) -> str:
    """E.164 digits of a phone number ("" for anything that is not one)."""
    compacto = normalizar_numero(numero)
    return compacto[1:] if re.fullmatch(r"\+\d{8,15}", compacto) else ""


def _remetente(form: Formulario) -> tuple[Conversa, Remetente]:
    origem = form.valor("From")
    if not origem:
        raise PayloadInvalido(f"mensagem {form.valor('MessageSid')!r} sem 'From'")
    prefixo, numero = separar(origem)
    telefone = digitos(numero)
    identidades: list[Identidade] = []
    if prefixo == PREFIXO_WHATSAPP:
        wa_id = re.sub(r"\D", "", form.valor("WaId")) or telefone
        if wa_id:
            identidades.append(Identidade(TipoIdentidade.WHATSAPP, wa_id))
        # 2026 BSUID rollout: ``ExternalUserId=whatsapp:US.…``, even ``From=whatsapp:US.…``
        bsuid = separar(form.valor("ExternalUserId"))[1] or ("" if telefone else numero)
        if bsuid:
            identidades.append(Identidade(TipoIdentidade.WHATSAPP_BSUID, bsuid))
        telefone = telefone or wa_id
    if telefone:
        identidades.append(Identidade(TipoIdentidade.TELEFONE, telefone))
    if not identidades:  # alphanumeric sender or an id we do not know: keep it as the phone key
        identidades.append(Identidade(TipoIdentidade.TELEFONE, numero))
    remetente = Remetente(
        identidades=tuple(identidades), nome=form.valor("ProfileName"), telefone=telefone
    )
    return Conversa(id_externo=normalizar_endereco(origem)), remetente


# ------------------------------------------------------------------------------- events
def interpretar(form: Formulario, *, agora: datetime | None = None) -> list[Entrada]:
    agora = agora or datetime.now(tz=UTC)
    if eh_status(form):
        status = _status(form, agora)
        return [status] if status is not None else []
    return [_mensagem(form, agora)]


def _midias(form: Formulario) -> tuple[MidiaRef, ...]:
    try:
        quantidade = int(form.valor("NumMedia", "0") or 0)
    except ValueError as exc:
        raise PayloadInvalido(f"NumMedia inválido: {form.valor('NumMedia')!r}") from exc
    midias = []
    for n in range(quantidade):
        url = form.valor(f"MediaUrl{n}")
        if not url:
            raise PayloadInvalido(f"NumMedia={quantidade} mas falta MediaUrl{n}")
        # courier's MMS sample has no MediaContentTypeN: guess from the URL, the download tells
        mime = form.valor(f"MediaContentType{n}") or (mimetypes.guess_type(url)[0] or "")
        midias.append(MidiaRef(ref=url, mime=mime.lower()))
    return tuple(midias)


def tipo_por_mime(mime: str) -> TipoMensagem:
    principal = mime.split("/", 1)[0]
    return {
        "image": TipoMensagem.IMAGEM,
        "video": TipoMensagem.VIDEO,
        "audio": TipoMensagem.AUDIO,
    }.get(principal, TipoMensagem.DOCUMENTO)


def _coordenada(form: Formulario, chave: str) -> float:
    try:
        return float(form.valor(chave))
    except ValueError as exc:
        raise PayloadInvalido(f"{chave} inválida: {form.valor(chave)!r}") from exc


def _mensagem(form: Formulario, agora: datetime) -> MensagemEntrada:
    sid = form.valor("MessageSid") or form.valor("SmsSid")
    if not sid:
        raise PayloadInvalido("mensagem sem 'MessageSid'")
    conversa, remetente = _remetente(form)
    corpo = form.valor("Body")
    midias = _midias(form)
    dados: dict[str, Any] = {}
    if form.valor("ButtonText") or form.valor("ButtonPayload"):
        texto, payload = form.valor("ButtonText"), form.valor("ButtonPayload")
        tipo, conteudo, derivado = TipoMensagem.INTERATIVO, texto or payload, "button"
        dados = {"id": payload, "title": texto, "payload": payload, "tipo_interativo": "button"}
    elif form.valor("Latitude") and form.valor("Longitude"):
        dados = {
            "latitude": _coordenada(form, "Latitude"),
            "longitude": _coordenada(form, "Longitude"),
            "nome": form.valor("Label"),
            "endereco": form.valor("Address"),
            "url": "",
        }
        tipo, conteudo, derivado = TipoMensagem.LOCALIZACAO, resumo_localizacao(dados), "location"
    elif midias:
        tipo, conteudo = tipo_por_mime(midias[0].mime), corpo
        derivado = {TipoMensagem.IMAGEM: "image", TipoMensagem.VIDEO: "video",
                    TipoMensagem.AUDIO: "audio"}.get(tipo, "document")  # fmt: skip
    elif corpo:
        tipo, conteudo, derivado = TipoMensagem.TEXTO, corpo, "text"
    else:
        tipo_twilio = form.valor("MessageType") or "?"
        tipo, derivado = TipoMensagem.DESCONHECIDO, tipo_twilio
        conteudo = f"[mensagem do tipo {tipo_twilio} não suportada]"
        dados = {"bruto": {k: v[0] if len(v) == 1 else v for k, v in form.items()}}
    if form.valor("Forwarded").lower() == "true" or form.valor("FrequentlyForwarded") == "true":
        dados["encaminhada"] = True
    # Advanced Opt-Out: Twilio marks STOP/START/HELP keywords (and blocks the sender itself)
    opt_out = form.valor("OptOutType").strip().upper()
    if opt_out in ("STOP", "START"):
        dados["opt_out"] = opt_out
    return MensagemEntrada(
        id_externo=sid,
        conversa=conversa,
        remetente=remetente,
        tipo=tipo,
        data=agora,
        conteudo=conteudo,
        midias=midias,
        dados=dados,
        responde_a=form.valor("OriginalRepliedMessageSid"),
        tipo_original=form.valor("MessageType") or derivado,
    )


def _status(form: Formulario, agora: datetime) -> StatusEntrada | None:
    nome = form.valor("MessageStatus")
    status = STATUS.get(nome)
    if status is None:  # queued, sending, accepted, scheduled, partially_delivered…
        return None
    sid = form.valor("MessageSid") or form.valor("SmsSid")
    if not sid:
        raise PayloadInvalido("status sem 'MessageSid'")
    codigo = form.valor("ErrorCode")
    detalhe = ""
    if status == StatusEntrega.ERRO:
        detalhe = descrever_erro(codigo, form.valor("ErrorMessage"), status=nome)
    return StatusEntrada(
        id_externo=sid,
        status=status,
        data=agora,
        erro_codigo=codigo,
        erro_detalhe=detalhe,
        conversa_id_externo=normalizar_endereco(form.valor("To")),
        descadastro=codigo in CODIGOS_DESCADASTRO,
    )


def descrever_erro(codigo: str, mensagem: str = "", *, status: str = "") -> str:
    """``"21610"`` → ``"21610: o destinatário respondeu STOP…"``."""
    texto = mensagem or ERROS.get(codigo, "")
    if not codigo:
        return texto or ("envio cancelado" if status == "canceled" else "falha sem código")
    return f"{codigo}: {texto}" if texto else f"{codigo}: erro do Twilio"


def nome_da_midia(url: str, mime: str) -> str:
    """``…/Media/ME123`` + ``image/jpeg`` → ``ME123.jpg`` (Twilio media URLs have no extension)."""
    base = posixpath.basename(urlsplit(url).path)
    if not base or "." in base:
        return base
    return base + (mimetypes.guess_extension(mime) or "")
