"""Visitor identity: a token signed by the desk for one channel (Django signing, salted per
channel key), kept by the widget in the browser. It names the visitor and what they told the
pre-chat form; it cannot be forged nor moved to another channel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing


@dataclass(frozen=True)
class Visitante:
    id: str
    nome: str = ""
    email: str = ""


def _sal(chave_publica: str) -> str:
    return f"conectcrm.webchat:{chave_publica}"


def emitir(chave_publica: str, *, nome: str = "", email: str = "") -> tuple[str, Visitante]:
    visitante = Visitante(id=f"v{uuid.uuid4().hex}", nome=nome[:120], email=email[:254])
    dados = {"v": visitante.id, "n": visitante.nome, "e": visitante.email}
    return signing.dumps(dados, salt=_sal(chave_publica), compress=True), visitante


def visitante_do_token(chave_publica: str, token: str | None) -> Visitante | None:
    if not chave_publica or not token:
        return None
    try:
        validade = settings.WEBCHAT_VISITANTE_SEGUNDOS  # a returning visitor keeps the chat
        dados = signing.loads(token, salt=_sal(chave_publica), max_age=validade)
    except signing.BadSignature:
        return None
    if not isinstance(dados, dict) or not str(dados.get("v", "")).startswith("v"):
        return None
    return Visitante(
        id=str(dados["v"]), nome=str(dados.get("n", "")), email=str(dados.get("e", ""))
    )
