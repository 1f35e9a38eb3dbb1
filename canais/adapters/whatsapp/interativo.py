"""Choices as WhatsApp interactive messages (Cloud API ``"type": "interactive"``).

Up to 3 reply buttons become ``interactive.type = "button"`` (title ≤ 20 characters, id ≤ 256,
body ≤ 1024); up to 10 a list message, ``interactive.type = "list"`` (one section; row title
≤ 24, description ≤ 72, id ≤ 200; the button that opens it ≤ 20; body ≤ 4096).  More choices,
link buttons, or a text over those limits: None, and the message goes as plain text (which
already lists the choices).  The customer's answer comes back as an ``interactive`` message
whose ``button_reply`` / ``list_reply`` carries the id (read in
:mod:`canais.adapters.whatsapp.parse`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext

MAX_BOTOES = 3
MAX_LINHAS_LISTA = 10
CORPO_BOTOES = 1024
CORPO_LISTA = 4096
TITULO_BOTAO = 20
TITULO_LINHA = 24
DESCRICAO_LINHA = 72
ID_BOTAO = 256
ID_LINHA = 200
BOTAO_LISTA = 20


def _curto(texto: str, limite: int) -> str:
    return texto if len(texto) <= limite else texto[: limite - 1].rstrip() + "…"


def _escolhas(botoes: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]] | None:
    """``(id, title)`` of each reply button; None when a button is a link or ids repeat."""
    escolhas = []
    for botao in botoes:
        texto = str(botao.get("texto") or botao.get("text") or "").strip()
        if botao.get("url") or not texto:
            return None
        escolhas.append((str(botao.get("dados") or texto), texto))
    if len({i for i, _t in escolhas}) != len(escolhas):
        return None
    return escolhas


def interativo(
    texto: str, botoes: Sequence[Mapping[str, Any]], texto_botoes: str = ""
) -> dict[str, Any] | None:
    """The ``interactive`` object for ``botoes`` under ``texto_botoes`` (else ``texto``), or
    None when they do not fit an interactive message."""
    escolhas = _escolhas(botoes) if botoes else None
    corpo = (texto_botoes or texto).strip()
    if not escolhas or not corpo:
        return None
    titulos = [_curto(t, TITULO_BOTAO) for _i, t in escolhas]
    cabem_botoes = len(escolhas) <= MAX_BOTOES and len(corpo) <= CORPO_BOTOES
    if (
        cabem_botoes
        and all(len(i) <= ID_BOTAO for i, _t in escolhas)
        and len(set(titulos)) == len(titulos)
    ):
        return {
            "type": "button",
            "body": {"text": corpo},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": i, "title": titulo}}
                    for (i, _t), titulo in zip(escolhas, titulos, strict=True)
                ]
            },
        }
    if (
        len(escolhas) > MAX_LINHAS_LISTA
        or len(corpo) > CORPO_LISTA
        or any(len(i) > ID_LINHA for i, _t in escolhas)
    ):
        return None
    linhas = []
    for i, titulo in escolhas:
        linha = {"id": i, "title": _curto(titulo, TITULO_LINHA)}
        if len(titulo) > TITULO_LINHA:  # the whole label stays readable under the title
            linha["description"] = _curto(titulo, DESCRICAO_LINHA)
        linhas.append(linha)
    return {
        "type": "list",
        "body": {"text": corpo},
        "action": {
            "button": _curto(gettext("Ver opções"), BOTAO_LISTA),
            "sections": [{"rows": linhas}],
        },
    }
