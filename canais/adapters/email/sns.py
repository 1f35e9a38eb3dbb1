"""Amazon SES delivery notifications through Amazon SNS HTTP(S) subscriptions.

SNS posts ``text/plain`` JSON (header ``x-amz-sns-message-type``) to the channel's webhook URL
with the channel named in the query: ``/api/atendimento/webhooks/email/<empresa_id>/?canal=
<endereco>``.  Every post is checked before anything is stored:

* the ``TopicArn`` is one of the channel's ``sns_topic_arn`` (comma-separated): anybody can
  create a topic and point it at us, and SNS would sign those messages too;
* the signature: SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA) over the canonical
  ``name\\nvalue\\n`` string of the message's fields, verified with the X.509 certificate of
  ``SigningCertURL``, fetched only over HTTPS from an ``sns.<region>.amazonaws.com`` host (any
  other URL is refused unfetched) and kept per process (:data:`CERTIFICADOS`).

Processing: a ``SubscriptionConfirmation`` is confirmed by a GET on its ``SubscribeURL`` (same
host rule); a ``Notification`` carries the SES event as a JSON string in ``Message``
(``notificationType`` of identity notifications or ``eventType`` of configuration-set event
publishing): Delivery → ``entregue``, Bounce / Complaint / Reject → ``erro`` with the reason,
Open / Click → ``lida``; the message is found by SES's message id (``mail.messageId``, recorded
from the SMTP reply when we sent it).

SNS takes any 4xx as final (it retries only 5xx/timeouts), so refusals are 401/403.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from canais.adapters._http import timeout_padrao
from canais.adapters.base import (
    AssinaturaInvalida,
    ErroDefinitivo,
    ErroTransitorio,
    PayloadInvalido,
    RequisicaoRecusada,
    StatusEntrada,
    StatusEntrega,
)

CABECALHO_TIPO = "x-amz-sns-message-type"
HOST_SNS = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?$")
TIPOS = frozenset({"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"})
#: fields of the string to sign, in order (absent optional ones are skipped)
CAMPOS_ASSINADOS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
ALGORITMOS = {"1": hashes.SHA1, "2": hashes.SHA256}
CERTIFICADOS_MAX = 64

#: signing certificates already fetched (URL -> certificate), per process
CERTIFICADOS: dict[str, x509.Certificate] = {}
_TRAVA = threading.Lock()


def _obter_https(url: str) -> bytes:
    try:
        resposta = httpx.get(url, timeout=timeout_padrao(), follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ErroTransitorio(f"SNS inacessível: {exc.__class__.__name__}") from exc
    if resposta.status_code >= 500:
        raise ErroTransitorio(f"SNS respondeu {resposta.status_code}")
    if resposta.status_code != 200:
        raise ErroDefinitivo(f"SNS respondeu {resposta.status_code}", codigo="sns")
    return resposta.content


#: GET of an SNS URL (certificate, SubscribeURL); tests point it at local data
obter: Callable[[str], bytes] = _obter_https


def url_sns(url: str) -> bool:
    """True for ``https://sns.<region>.amazonaws.com/…`` (no user info, default port)."""
    try:
        partes = urlsplit(url)
        porta = partes.port
    except ValueError:
        return False
    return (
        partes.scheme == "https"
        and porta in (None, 443)
        and not partes.username
        and bool(HOST_SNS.match((partes.hostname or "").lower()))
    )


def carregar(corpo: bytes) -> dict[str, Any]:
    try:
        mensagem = json.loads(corpo)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadInvalido(f"corpo do SNS não é JSON: {exc}") from exc
    if not isinstance(mensagem, dict) or mensagem.get("Type") not in TIPOS:
        raise PayloadInvalido("mensagem do SNS sem um Type conhecido")
    return mensagem


def texto_assinado(mensagem: dict[str, Any]) -> bytes:
    partes = []
    for campo in CAMPOS_ASSINADOS[mensagem["Type"]]:
        if campo in mensagem and mensagem[campo] is not None:
            partes.append(f"{campo}\n{mensagem[campo]}\n")
    return "".join(partes).encode()


def _certificado(url: str) -> x509.Certificate:
    with _TRAVA:
        guardado = CERTIFICADOS.get(url)
    if guardado is not None:
        return guardado
    try:
        certificado = x509.load_pem_x509_certificate(obter(url))
    except ValueError as exc:
        raise AssinaturaInvalida("certificado do SNS ilegível") from exc
    with _TRAVA:
        if len(CERTIFICADOS) >= CERTIFICADOS_MAX:
            CERTIFICADOS.clear()
        CERTIFICADOS[url] = certificado
    return certificado


def topicos(config_valor: Any) -> set[str]:
    return {t.strip() for t in str(config_valor or "").split(",") if t.strip()}


def verificar(mensagem: dict[str, Any], topicos_aceitos: set[str]) -> None:
    """Raise unless ``mensagem`` is signed by SNS for one of our topics."""
    if not topicos_aceitos:
        raise RequisicaoRecusada("sns_topic_arn não configurado neste canal", status=403)
    if mensagem.get("TopicArn") not in topicos_aceitos:
        raise RequisicaoRecusada("tópico do SNS não autorizado neste canal", status=403)
    algoritmo = ALGORITMOS.get(str(mensagem.get("SignatureVersion") or "1"))
    if algoritmo is None:
        raise AssinaturaInvalida("SignatureVersion do SNS desconhecida")
    url = str(mensagem.get("SigningCertURL") or "")
    if not url_sns(url):
        raise AssinaturaInvalida("SigningCertURL fora dos hosts do SNS")
    try:
        assinatura = base64.b64decode(str(mensagem.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AssinaturaInvalida("assinatura do SNS malformada") from exc
    try:
        chave = _certificado(url).public_key()
    except ErroDefinitivo as exc:
        raise AssinaturaInvalida(f"certificado do SNS indisponível: {exc.detalhe}") from exc
    if not isinstance(chave, rsa.RSAPublicKey):
        raise AssinaturaInvalida("certificado do SNS sem chave RSA")
    try:
        chave.verify(assinatura, texto_assinado(mensagem), padding.PKCS1v15(), algoritmo())
    except InvalidSignature as exc:
        raise AssinaturaInvalida("assinatura do SNS não confere") from exc


def confirmar_inscricao(mensagem: dict[str, Any]) -> None:
    """GET the ``SubscribeURL`` of a (verified) SubscriptionConfirmation."""
    url = str(mensagem.get("SubscribeURL") or "")
    if not url_sns(url):
        raise PayloadInvalido("SubscribeURL fora dos hosts do SNS")
    obter(url)


# ------------------------------------------------------------------------------- SES events
def _data(valor: Any, padrao: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(valor).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return padrao


def evento_ses(mensagem: dict[str, Any]) -> dict[str, Any]:
    try:
        evento = json.loads(mensagem.get("Message") or "")
    except (ValueError, TypeError) as exc:
        raise PayloadInvalido("Message do SNS não traz um evento do SES") from exc
    if not isinstance(evento, dict) or not isinstance(evento.get("mail"), dict):
        raise PayloadInvalido("Message do SNS não traz um evento do SES (sem mail)")
    return evento


def remetente(mensagem: dict[str, Any]) -> str:
    """The ``mail.source`` of a notification (our channel's address), or ""."""
    try:
        return str(evento_ses(mensagem)["mail"].get("source") or "").strip().lower()
    except PayloadInvalido:
        return ""


def _destinatarios(lista: Any, chave: str = "emailAddress") -> str:
    if not isinstance(lista, list):
        return ""
    return ", ".join(str(d.get(chave) or "") for d in lista if isinstance(d, dict))


def interpretar(mensagem: dict[str, Any]) -> list[StatusEntrada]:
    """The status a SES notification means for our message, if any."""
    evento = evento_ses(mensagem)
    tipo = str(evento.get("notificationType") or evento.get("eventType") or "")
    correio = evento["mail"]
    id_externo = str(correio.get("messageId") or "").strip()
    if not id_externo:
        raise PayloadInvalido("evento do SES sem mail.messageId")
    quando = _data(mensagem.get("Timestamp"), datetime.now(tz=UTC))
    destino = ", ".join(str(d) for d in correio.get("destination") or [])
    codigo = detalhe = ""
    if tipo == "Delivery":
        status = StatusEntrega.ENTREGUE
        quando = _data((evento.get("delivery") or {}).get("timestamp"), quando)
    elif tipo == "Send":
        status = StatusEntrega.ENVIADA
    elif tipo in ("Open", "Click"):
        status = StatusEntrega.LIDA
    elif tipo == "Bounce":
        devolucao = evento.get("bounce") or {}
        status = StatusEntrega.ERRO
        recusados = devolucao.get("bouncedRecipients") or []
        primeiro = recusados[0] if recusados and isinstance(recusados[0], dict) else {}
        codigo = str(primeiro.get("status") or devolucao.get("bounceType") or "bounce")
        motivo = str(primeiro.get("diagnosticCode") or devolucao.get("bounceSubType") or "")
        natureza = "permanente" if devolucao.get("bounceType") == "Permanent" else "temporária"
        detalhe = f"devolvido ({natureza}) por {_destinatarios(recusados)}: {motivo}".strip()
    elif tipo == "Complaint":
        queixa = evento.get("complaint") or {}
        status = StatusEntrega.ERRO
        codigo = "complaint"
        tipo_queixa = str(queixa.get("complaintFeedbackType") or "abuse")
        quem = _destinatarios(queixa.get("complainedRecipients")) or destino
        detalhe = f"denunciado como spam por {quem} ({tipo_queixa})"
    elif tipo == "Reject":
        status = StatusEntrega.ERRO
        codigo = "reject"
        detalhe = f"recusado pelo SES: {(evento.get('reject') or {}).get('reason') or ''}"
    else:  # DeliveryDelay, Subscription, Rendering Failure…: nothing on the message
        return []
    return [
        StatusEntrada(
            id_externo=id_externo,
            status=status,
            data=quando,
            erro_codigo=codigo[:50],
            erro_detalhe=detalhe,
            conversa_id_externo=destino.lower(),
        )
    ]
