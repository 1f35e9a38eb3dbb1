"""Runs a ``Pedido`` on the empresa's provider, safely.

- Customer text is masked (``ia.mascaramento``) before an external provider sees it, unless the
  empresa allows it (``IntegracaoConfig`` tipo ``ia``, ``configuracao.permitir_pii``). Inputs named
  in ``PUBLICAS`` (the empresa's own knowledge-base passages) are sent as they are.
- An external failure (down, slow, rate-limited, refused, an answer outside the schema) is logged
  and recorded as a failed call (with the tokens it was billed), and the same ``Pedido`` is
  answered by the local provider: the result says so (``erro``), it never blocks or disappears.
- The answer is only data, validated against the schema: nothing in it triggers an action.
- Independent requests of one feature (the full analysis' sentiment, intent and
  classification) are sent at the same time (``gerar_varios``), each falling back on its own.

The successful call is recorded by the calling service with ``Geracao.chamada()`` (the service
knows when its feature is done); the failed external attempt is recorded here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
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
    return gerar_varios(
        empresa_id=empresa_id,
        pedidos={funcionalidade: pedido},
        provedor=provedor,
        interativo=interativo,
    )[funcionalidade]


def gerar_varios(
    *,
    empresa_id,
    pedidos: Mapping[str, Pedido],
    provedor: Provedor | None = None,
    interativo: bool = False,
) -> dict[str, Geracao]:
    """Each ``pedido`` (keyed by its ``funcionalidade``) answered as ``gerar`` answers one.

    With an external provider the calls run at the same time, one thread each (the SDK clients
    are thread-safe and the wait is the network), so the whole takes about the slowest call, not
    the sum. The threads only talk to the provider: the failures' accounting and the local
    fall-backs (which read the database) run afterwards in the calling thread, one per failed
    call — the others keep the provider's answer. The local provider answers in-process, one
    after the other (milliseconds each)."""
    provedor = provedor or provedor_para(empresa_id)
    if interativo:
        provedor = limitar(provedor, settings.AI_TIMEOUT_INTERATIVO)
    if not provedor.externo:
        return {nome: _geracao(provedor.gerar(pedido)) for nome, pedido in pedidos.items()}
    enviados = {
        nome: pedido if provedor.permitir_pii else mascarar(pedido)
        for nome, pedido in pedidos.items()
    }
    if len(enviados) == 1:
        tentativas = {nome: _tentar(provedor, pedido) for nome, pedido in enviados.items()}
    else:
        with ThreadPoolExecutor(
            max_workers=len(enviados), thread_name_prefix=f"ia-{provedor.nome}"
        ) as paralelo:
            futuros = {
                nome: paralelo.submit(_tentar, provedor, pedido)
                for nome, pedido in enviados.items()
            }
            tentativas = {nome: futuro.result() for nome, futuro in futuros.items()}
    geradas: dict[str, Geracao] = {}
    for nome, (resultado, falha, latencia) in tentativas.items():
        if falha is None:
            geradas[nome] = _geracao(resultado)
            continue
        _registrar_falha(empresa_id, nome, provedor, falha, latencia)
        local = _geracao(provedor_local().gerar(pedidos[nome]))
        geradas[nome] = replace(local, erro=f"{falha.tipo}: {falha}")
    return geradas


def _tentar(provedor: Provedor, pedido: Pedido) -> tuple[Any, ErroProvedor | None, int]:
    """One external call: ``(Resultado, None, ms)`` or ``(None, ErroProvedor, ms)``. Never
    touches the database (it may run in a worker thread)."""
    inicio = time.perf_counter()
    try:
        resultado, falha = provedor.gerar(pedido), None
    except ErroProvedor as exc:
        resultado, falha = None, exc
    except Exception as exc:  # a defect of the provider's code must not sink the feature
        logger.exception("IA %s: falha inesperada", provedor.nome)
        resultado = None
        falha = ErroProvedor("indisponivel", f"falha inesperada ({type(exc).__name__})")
        falha.__cause__ = exc
    return resultado, falha, int((time.perf_counter() - inicio) * 1000)


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
