"""Anthropic through the official SDK: the Messages API with structured output
(``output_config={"format": {"type": "json_schema", ...}}``, the schema adapted by the SDK's
``transform_schema``), usage from ``message.usage`` (``input_tokens`` is the uncached remainder;
cache writes are billed as input, cache reads reported as ``tokens_cache``). No temperature or
top_p is sent (current models answer 400 to them). Anthropic has no embeddings API."""

from __future__ import annotations

import time
from typing import Any

import anthropic

from . import prompt, sdk
from .base import ErroProvedor, Pedido, Provedor, Resultado
from .catalogo import ConfigProvedor, registrar


def esquema(pedido: Pedido) -> dict[str, Any]:
    return sdk.restringir(
        anthropic.transform_schema(pedido.esquema.model_json_schema()), pedido.restricoes
    )


@registrar
class ProvedorAnthropic(Provedor):
    nome = "anthropic"
    embeddings = False

    def __init__(self, config: ConfigProvedor) -> None:
        super().__init__(config.modelo)
        self.config = config

    @classmethod
    def de_config(cls, config: ConfigProvedor) -> ProvedorAnthropic:
        return cls(config)

    @property
    def _cliente(self) -> anthropic.Anthropic:
        return sdk.cliente(anthropic.Anthropic, self.config)

    def gerar(self, pedido: Pedido) -> Resultado:
        sistema, conteudo = prompt.montar(pedido.instrucoes, pedido.entradas)
        inicio = time.perf_counter()
        try:
            mensagem = self._cliente.messages.create(
                model=self.modelo,
                max_tokens=pedido.max_tokens,
                system=sistema,
                messages=[{"role": "user", "content": conteudo}],
                output_config={"format": {"type": "json_schema", "schema": esquema(pedido)}},
            )
        except anthropic.AnthropicError as exc:
            raise sdk.traduzir_erro(anthropic, exc) from exc
        except ValueError as exc:  # a 200 whose body is not JSON (a proxy's page)
            raise ErroProvedor("resposta_invalida", "corpo HTTP não é JSON") from exc
        with sdk.formato_inesperado():
            return self._interpretar(pedido, mensagem, sdk.ms_desde(inicio))

    def _interpretar(self, pedido: Pedido, mensagem: Any, latencia_ms: int) -> Resultado:
        resultado = self._resultado(mensagem, latencia_ms)
        if mensagem.stop_reason == "refusal":
            raise ErroProvedor("recusado", "o modelo recusou o pedido", resultado=resultado)
        if mensagem.stop_reason == "max_tokens":
            raise ErroProvedor(
                "resposta_invalida", "resposta cortada (max_tokens)", resultado=resultado
            )
        texto = "".join(
            bloco.text for bloco in mensagem.content if getattr(bloco, "type", "") == "text"
        )
        return sdk.decodificar(pedido, texto, resultado)

    def _resultado(self, mensagem: Any, latencia_ms: int) -> Resultado:
        uso = mensagem.usage
        return Resultado(
            dados=None,
            provider=self.nome,
            modelo=mensagem.model or self.modelo,
            tokens_entrada=(getattr(uso, "input_tokens", 0) or 0)
            + (getattr(uso, "cache_creation_input_tokens", 0) or 0),
            tokens_saida=getattr(uso, "output_tokens", 0) or 0,
            tokens_cache=getattr(uso, "cache_read_input_tokens", 0) or 0,
            latencia_ms=latencia_ms,
            uso=uso.model_dump(mode="json", exclude_none=True) if uso else {},
        )

    def embutir(self, textos: list[str], tipo: str = "query") -> Resultado:
        raise ErroProvedor("recusado", "a Anthropic não oferece embeddings")
