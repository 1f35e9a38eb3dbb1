"""Registry of channel adapters, keyed by ``Canal.tipo``.

:data:`ADAPTADORES` is the one list of channels: adding a provider is its package under
``canais/adapters/<tipo>/`` and one line here (``docs/novo-canal.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.module_loading import import_string

from canais.adapters.base import AdaptadorCanal

#: every channel's adapter class, in the order channels are offered
ADAPTADORES: tuple[str, ...] = (
    "canais.adapters.whatsapp.AdaptadorWhatsApp",
    "canais.adapters.telegram.AdaptadorTelegram",
    "canais.adapters.twilio.AdaptadorTwilio",
    "canais.adapters.email.AdaptadorEmail",
    "canais.adapters.webchat.AdaptadorWebchat",
)

_ADAPTADORES: dict[str, type[AdaptadorCanal]] = {}


class TipoCanalDesconhecido(LookupError):
    pass


def registrar(classe: type[AdaptadorCanal]) -> type[AdaptadorCanal]:
    _ADAPTADORES[classe.tipo] = classe
    return classe


def classe_adaptador(tipo: str) -> type[AdaptadorCanal]:
    _carregar()
    try:
        return _ADAPTADORES[tipo]
    except KeyError:
        raise TipoCanalDesconhecido(tipo) from None


def get_adaptador(tipo: str, config: Mapping[str, Any]) -> AdaptadorCanal:
    return classe_adaptador(tipo)(config)


def tipos() -> list[str]:
    _carregar()
    return sorted(_ADAPTADORES)


def _carregar() -> None:
    if _ADAPTADORES:
        return
    for caminho in ADAPTADORES:
        registrar(import_string(caminho))
