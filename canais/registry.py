"""Registry of channel adapters, keyed by ``Canal.tipo``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canais.adapters.base import AdaptadorCanal

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
    from canais.adapters import email, telegram, twilio, webchat, whatsapp

    for modulo in (whatsapp, telegram, twilio, email, webchat):
        registrar(modulo.Adaptador)
