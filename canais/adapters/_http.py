"""Small httpx helpers shared by the provider adapters (timeouts, error mapping, capped downloads).

Provider-specific error bodies are interpreted by each adapter; this module only turns transport
problems and generic HTTP statuses into :class:`ErroTransitorio` / :class:`ErroDefinitivo`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from django.conf import settings

from canais.adapters.base import ErroCanal, ErroDefinitivo, ErroTransitorio

InterpretadorErro = Callable[[httpx.Response], ErroCanal]


def timeout_padrao() -> float:
    """Default seconds for connect/read/write/pool: ``settings.PROVEDOR_TIMEOUT_SEGUNDOS``
    (default 10), read at each call; adapters expose it as ``timeout_segundos``."""
    return float(getattr(settings, "PROVEDOR_TIMEOUT_SEGUNDOS", 10.0))


def cliente(timeout: float | None = None) -> httpx.Client:
    """An httpx client with explicit timeouts that never follows redirects silently."""
    segundos = timeout if timeout is not None else timeout_padrao()
    return httpx.Client(timeout=httpx.Timeout(segundos), follow_redirects=False)


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (delta-seconds or HTTP-date), if any."""
    valor = resp.headers.get("retry-after", "").strip()
    if not valor:
        return None
    try:
        return max(float(valor), 0.0)
    except ValueError:
        pass
    try:
        quando = email.utils.parsedate_to_datetime(valor)
    except (TypeError, ValueError):
        return None
    return max(quando.timestamp() - time.time(), 0.0)


def json_ou_vazio(resp: httpx.Response) -> dict[str, Any]:
    try:
        dados = resp.json()
    except ValueError:
        return {}
    return dados if isinstance(dados, dict) else {}


def erro_por_status(resp: httpx.Response, detalhe: str, codigo: str = "") -> ErroCanal:
    """Generic mapping: 429 and 5xx are transient, every other failure is definitive."""
    codigo = codigo or str(resp.status_code)
    if resp.status_code == 429:
        return ErroTransitorio(detalhe, retry_after=retry_after(resp), codigo=codigo)
    if resp.status_code >= 500:
        return ErroTransitorio(detalhe, retry_after=retry_after(resp), codigo=codigo)
    return ErroDefinitivo(detalhe, codigo=codigo)


def requisitar(
    metodo: str,
    url: str,
    *,
    interpretar_erro: InterpretadorErro,
    timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; return the 2xx response or raise the mapped :class:`ErroCanal`."""
    try:
        with cliente(timeout) as http:
            resp = http.request(metodo, url, headers=headers, **kwargs)
    except httpx.TimeoutException as exc:
        raise ErroTransitorio(f"tempo esgotado falando com {_host(url)}", codigo="timeout") from exc
    except httpx.TransportError as exc:
        raise ErroTransitorio(
            f"falha de conexão com {_host(url)}: {exc.__class__.__name__}", codigo="conexao"
        ) from exc
    if resp.is_success:
        return resp
    raise interpretar_erro(resp)


def baixar_limitado(
    url: str,
    *,
    limite_bytes: int,
    interpretar_erro: InterpretadorErro,
    timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[bytes, str]:
    """GET ``url`` streaming, refusing bodies larger than ``limite_bytes``.

    Returns ``(content, content-type without parameters)``.
    """
    partes: list[bytes] = []
    total = 0
    try:
        with cliente(timeout) as http, http.stream("GET", url, headers=headers) as resp:
            if not resp.is_success:
                resp.read()
                raise interpretar_erro(resp)
            declarado = resp.headers.get("content-length", "")
            if declarado.isdigit() and int(declarado) > limite_bytes:
                raise _grande_demais(int(declarado), limite_bytes)
            for pedaco in resp.iter_bytes():
                total += len(pedaco)
                if total > limite_bytes:
                    raise _grande_demais(total, limite_bytes)
                partes.append(pedaco)
            tipo = resp.headers.get("content-type", "")
    except httpx.TimeoutException as exc:
        raise ErroTransitorio(f"tempo esgotado baixando de {_host(url)}", codigo="timeout") from exc
    except httpx.TransportError as exc:
        raise ErroTransitorio(
            f"falha de conexão com {_host(url)}: {exc.__class__.__name__}", codigo="conexao"
        ) from exc
    return b"".join(partes), mime_base(tipo)


def mime_base(mime: str) -> str:
    """``"audio/ogg; codecs=opus"`` → ``"audio/ogg"`` (lower case)."""
    return mime.split(";", 1)[0].strip().lower()


def _grande_demais(tamanho: int, limite: int) -> ErroDefinitivo:
    return ErroDefinitivo(
        f"mídia maior que o limite ({tamanho} > {limite} bytes)", codigo="midia_grande"
    )


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except (httpx.InvalidURL, TypeError):
        return url
