"""The language of a websocket: what the same browser gets over HTTP (the language switch's
cookie, then the agent's stored language, then ``Accept-Language``, then the site's default), for
the messages the socket sends."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real


def _cabecalho(scope: dict[str, Any], nome: bytes) -> str:
    for chave, valor in scope.get("headers") or ():
        if chave.lower() == nome:
            return valor.decode("latin-1")
    return ""


def idioma_do_scope(scope: dict[str, Any], armazenado: str = "") -> str:
    """``armazenado``: the agent's stored preference (``Atendente.idioma``), which decides when
    the browser has no language cookie yet, as ``IdiomaDoAtendenteMiddleware`` does over HTTP."""
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie is None:
        from http.cookies import SimpleCookie

        bruto = SimpleCookie()
        try:
            bruto.load(_cabecalho(scope, b"cookie"))
        except Exception:
            bruto = SimpleCookie()
        if settings.LANGUAGE_COOKIE_NAME in bruto:
            cookie = bruto[settings.LANGUAGE_COOKIE_NAME].value
    candidatos = [cookie] if cookie else [armazenado] if armazenado else []
    candidatos += [
        codigo
        for codigo, _peso in trans_real.parse_accept_lang_header(
            _cabecalho(scope, b"accept-language")
        )
        if codigo != "*"
    ]
    for codigo in candidatos:
        try:
            return translation.get_supported_language_variant(codigo)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
