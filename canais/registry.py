"""Registry of channel adapters, keyed by ``Canal.tipo``.

:data:`ADAPTADORES` is the one list of channels: adding a provider is its package under
``canais/adapters/<tipo>/`` and one line here (``docs/novo-canal.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.module_loading import import_string

from canais.adapters.base import IDENTIDADES_COMUNS, AdaptadorCanal

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


def escolhas() -> list[tuple[str, Any]]:
    """``(tipo, label)`` of every channel, in :data:`ADAPTADORES` order: ``Canal.tipo``'s
    choices (a new channel needs no migration)."""
    _carregar()
    return [(classe.tipo, classe.rotulo) for classe in _ADAPTADORES.values()]


def escolhas_identidade() -> list[tuple[str, Any]]:
    """``(tipo, label)`` of every identity type: each channel's own, then the common ones
    (phone, e-mail): ``IdentidadeContato.tipo``'s choices."""
    _carregar()
    rotulos: dict[str, Any] = {}
    for classe in _ADAPTADORES.values():
        rotulos.update(classe.identidades_proprias)
    rotulos.update(IDENTIDADES_COMUNS)
    return [(str(tipo), rotulo) for tipo, rotulo in rotulos.items()]


def _carregar() -> None:
    if _ADAPTADORES:
        return
    for caminho in ADAPTADORES:
        registrar(import_string(caminho))
