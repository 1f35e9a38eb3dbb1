"""Telegram Bot API ``Update`` objects → :mod:`canais.adapters.base` events (no I/O).

Ids: chats and users are 64-bit and always become strings.  ``message_id`` is unique only
inside its chat, so a message's ``id_externo`` is ``"<chat_id>:<message_id>"`` (``ordem`` keeps
the bare ``message_id``); a callback query is ``"cb:<callback id>"``; reactions and other
chat-bound updates are ``"upd:<update_id>"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from canais.adapters.base import (
    Conversa,
    EdicaoEntrada,
    Entrada,
    Identidade,
    MensagemEntrada,
    MidiaRef,
    PayloadInvalido,
    Remetente,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.resumos import resumo_contatos, resumo_localizacao

Json = dict[str, Any]

#: Message fields that describe the message rather than being its content
METADADOS = frozenset(
    {
        "message_id", "message_thread_id", "from", "sender_chat", "sender_boost_count",
        "sender_business_bot", "date", "business_connection_id", "chat", "forward_origin",
        "is_topic_message", "is_automatic_forward", "reply_to_message", "external_reply",
        "quote", "reply_to_story", "via_bot", "edit_date", "has_protected_content",
        "is_from_offline", "media_group_id", "author_signature", "entities", "caption",
        "caption_entities", "show_caption_above_media", "has_media_spoiler", "link_preview_options",
        "effect_id", "reply_markup", "paid_star_count",
    }
)  # fmt: skip


# ------------------------------------------------------------------------------- envelope
def carregar(corpo: bytes) -> Json:
    try:
        dados = json.loads(corpo)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadInvalido(f"corpo não é JSON válido: {exc}") from exc
    if not isinstance(dados, dict):
        raise PayloadInvalido("corpo JSON não é um objeto Update")
    if not isinstance(dados.get("update_id"), int):
        raise PayloadInvalido("Update sem 'update_id' inteiro")
    return dados


def interpretar(update: Json, *, agora: datetime | None = None) -> list[Entrada]:
    """The events of one Update (at most one optional field is present per Update)."""
    for chave, tratador in TIPOS_UPDATE.items():
        if isinstance(update.get(chave), dict):
            return tratador(update, update[chave], agora or datetime.now(tz=UTC))
    return _update_desconhecido(update)


# ------------------------------------------------------------------------------- people and chats
def nome_usuario(usuario: Mapping[str, Any]) -> str:
    partes = (usuario.get("first_name"), usuario.get("last_name"))
    return " ".join(str(p) for p in partes if p)


def _conversa(chat: Any) -> Conversa:
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        raise PayloadInvalido("mensagem sem 'chat.id'")
    grupo = chat.get("type") != "private"
    return Conversa(
        id_externo=str(chat["id"]),
        grupo=grupo,
        titulo=str(chat.get("title") or "") if grupo else "",
    )


def _remetente_usuario(usuario: Mapping[str, Any]) -> Remetente:
    return Remetente(
        identidades=(Identidade(TipoIdentidade.TELEGRAM, str(usuario["id"])),),
        nome=nome_usuario(usuario),
        username=str(usuario.get("username") or ""),
    )


def _remetente(msg: Json) -> Remetente:
    """``sender_chat`` wins (anonymous admins, channels); then ``from``; else the chat itself."""
    for chave in ("sender_chat", "from"):
        quem = msg.get(chave)
        if isinstance(quem, dict) and isinstance(quem.get("id"), int):
            if chave == "from":
                return _remetente_usuario(quem)
            return Remetente(
                identidades=(Identidade(TipoIdentidade.TELEGRAM, str(quem["id"])),),
                nome=str(quem.get("title") or nome_usuario(quem)),
                username=str(quem.get("username") or ""),
            )
    chat = msg["chat"]
    return Remetente(
        identidades=(Identidade(TipoIdentidade.TELEGRAM, str(chat["id"])),),
        nome=str(chat.get("title") or nome_usuario(chat)),
        username=str(chat.get("username") or ""),
    )


def data_unix(valor: Any) -> datetime:
    if not isinstance(valor, int):
        raise PayloadInvalido(f"data inválida: {valor!r}")
    return datetime.fromtimestamp(valor, tz=UTC)


def id_mensagem(chat_id: Any, message_id: Any) -> str:
    return f"{chat_id}:{message_id}"


# ------------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class _Parte:
    tipo: TipoMensagem
    conteudo: str = ""
    midias: tuple[MidiaRef, ...] = ()
    dados: Mapping[str, Any] = field(default_factory=dict)


def mensagem(msg: Json) -> MensagemEntrada:
    conversa = _conversa(msg.get("chat"))
    if not isinstance(msg.get("message_id"), int):
        raise PayloadInvalido("mensagem sem 'message_id'")
    tipo_original, parte = _conteudo(msg)
    dados = dict(parte.dados)
    for chave in ("media_group_id", "message_thread_id", "author_signature"):
        if msg.get(chave) is not None:
            dados[chave] = msg[chave]
    if msg.get("forward_origin"):
        dados["encaminhada"] = True
    resposta = msg.get("reply_to_message")
    # reply_to_message is documented as a message of the same chat (cross-chat: external_reply)
    responde_a = (
        id_mensagem(conversa.id_externo, resposta["message_id"])
        if isinstance(resposta, dict) and resposta.get("message_id") is not None
        else ""
    )
    return MensagemEntrada(
        id_externo=id_mensagem(conversa.id_externo, msg["message_id"]),
        conversa=conversa,
        remetente=_remetente(msg),
        tipo=parte.tipo,
        data=data_unix(msg.get("date")),
        conteudo=parte.conteudo,
        midias=parte.midias,
        dados=dados,
        responde_a=responde_a,
        ordem=msg["message_id"],
        tipo_original=tipo_original,
    )


def _conteudo(msg: Json) -> tuple[str, _Parte]:
    for chave, tratador in CONTEUDO.items():
        if msg.get(chave) not in (None, "", []):
            return chave, tratador(msg, chave)
    for chave, descrever in SERVICO.items():
        if msg.get(chave) not in (None, ""):
            return chave, _Parte(
                TipoMensagem.SISTEMA, conteudo=descrever(msg), dados={chave: msg[chave]}
            )
    outros = [k for k in msg if k not in METADADOS]
    tipo_original = outros[0] if outros else ""
    return tipo_original, _Parte(
        TipoMensagem.DESCONHECIDO,
        conteudo=f"[mensagem do tipo {tipo_original or '?'} não suportada]",
        dados={"bruto": msg},
    )


def _texto(msg: Json, chave: str) -> _Parte:
    return _Parte(TipoMensagem.TEXTO, conteudo=str(msg[chave]))


def _ref(arquivo: Mapping[str, Any], mime: str = "") -> MidiaRef:
    if not arquivo.get("file_id"):
        raise PayloadInvalido("arquivo sem 'file_id'")
    tamanho = arquivo.get("file_size")
    return MidiaRef(
        ref=str(arquivo["file_id"]),
        mime=str(arquivo.get("mime_type") or mime),
        nome=str(arquivo.get("file_name") or ""),
        tamanho=tamanho if isinstance(tamanho, int) else None,
    )


def _extras(arquivo: Mapping[str, Any]) -> dict[str, Any]:
    chaves = ("file_unique_id", "duration", "width", "height", "title", "performer", "emoji")
    return {k: arquivo[k] for k in chaves if arquivo.get(k) is not None}


def _midia(tipo: TipoMensagem, mime: str = "", **marcas: Any) -> Callable[[Json, str], _Parte]:
    def tratar(msg: Json, chave: str) -> _Parte:
        arquivo = msg[chave]
        if not isinstance(arquivo, dict):
            raise PayloadInvalido(f"'{chave}' não é um objeto")
        return _Parte(
            tipo,
            conteudo=str(msg.get("caption") or ""),
            midias=(_ref(arquivo, mime),),
            dados={**_extras(arquivo), **marcas},
        )

    return tratar


def _foto(msg: Json, chave: str) -> _Parte:
    tamanhos = [p for p in msg[chave] if isinstance(p, dict)]
    if not tamanhos:
        raise PayloadInvalido("'photo' sem tamanhos")
    # the API lists sizes smallest→largest, but does not promise it: take the largest area
    maior = max(reversed(tamanhos), key=lambda p: int(p.get("width", 0)) * int(p.get("height", 0)))
    return _Parte(
        TipoMensagem.IMAGEM,
        conteudo=str(msg.get("caption") or ""),
        midias=(_ref(maior, "image/jpeg"),),
        dados=_extras(maior),
    )


def _sticker(msg: Json, chave: str) -> _Parte:
    arquivo = msg[chave]
    if arquivo.get("is_animated"):
        mime = "application/x-tgsticker"
    elif arquivo.get("is_video"):
        mime = "video/webm"
    else:
        mime = "image/webp"
    return _Parte(TipoMensagem.STICKER, conteudo=str(arquivo.get("emoji") or ""),
                  midias=(_ref(arquivo, mime),), dados=_extras(arquivo))  # fmt: skip


def _localizacao(msg: Json, chave: str) -> _Parte:
    if chave == "venue":
        venue = msg["venue"]
        local = venue.get("location") or {}
        nome, endereco = str(venue.get("title") or ""), str(venue.get("address") or "")
    else:
        local, nome, endereco = msg["location"], "", ""
    dados = {
        "latitude": local.get("latitude"),
        "longitude": local.get("longitude"),
        "nome": nome,
        "endereco": endereco,
        "url": "",
    }
    return _Parte(TipoMensagem.LOCALIZACAO, conteudo=resumo_localizacao(dados), dados=dados)


def _contato(msg: Json, chave: str) -> _Parte:
    contato = msg[chave]
    numero = str(contato.get("phone_number") or "")
    item = {
        "nome": nome_usuario(contato),
        "telefones": [{"numero": numero, "wa_id": "", "tipo": ""}] if numero else [],
        "emails": [],
        "user_id": str(contato.get("user_id") or ""),
        "vcard": str(contato.get("vcard") or ""),
    }
    return _Parte(
        TipoMensagem.CONTATO, conteudo=resumo_contatos([item]), dados={"contatos": [item]}
    )


#: content field → handler, in priority order ("animation" also fills "document"; "venue" also
#: fills "location", so the more specific field comes first)
CONTEUDO: dict[str, Callable[[Json, str], _Parte]] = {
    "text": _texto,
    "animation": _midia(TipoMensagem.VIDEO, "video/mp4", animacao=True),
    "photo": _foto,
    "video": _midia(TipoMensagem.VIDEO, "video/mp4"),
    "video_note": _midia(TipoMensagem.VIDEO, "video/mp4", video_nota=True),
    "voice": _midia(TipoMensagem.AUDIO, "audio/ogg", voz=True),
    "audio": _midia(TipoMensagem.AUDIO, "audio/mpeg"),
    "document": _midia(TipoMensagem.DOCUMENTO),
    "sticker": _sticker,
    "venue": _localizacao,
    "location": _localizacao,
    "contact": _contato,
}


def _fixada(msg: Json) -> str:
    fixada = msg.get("pinned_message") or {}
    texto = str(fixada.get("text") or fixada.get("caption") or "")
    return f"Mensagem fixada: {texto}" if texto else "Mensagem fixada"


def _membros(msg: Json) -> str:
    nomes = ", ".join(nome_usuario(u) for u in msg.get("new_chat_members") or [])
    return f"Entrou no grupo: {nomes}"


#: service messages → readable summary (tipo SISTEMA)
SERVICO: dict[str, Callable[[Json], str]] = {
    "pinned_message": _fixada,
    "new_chat_members": _membros,
    "left_chat_member": lambda m: f"Saiu do grupo: {nome_usuario(m['left_chat_member'])}",
    "new_chat_title": lambda m: f"Novo título do grupo: {m['new_chat_title']}",
    "new_chat_photo": lambda m: "Nova foto do grupo",
    "delete_chat_photo": lambda m: "Foto do grupo removida",
    "group_chat_created": lambda m: "Grupo criado",
    "supergroup_chat_created": lambda m: "Supergrupo criado",
    "channel_chat_created": lambda m: "Canal criado",
    "migrate_to_chat_id": lambda m: f"Grupo migrado para o supergrupo {m['migrate_to_chat_id']}",
    "migrate_from_chat_id": lambda m: f"Supergrupo migrado do grupo {m['migrate_from_chat_id']}",
    "forum_topic_created": lambda m: f"Tópico criado: {m['forum_topic_created'].get('name', '')}",
    "forum_topic_closed": lambda m: "Tópico fechado",
    "forum_topic_reopened": lambda m: "Tópico reaberto",
}


# ------------------------------------------------------------------------------- update kinds
def _nova(update: Json, msg: Json, agora: datetime) -> list[Entrada]:
    return [mensagem(msg)]


def _edicao(update: Json, msg: Json, agora: datetime) -> list[Entrada]:
    conversa = _conversa(msg.get("chat"))
    if not isinstance(msg.get("message_id"), int):
        raise PayloadInvalido("mensagem editada sem 'message_id'")
    quando = msg.get("edit_date") if isinstance(msg.get("edit_date"), int) else msg.get("date")
    return [
        EdicaoEntrada(
            id_externo=id_mensagem(conversa.id_externo, msg.get("message_id")),
            conversa=conversa,
            conteudo=str(msg.get("text") or msg.get("caption") or ""),
            data=data_unix(quando),
        )
    ]


def _callback(update: Json, cb: Json, agora: datetime) -> list[Entrada]:
    """A button press: INTERATIVO with the button's ``data`` (must be answered, see adapter)."""
    usuario = cb.get("from")
    if not isinstance(usuario, dict) or not isinstance(usuario.get("id"), int) or not cb.get("id"):
        raise PayloadInvalido("callback_query sem 'id' ou 'from'")
    msg = cb.get("message") if isinstance(cb.get("message"), dict) else None
    if msg is not None:
        conversa = _conversa(msg.get("chat"))
        responde_a = id_mensagem(conversa.id_externo, msg.get("message_id"))
    else:  # inline-mode button: no message; the user's private chat id equals the user id
        conversa, responde_a = Conversa(id_externo=str(usuario["id"])), ""
    valor = str(cb.get("data") or cb.get("game_short_name") or "")
    titulo = _texto_do_botao(msg, valor)
    dados = {"id": valor, "title": titulo, "payload": valor, "callback_id": str(cb["id"])}
    if cb.get("inline_message_id"):
        dados["inline_message_id"] = str(cb["inline_message_id"])
    return [
        MensagemEntrada(
            id_externo=f"cb:{cb['id']}",
            conversa=conversa,
            remetente=_remetente_usuario(usuario),
            tipo=TipoMensagem.INTERATIVO,
            data=agora,  # a callback query carries no date of its own
            conteudo=titulo or valor,
            dados=dados,
            responde_a=responde_a,
            tipo_original="callback_query",
        )
    ]


def _texto_do_botao(msg: Json | None, valor: str) -> str:
    teclado = ((msg or {}).get("reply_markup") or {}).get("inline_keyboard") or []
    for linha in teclado:
        for botao in linha:
            if isinstance(botao, dict) and botao.get("callback_data") == valor:
                return str(botao.get("text") or "")
    return ""


def _reacao(update: Json, reacao: Json, agora: datetime) -> list[Entrada]:
    conversa = _conversa(reacao.get("chat"))
    novas = [r for r in reacao.get("new_reaction") or [] if isinstance(r, dict)]
    emoji = next((str(r.get("emoji")) for r in novas if r.get("type") == "emoji"), "")
    alvo = id_mensagem(conversa.id_externo, reacao.get("message_id"))
    if isinstance(reacao.get("user"), dict):
        remetente = _remetente_usuario(reacao["user"])
    else:  # anonymous: the chat on whose behalf the reaction was set
        remetente = _remetente({"sender_chat": reacao.get("actor_chat"), "chat": reacao["chat"]})
    return [
        MensagemEntrada(
            id_externo=f"upd:{update['update_id']}",
            conversa=conversa,
            remetente=remetente,
            tipo=TipoMensagem.REACAO,
            data=data_unix(reacao.get("date")),
            conteudo=emoji,
            dados={"emoji": emoji, "message_id": alvo, "removida": not emoji},
            responde_a=alvo,
            tipo_original="message_reaction",
        )
    ]


def _update_desconhecido(update: Json) -> list[Entrada]:
    """Other update kinds: kept as DESCONHECIDO when bound to a chat, else nothing to show."""
    for chave, valor in update.items():
        if chave == "update_id" or not isinstance(valor, dict):
            continue
        chat = valor.get("chat")
        if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
            continue
        data = valor.get("date")
        return [
            MensagemEntrada(
                id_externo=f"upd:{update['update_id']}",
                conversa=_conversa(chat),
                remetente=_remetente({**valor, "chat": chat}),
                tipo=TipoMensagem.DESCONHECIDO,
                data=data_unix(data) if isinstance(data, int) else datetime.now(tz=UTC),
                conteudo=f"[evento do tipo {chave} não suportado]",
                dados={"bruto": valor},
                tipo_original=chave,
            )
        ]
    return []


TIPOS_UPDATE: dict[str, Callable[[Json, Json, datetime], list[Entrada]]] = {
    "message": _nova,
    "channel_post": _nova,
    "business_message": _nova,
    "edited_message": _edicao,
    "edited_channel_post": _edicao,
    "edited_business_message": _edicao,
    "callback_query": _callback,
    "message_reaction": _reacao,
}
