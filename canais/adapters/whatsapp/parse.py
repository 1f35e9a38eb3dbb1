"""WhatsApp Cloud API webhook payloads → :mod:`canais.adapters.base` events (no I/O).

Envelope: ``entry[] → changes[] (field "messages") → value.{contacts[], messages[], statuses[]}``.
Every level is a list because Meta batches; events come out in payload order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    TemplateProvedor,
    TemplateStatusEntrada,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.resumos import resumo_contatos, resumo_localizacao

Json = dict[str, Any]

STATUS = {
    "sent": StatusEntrega.ENVIADA,
    "delivered": StatusEntrega.ENTREGUE,
    "read": StatusEntrega.LIDA,
    "played": StatusEntrega.LIDA,  # first play of a voice message: it was read
    "failed": StatusEntrega.ERRO,
}

MIDIAS = {
    "image": TipoMensagem.IMAGEM,
    "video": TipoMensagem.VIDEO,
    "audio": TipoMensagem.AUDIO,
    "voice": TipoMensagem.AUDIO,  # on-premises era type; Cloud API sends audio + voice: true
    "document": TipoMensagem.DOCUMENTO,
    "sticker": TipoMensagem.STICKER,
}


# ------------------------------------------------------------------------------- envelope
def carregar(corpo: bytes) -> Json:
    """Decode the raw body; :class:`PayloadInvalido` unless it is a WhatsApp envelope."""
    try:
        dados = json.loads(corpo)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadInvalido(f"corpo não é JSON válido: {exc}") from exc
    if not isinstance(dados, dict):
        raise PayloadInvalido("corpo JSON não é um objeto")
    if dados.get("object") != "whatsapp_business_account":
        raise PayloadInvalido(f"campo 'object' inesperado: {dados.get('object')!r}")
    if not isinstance(dados.get("entry"), list):
        raise PayloadInvalido("campo 'entry' ausente ou não é lista")
    return dados


def _mudancas(dados: Json, campo: str = "messages") -> list[Json]:
    """Every ``value`` of a change of ``campo`` (``messages`` by default), in order."""
    valores = []
    for entrada in dados["entry"]:
        if not isinstance(entrada, dict) or not isinstance(entrada.get("changes", []), list):
            raise PayloadInvalido("item de 'entry' malformado")
        for mudanca in entrada.get("changes", []):
            if not isinstance(mudanca, dict) or not isinstance(mudanca.get("value"), dict):
                raise PayloadInvalido("item de 'changes' sem 'value'")
            if mudanca.get("field", "messages") == campo:
                valores.append(mudanca["value"])
    return valores


def phone_number_id(dados: Any) -> str | None:
    """The first ``metadata.phone_number_id`` of the payload (routing key), or None."""
    try:
        for entrada in dados["entry"]:
            for mudanca in entrada.get("changes", []):
                pnid = mudanca["value"]["metadata"]["phone_number_id"]
                if isinstance(pnid, str | int) and str(pnid):
                    return str(pnid)
    except (KeyError, TypeError, AttributeError):
        return None
    return None


def interpretar(dados: Json, *, so_phone_number_id: str = "") -> list[Entrada]:
    """All messages and statuses of the payload, in order.

    ``so_phone_number_id``: skip changes addressed to another number of the same WABA (the raw
    webhook is stored by the pipeline anyway; those events belong to another channel).
    """
    eventos: list[Entrada] = []
    for valor in _mudancas(dados):
        pnid = str((valor.get("metadata") or {}).get("phone_number_id", ""))
        if so_phone_number_id and pnid and pnid != so_phone_number_id:
            continue
        contatos = _contatos(valor.get("contacts") or [])
        for msg in _lista(valor, "messages"):
            eventos.append(_mensagem(msg, contatos))
        for st in _lista(valor, "statuses"):
            status = _status(st)
            if status is not None:
                eventos.append(status)
    eventos += [
        _status_template(valor) for valor in _mudancas(dados, "message_template_status_update")
    ]
    return eventos


def _status_template(valor: Json) -> TemplateStatusEntrada:
    """``{"event": "APPROVED", "message_template_id": 1, "message_template_name": "x",
    "message_template_language": "pt_BR", "reason": "NONE"}``."""
    evento = str(valor.get("event") or "").upper()
    nome = str(valor.get("message_template_name") or "")
    if not evento or not nome:
        raise PayloadInvalido("message_template_status_update sem 'event' ou nome do template")
    motivo = str(valor.get("reason") or "")
    return TemplateStatusEntrada(
        id_externo=str(valor.get("message_template_id") or ""),
        nome=nome,
        idioma=str(valor.get("message_template_language") or ""),
        status=evento,
        motivo="" if motivo.upper() == "NONE" else motivo,
    )


def _lista(valor: Json, chave: str) -> list[Json]:
    itens = valor.get(chave) or []
    if not isinstance(itens, list) or not all(isinstance(i, dict) for i in itens):
        raise PayloadInvalido(f"'{chave}' não é uma lista de objetos")
    return itens


# ------------------------------------------------------------------------------- contacts
@dataclass(frozen=True)
class _Contato:
    wa_id: str = ""
    bsuid: str = ""
    nome: str = ""
    username: str = ""


def _contatos(itens: list[Any]) -> list[_Contato]:
    contatos = []
    for item in itens:
        if not isinstance(item, dict):
            continue
        perfil = item.get("profile") or {}
        contatos.append(
            _Contato(
                wa_id=str(item.get("wa_id") or ""),
                bsuid=str(item.get("user_id") or ""),
                nome=str(perfil.get("name") or ""),
                username=str(perfil.get("username") or ""),
            )
        )
    return contatos


def _remetente(msg: Json, contatos: list[_Contato]) -> tuple[Conversa, Remetente]:
    wa_id = str(msg.get("from") or "")
    bsuid = str(msg.get("from_user_id") or "")
    contato = next(
        (c for c in contatos if (wa_id and c.wa_id == wa_id) or (bsuid and c.bsuid == bsuid)),
        contatos[0] if len(contatos) == 1 and not (wa_id or bsuid) else _Contato(),
    )
    wa_id = wa_id or contato.wa_id
    bsuid = bsuid or contato.bsuid
    if not (wa_id or bsuid):
        raise PayloadInvalido(f"mensagem {msg.get('id')!r} sem remetente (from/from_user_id)")
    telefone = re.sub(r"\D", "", wa_id)
    identidades: list[Identidade] = []
    if wa_id:
        identidades.append(Identidade(TipoIdentidade.WHATSAPP, wa_id))
    if telefone:
        identidades.append(Identidade(TipoIdentidade.TELEFONE, telefone))
    if bsuid:
        identidades.append(Identidade(TipoIdentidade.WHATSAPP_BSUID, bsuid))
    remetente = Remetente(
        identidades=tuple(identidades),
        nome=contato.nome,
        telefone=telefone,
        username=contato.username,
    )
    return Conversa(id_externo=wa_id or bsuid), remetente


# ------------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class _Parte:
    tipo: TipoMensagem
    conteudo: str = ""
    midias: tuple[MidiaRef, ...] = ()
    dados: Mapping[str, Any] = field(default_factory=dict)
    responde_a: str = ""


def _mensagem(msg: Json, contatos: list[_Contato]) -> MensagemEntrada:
    id_externo = msg.get("id")
    if not isinstance(id_externo, str) or not id_externo:
        raise PayloadInvalido("mensagem sem 'id'")
    tipo_original = str(msg.get("type") or "")
    conversa, remetente = _remetente(msg, contatos)
    tratador = TRATADORES.get(tipo_original, _desconhecida)
    parte = tratador(msg)
    contexto = msg.get("context") if isinstance(msg.get("context"), dict) else {}
    dados = dict(parte.dados)
    if contexto.get("forwarded") or contexto.get("frequently_forwarded"):
        dados["encaminhada"] = True
    if isinstance(msg.get("referral"), dict):
        dados["referral"] = msg["referral"]
    return MensagemEntrada(
        id_externo=id_externo,
        conversa=conversa,
        remetente=remetente,
        tipo=parte.tipo,
        data=data_unix(msg.get("timestamp"), id_externo),
        conteudo=parte.conteudo,
        midias=parte.midias,
        dados=dados,
        responde_a=parte.responde_a or str(contexto.get("id") or ""),
        tipo_original=tipo_original,
    )


def _corpo(msg: Json) -> Json:
    """The object named after the message type (``msg["image"]`` for ``type: image``)."""
    corpo = msg.get(msg.get("type", ""))
    if not isinstance(corpo, dict):
        raise PayloadInvalido(f"mensagem {msg.get('id')!r} sem o objeto '{msg.get('type')}'")
    return corpo


def _texto(msg: Json) -> _Parte:
    return _Parte(TipoMensagem.TEXTO, conteudo=str(_corpo(msg).get("body") or ""))


def _midia(msg: Json) -> _Parte:
    corpo = _corpo(msg)
    if not corpo.get("id"):
        raise PayloadInvalido(f"mídia da mensagem {msg.get('id')!r} sem 'id'")
    ref = MidiaRef(
        ref=str(corpo["id"]),
        mime=str(corpo.get("mime_type") or ""),
        nome=str(corpo.get("filename") or ""),
        sha256=str(corpo.get("sha256") or ""),
    )
    dados: dict[str, Any] = {}
    if corpo.get("voice") or msg.get("type") == "voice":
        dados["voz"] = True
    if corpo.get("animated"):
        dados["animado"] = True
    if corpo.get("url"):
        dados["url"] = corpo["url"]
    return _Parte(
        MIDIAS[msg["type"]], conteudo=str(corpo.get("caption") or ""), midias=(ref,), dados=dados
    )


def _localizacao(msg: Json) -> _Parte:
    corpo = _corpo(msg)
    dados = {
        "latitude": corpo.get("latitude"),
        "longitude": corpo.get("longitude"),
        "nome": str(corpo.get("name") or ""),
        "endereco": str(corpo.get("address") or ""),
        "url": str(corpo.get("url") or ""),
    }
    return _Parte(TipoMensagem.LOCALIZACAO, conteudo=resumo_localizacao(dados), dados=dados)


def _contatos_compartilhados(msg: Json) -> _Parte:
    itens = msg.get("contacts")
    if not isinstance(itens, list):
        raise PayloadInvalido(f"mensagem {msg.get('id')!r} sem a lista 'contacts'")
    contatos = []
    for item in (i for i in itens if isinstance(i, dict)):
        nome = item.get("name") or {}
        contatos.append(
            {
                "nome": str(nome.get("formatted_name") or nome.get("first_name") or ""),
                "telefones": [
                    {
                        "numero": p.get("phone", ""),
                        "wa_id": p.get("wa_id", ""),
                        "tipo": p.get("type", ""),
                    }
                    for p in item.get("phones") or []
                ],
                "emails": [e.get("email", "") for e in item.get("emails") or []],
            }
        )
    return _Parte(
        TipoMensagem.CONTATO, conteudo=resumo_contatos(contatos), dados={"contatos": contatos}
    )


def _interativo(msg: Json) -> _Parte:
    corpo = _corpo(msg)
    subtipo = str(corpo.get("type") or "")
    resposta = corpo.get(subtipo) if isinstance(corpo.get(subtipo), dict) else {}
    if subtipo == "nfm_reply":  # WhatsApp Flows: the answers come as a JSON string
        dados = {"id": "", "title": str(resposta.get("name") or ""), "payload": ""}
        dados["resposta"] = resposta.get("response_json", "")
        conteudo = str(resposta.get("body") or dados["title"])
    else:
        dados = {
            "id": str(resposta.get("id") or ""),
            "title": str(resposta.get("title") or ""),
            "payload": str(resposta.get("id") or ""),
        }
        if resposta.get("description"):
            dados["descricao"] = str(resposta["description"])
        conteudo = dados["title"]
    dados["tipo_interativo"] = subtipo
    return _Parte(TipoMensagem.INTERATIVO, conteudo=conteudo, dados=dados)


def _botao_template(msg: Json) -> _Parte:
    corpo = _corpo(msg)
    texto = str(corpo.get("text") or "")
    payload = str(corpo.get("payload") or "")
    dados = {"id": payload, "title": texto, "payload": payload, "tipo_interativo": "button"}
    return _Parte(TipoMensagem.INTERATIVO, conteudo=texto, dados=dados)


def _reacao(msg: Json) -> _Parte:
    corpo = _corpo(msg)
    alvo = str(corpo.get("message_id") or "")
    emoji = str(corpo.get("emoji") or "")  # empty or absent: the reaction was removed
    return _Parte(
        TipoMensagem.REACAO,
        conteudo=emoji,
        dados={"emoji": emoji, "message_id": alvo, "removida": not emoji},
        responde_a=alvo,
    )


def _sistema(msg: Json) -> _Parte:
    corpo = msg.get("system") if isinstance(msg.get("system"), dict) else {}
    return _Parte(
        TipoMensagem.SISTEMA, conteudo=str(corpo.get("body") or ""), dados={"sistema": corpo}
    )


def _desconhecida(msg: Json) -> _Parte:
    """Unsupported or not yet known types: kept whole, never dropped."""
    erros = msg.get("errors") if isinstance(msg.get("errors"), list) else []
    resumo = "; ".join(descrever_erro(e) for e in erros if isinstance(e, dict))
    conteudo = f"[mensagem do tipo {msg.get('type') or '?'} não suportada]"
    return _Parte(
        TipoMensagem.DESCONHECIDO,
        conteudo=f"{conteudo} {resumo}" if resumo else conteudo,
        dados={"bruto": msg, "erros": erros},
    )


TRATADORES: dict[str, Callable[[Json], _Parte]] = {
    "text": _texto,
    **dict.fromkeys(MIDIAS, _midia),
    "location": _localizacao,
    "contacts": _contatos_compartilhados,
    "interactive": _interativo,
    "button": _botao_template,
    "reaction": _reacao,
    "system": _sistema,
    "unsupported": _desconhecida,
}


# ------------------------------------------------------------------------------- statuses
def _status(st: Json) -> StatusEntrada | None:
    status = STATUS.get(str(st.get("status") or ""))
    if status is None:  # e.g. "deleted", "warning": nothing to record on our message
        return None
    id_externo = st.get("id")
    if not isinstance(id_externo, str) or not id_externo:
        raise PayloadInvalido("status sem 'id'")
    erros = [e for e in st.get("errors") or [] if isinstance(e, dict)]
    return StatusEntrada(
        id_externo=id_externo,
        status=status,
        data=data_unix(st.get("timestamp"), id_externo),
        erro_codigo=str(erros[0].get("code", "")) if erros else "",
        erro_detalhe="; ".join(descrever_erro(e) for e in erros),
        conversa_id_externo=str(st.get("recipient_id") or st.get("recipient_user_id") or ""),
    )


def descrever_erro(erro: Mapping[str, Any]) -> str:
    """``{code, title, message, error_data.details}`` → ``"131047: Re-engagement message — …"``."""
    texto = str(erro.get("message") or erro.get("title") or "erro sem descrição")
    detalhes = (
        (erro.get("error_data") or {}).get("details")
        if isinstance(erro.get("error_data"), dict)
        else ""
    )
    if detalhes and detalhes != texto:
        texto = f"{texto} — {detalhes}"
    codigo = erro.get("code")
    return f"{codigo}: {texto}" if codigo not in (None, "") else texto


def data_unix(valor: Any, referencia: str = "") -> datetime:
    """Meta timestamps are strings of Unix seconds → aware UTC datetime."""
    try:
        return datetime.fromtimestamp(int(valor), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PayloadInvalido(f"timestamp inválido em {referencia!r}: {valor!r}") from exc


# ------------------------------------------------------------------------------- templates
def template_provedor(item: Any) -> TemplateProvedor:
    """One entry of ``GET /{waba_id}/message_templates``."""
    if not isinstance(item, dict) or not item.get("name"):
        raise PayloadInvalido(f"template sem nome na listagem da Meta: {item!r}"[:300])
    componentes = item.get("components") or []
    motivo = str(item.get("rejected_reason") or "")
    return TemplateProvedor(
        id_externo=str(item.get("id") or ""),
        nome=str(item["name"]),
        idioma=str(item.get("language") or ""),
        categoria=str(item.get("category") or ""),
        status=str(item.get("status") or "").upper(),
        componentes=tuple(c for c in componentes if isinstance(c, dict)),
        motivo=motivo if motivo.upper() != "NONE" else "",
    )
