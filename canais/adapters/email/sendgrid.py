"""SendGrid Event Webhook: ECDSA signature check and events → :class:`StatusEntrada`.

The body is a JSON array of events signed with ECDSA P-256/SHA-256 over
``X-Twilio-Email-Event-Webhook-Timestamp`` + the raw body bytes (including the ``\\r\\n``
SendGrid appends).  Which of our messages an event is about: the ``conectcrm_message_id``
custom argument we attach to every SendGrid send (our own ``Message-ID``), else ``smtp-id``
(the ``Message-ID`` of the mail as SendGrid received it — ours when we relayed over SMTP),
else ``sg_message_id``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from canais.adapters.base import (
    AssinaturaInvalida,
    PayloadInvalido,
    StatusEntrada,
    StatusEntrega,
)

CABECALHO_ASSINATURA = "x-twilio-email-event-webhook-signature"
CABECALHO_TIMESTAMP = "x-twilio-email-event-webhook-timestamp"
#: custom arguments we attach to every SendGrid send (they come back on each event)
ARG_MESSAGE_ID = "conectcrm_message_id"
ARG_CANAL = "conectcrm_canal"

STATUS = {
    "processed": StatusEntrega.ENVIADA,
    "delivered": StatusEntrega.ENTREGUE,
    "open": StatusEntrega.LIDA,
    "click": StatusEntrega.LIDA,  # a click implies the message was opened
    "bounce": StatusEntrega.ERRO,
    "dropped": StatusEntrega.ERRO,
    "spamreport": StatusEntrega.ERRO,  # the customer marked it as spam: they did not want it
}
DESCRICAO_ERRO = {
    "bounce": "devolvido",
    "blocked": "bloqueado",
    "dropped": "descartado",
    "spamreport": "denunciado como spam",
}


def verificar_assinatura(chave_publica: str, req_cabecalho: Any, corpo: bytes) -> None:
    """Raise :class:`AssinaturaInvalida` unless the batch is signed by ``chave_publica``.

    ``chave_publica`` is the base64 DER key shown in SendGrid's settings (PEM also accepted).
    """
    if not chave_publica:
        raise AssinaturaInvalida("sendgrid_webhook_public_key não configurada")
    assinatura = req_cabecalho(CABECALHO_ASSINATURA).strip()
    timestamp = req_cabecalho(CABECALHO_TIMESTAMP).strip()
    if not assinatura or not timestamp:
        raise AssinaturaInvalida("cabeçalhos de assinatura do Event Webhook ausentes")
    chave = _chave(chave_publica)
    try:
        chave.verify(
            base64.b64decode(assinatura, validate=True),
            timestamp.encode() + corpo,  # the raw bytes: never re-serialised nor stripped
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise AssinaturaInvalida("assinatura do Event Webhook do SendGrid não confere") from exc


def _chave(texto: str) -> ec.EllipticCurvePublicKey:
    texto = texto.strip()
    try:
        if texto.startswith("-----BEGIN"):
            chave = serialization.load_pem_public_key(texto.encode())
        else:
            chave = serialization.load_der_public_key(base64.b64decode(texto, validate=True))
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise AssinaturaInvalida("sendgrid_webhook_public_key inválida") from exc
    if not isinstance(chave, ec.EllipticCurvePublicKey):
        raise AssinaturaInvalida("sendgrid_webhook_public_key não é uma chave ECDSA")
    return chave


def carregar(corpo: bytes) -> list[dict[str, Any]]:
    try:
        eventos = json.loads(corpo)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadInvalido(f"corpo não é JSON válido: {exc}") from exc
    if not isinstance(eventos, list) or not all(isinstance(e, dict) for e in eventos):
        raise PayloadInvalido("o Event Webhook deve ser uma lista de objetos")
    return eventos


def canais(eventos: list[dict[str, Any]]) -> list[str]:
    """Our channel addresses named by the events' custom argument, in order."""
    vistos: dict[str, None] = {}
    for evento in eventos:
        canal = str(evento.get(ARG_CANAL) or "").strip().lower()
        if canal:
            vistos.setdefault(canal, None)
    return list(vistos)


def interpretar(eventos: list[dict[str, Any]], *, endereco: str) -> list[StatusEntrada]:
    """Statuses of the batch, in order; events of another channel's mail are skipped."""
    resultado = []
    for evento in eventos:
        canal = str(evento.get(ARG_CANAL) or "").strip().lower()
        if canal and endereco and canal != endereco:
            continue
        status = _status(evento)
        if status is not None:
            resultado.append(status)
    return resultado


def _status(evento: dict[str, Any]) -> StatusEntrada | None:
    nome = str(evento.get("event") or "")
    status = STATUS.get(nome)
    if status is None:  # deferred, unsubscribe, group_*: nothing on the message
        return None
    if nome == "open" and evento.get("sg_machine_open") is True:
        return None  # Apple Mail Privacy Protection pre-fetch: nobody read it
    id_externo = _id(evento)
    if not id_externo:
        raise PayloadInvalido(f"evento {nome!r} sem identificador da mensagem")
    codigo = detalhe = ""
    if status == StatusEntrega.ERRO:
        tipo = str(evento.get("type") or nome)
        codigo = str(evento.get("status") or tipo)
        padrao = f"por {evento.get('email')}" if nome == "spamreport" else "sem motivo informado"
        motivo = str(evento.get("reason") or padrao)
        detalhe = f"{DESCRICAO_ERRO.get(tipo, tipo)}: {motivo}"
    return StatusEntrada(
        id_externo=id_externo,
        status=status,
        data=_data(evento.get("timestamp")),
        erro_codigo=codigo,
        erro_detalhe=detalhe,
        conversa_id_externo=str(evento.get("email") or "").lower(),
    )


def _id(evento: dict[str, Any]) -> str:
    for chave in (ARG_MESSAGE_ID, "smtp-id", "sg_message_id"):
        valor = str(evento.get(chave) or "").strip()
        if valor:
            return valor
    return ""


def _data(valor: Any) -> datetime:
    if isinstance(valor, bool) or not isinstance(valor, int | float):
        raise PayloadInvalido(f"timestamp inválido: {valor!r}")
    return datetime.fromtimestamp(valor, tz=UTC)
