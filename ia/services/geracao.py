"""Runs a ``Pedido`` on the empresa's provider, safely.

- Customer text is masked (``ia.mascaramento``) before an external provider sees it, unless the
  empresa allows it (``IntegracaoConfig`` tipo ``ia``, ``configuracao.permitir_pii``). Inputs named
  in ``PUBLICAS`` (the empresa's own knowledge-base passages) are sent as they are.
- An external failure (down, slow, rate-limited, refused, an answer outside the schema) is logged
  and recorded as a failed call (with the tokens it was billed), and the same ``Pedido`` is
  answered by the local provider: the result says so (``erro``), it never blocks or disappears.
- The answer is only data, validated against the schema: nothing in it triggers an action.

The successful call is recorded by the calling service with ``Geracao.chamada()`` (the service
knows when its feature is done); the failed external attempt is recorded here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from ia.mascaramento import mascarar_dados
from ia.provedores import ConfigProvedor, ErroProvedor, Pedido, Provedor, construir, provedor_para
from ia.services import registro

logger = logging.getLogger(__name__)

#: inputs that are the empresa's own published content, not customer text (not masked)
PUBLICAS = frozenset({"trechos_base_conhecimento"})


@dataclass(frozen=True)
class Geracao:
    dados: dict
    provider: str
    modelo: str
    tokens_entrada: int = 0
    tokens_saida: int = 0
    tokens_cache: int = 0
    latencia_ms: int = 0
    #: the external provider's failure this local result stands in for ("tipo: detail"), if any
    erro: str | None = None

    @property
    def externo(self) -> bool:
        return self.provider != "local"

    def chamada(self) -> dict[str, Any]:
        """Keyword arguments of ``registro.registrar_chamada`` for this call."""
        return {
            "provider": self.provider,
            "modelo": self.modelo,
            "tokens_entrada": self.tokens_entrada,
            "tokens_saida": self.tokens_saida,
            "tokens_cache": self.tokens_cache,
            "latencia_ms": self.latencia_ms,
        }


def mascarar(pedido: Pedido) -> Pedido:
    entradas = {
        nome: valor if nome in PUBLICAS else mascarar_dados(valor)
        for nome, valor in pedido.entradas.items()
    }
    return replace(pedido, entradas=entradas)


def limitar(provedor: Provedor, timeout: float) -> Provedor:
    """The same provider with no retries and at most ``timeout`` seconds per call."""
    config = getattr(provedor, "config", None)
    if not isinstance(config, ConfigProvedor):
        return provedor
    limitado = construir(replace(config, timeout=min(config.timeout, timeout), max_retries=0))
    limitado.permitir_pii = provedor.permitir_pii
    return limitado


def provedor_local() -> Provedor:
    return construir(ConfigProvedor(nome="local"))


def gerar(
    *,
    empresa_id,
    funcionalidade: str,
    pedido: Pedido,
    provedor: Provedor | None = None,
    interativo: bool = False,
) -> Geracao:
    """The validated answer to ``pedido`` from the empresa's provider, or from the local one when
    the external provider fails. Errors of the local provider propagate. ``interativo`` (someone
    is waiting on a web request): one try, at most ``settings.AI_TIMEOUT_INTERATIVO`` seconds."""
    provedor = provedor or provedor_para(empresa_id)
    if interativo:
        provedor = limitar(provedor, settings.AI_TIMEOUT_INTERATIVO)
    erro = None
    if provedor.externo:
        enviado = pedido if provedor.permitir_pii else mascarar(pedido)
        inicio = time.perf_counter()
        try:
            try:
                return _geracao(provedor.gerar(enviado))
            except ErroProvedor:
                raise
            except Exception as exc:  # a defect of the provider's code must not sink the feature
                logger.exception("IA %s: falha inesperada", provedor.nome)
                raise ErroProvedor(
                    "indisponivel", f"falha inesperada ({type(exc).__name__})"
                ) from exc
        except ErroProvedor as exc:
            erro = f"{exc.tipo}: {exc}"
            latencia = int((time.perf_counter() - inicio) * 1000)
            _registrar_falha(empresa_id, funcionalidade, provedor, exc, latencia)
        provedor = provedor_local()
    return replace(_geracao(provedor.gerar(pedido)), erro=erro)


def _geracao(resultado) -> Geracao:
    return Geracao(
        dados=resultado.dados,
        provider=resultado.provider,
        modelo=resultado.modelo,
        tokens_entrada=resultado.tokens_entrada,
        tokens_saida=resultado.tokens_saida,
        tokens_cache=resultado.tokens_cache,
        latencia_ms=resultado.latencia_ms,
    )


def _registrar_falha(
    empresa_id, funcionalidade: str, provedor: Provedor, exc: ErroProvedor, latencia_ms: int
) -> None:
    uso = exc.resultado
    logger.warning(
        "IA %s/%s falhou em %s (empresa %s): %s: %s; usando o provedor local",
        provedor.nome,
        provedor.modelo,
        funcionalidade,
        empresa_id,
        exc.tipo,
        exc,
    )
    registro.registrar_chamada(
        empresa_id=empresa_id,
        funcionalidade=funcionalidade,
        provider=provedor.nome,
        modelo=(uso.modelo if uso else provedor.modelo) or "",
        tokens_entrada=uso.tokens_entrada if uso else 0,
        tokens_saida=uso.tokens_saida if uso else 0,
        tokens_cache=uso.tokens_cache if uso else 0,
        latencia_ms=latencia_ms,
        erro=True,
    )
