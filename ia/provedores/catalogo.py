"""The registry of AI providers by name (``local``, ``openai``, ``anthropic``) and how one is
built from its configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Provedor

PROVEDORES: dict[str, type[Provedor]] = {}


def registrar(classe: type[Provedor]) -> type[Provedor]:
    """Class decorator: makes the provider available under ``classe.nome``."""
    if classe.nome in PROVEDORES:
        raise ValueError(f"provedor {classe.nome!r} já registrado")
    PROVEDORES[classe.nome] = classe
    return classe


@dataclass(frozen=True)
class ConfigProvedor:
    """What builds a provider. The key is never part of ``repr`` (so never in a log line)."""

    nome: str
    modelo: str = ""
    api_key: str = field(default="", repr=False)
    base_url: str = ""
    timeout: float = 20.0
    max_retries: int = 2
    #: longest wait a ``Retry-After`` may impose before a retry (seconds)
    espera_maxima: float = 30.0
    extra: tuple[tuple[str, Any], ...] = ()


def construir(config: ConfigProvedor) -> Provedor:
    classe = PROVEDORES.get(config.nome)
    if classe is None:
        raise KeyError(f"provedor de IA desconhecido: {config.nome!r} (há {sorted(PROVEDORES)})")
    return classe.de_config(config)
