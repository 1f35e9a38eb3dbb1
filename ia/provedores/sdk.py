"""What the OpenAI and Anthropic providers share: their SDK clients (retries with exponential
backoff and ``Retry-After`` are the SDK's own, ``max_retries``; a server-requested wait is capped
so a worker is never parked for minutes), error translation and JSON decoding of the answer.

Error messages never carry the provider's response body (a 401 body echoes part of the key): only
the status and the error class."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from typing import Any

from .base import ErroProvedor, Pedido, Resultado
from .catalogo import ConfigProvedor


def com_espera_limitada(classe: type, espera_maxima: float) -> type:
    """A subclass of an SDK client whose retry waits (backoff or ``Retry-After``) never exceed
    ``espera_maxima`` seconds."""

    class Cliente(classe):
        def _calculate_retry_timeout(self, *args: Any, **kwargs: Any) -> float:
            return min(super()._calculate_retry_timeout(*args, **kwargs), espera_maxima)

    Cliente.__name__ = Cliente.__qualname__ = f"{classe.__name__}ComEsperaLimitada"
    return Cliente


@lru_cache(maxsize=32)
def cliente(classe: type, config: ConfigProvedor) -> Any:
    """One SDK client per configuration (its connection pool is reused between calls)."""
    opcoes: dict[str, Any] = {
        "api_key": config.api_key,
        "timeout": config.timeout,
        "max_retries": config.max_retries,
    }
    if config.base_url:
        opcoes["base_url"] = config.base_url
    return com_espera_limitada(classe, config.espera_maxima)(**opcoes)


def restringir(esquema: dict[str, Any], restricoes) -> dict[str, Any]:
    """``esquema`` with each restricted field (or its list items) limited to an ``enum``; a
    field with no allowed value is left out (the model must give it a default)."""
    for chave in ("title", "description"):  # the model's docstring is not for the provider
        esquema.pop(chave, None)
    propriedades = esquema.get("properties", {})
    for campo, permitidos in restricoes.items():
        alvo = propriedades.get(campo)
        if alvo is None:
            continue
        if not permitidos:
            del propriedades[campo]
            esquema["required"] = [c for c in esquema.get("required", []) if c != campo]
            continue
        alvo = alvo.get("items", alvo) if alvo.get("type") == "array" else alvo
        alvo["enum"] = list(permitidos)
    return esquema


def traduzir_erro(sdk: Any, exc: Exception) -> ErroProvedor:
    """The SDK's exception as an ``ErroProvedor`` (after the SDK's own retries gave up)."""
    if isinstance(exc, sdk.APITimeoutError):
        return ErroProvedor("tempo_esgotado", "tempo esgotado esperando o provedor")
    if isinstance(exc, sdk.APIConnectionError):
        return ErroProvedor("indisponivel", "sem conexão com o provedor")
    if isinstance(exc, sdk.RateLimitError):
        return ErroProvedor("limite", "limite de requisições do provedor (HTTP 429)")
    if isinstance(exc, sdk.APIStatusError):
        tipo = "indisponivel" if exc.status_code >= 500 else "recusado"
        return ErroProvedor(tipo, f"HTTP {exc.status_code} ({type(exc).__name__})")
    return ErroProvedor("indisponivel", f"falha do SDK ({type(exc).__name__})")


def decodificar(pedido: Pedido, texto: str | None, resultado: Resultado) -> Resultado:
    """``resultado`` with its ``dados`` decoded from the model's JSON text and validated; an
    answer that is not JSON or not the schema raises ``ErroProvedor`` carrying the usage."""
    try:
        bruto = json.loads(texto or "")
    except ValueError as exc:
        raise ErroProvedor(
            "resposta_invalida", "o modelo não respondeu JSON válido", resultado=resultado
        ) from exc
    try:
        dados = pedido.validar(bruto)
    except ErroProvedor as exc:
        exc.resultado = resultado
        raise
    return replace(resultado, dados=dados)


@contextmanager
def formato_inesperado() -> Iterator[None]:
    """A 200 response that is not the API's shape (another API, a proxy) is an invalid answer,
    not a crash of the caller."""
    try:
        yield
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise ErroProvedor("resposta_invalida", "resposta fora do formato da API") from exc


def ms_desde(inicio: float) -> int:
    return int((time.perf_counter() - inicio) * 1000)
