"""OpenAI through the official SDK: Chat Completions with a strict ``json_schema`` response
format, usage from ``response.usage`` (``prompt_tokens`` includes the cached ones, reported apart
as ``tokens_cache``). Works with any server speaking that wire format (``base_url``)."""

from __future__ import annotations

import time
from typing import Any

import openai

# the SDK's own conversion (what ``chat.completions.parse`` uses): every field required,
# ``additionalProperties: false``, references inlined as strict mode wants
from openai.lib._pydantic import to_strict_json_schema

from . import prompt, sdk
from .base import ErroProvedor, Pedido, Provedor, Resultado
from .catalogo import ConfigProvedor, registrar

MODELO_EMBEDDINGS = "text-embedding-3-small"


def esquema(pedido: Pedido) -> dict[str, Any]:
    """The strict JSON schema of the request (every field required, no extra fields), with the
    ``restricoes`` as enums."""
    return sdk.restringir(to_strict_json_schema(pedido.esquema), pedido.restricoes)


@registrar
class ProvedorOpenAI(Provedor):
    nome = "openai"

    def __init__(self, config: ConfigProvedor) -> None:
        super().__init__(config.modelo)
        self.config = config

    @classmethod
    def de_config(cls, config: ConfigProvedor) -> ProvedorOpenAI:
        return cls(config)

    @property
    def _cliente(self) -> openai.OpenAI:
        return sdk.cliente(openai.OpenAI, self.config)

    def gerar(self, pedido: Pedido) -> Resultado:
        sistema, conteudo = prompt.montar(pedido.instrucoes, pedido.entradas)
        inicio = time.perf_counter()
        try:
            resposta = self._cliente.chat.completions.create(
                model=self.modelo,
                messages=[
                    {"role": "system", "content": sistema},
                    {"role": "user", "content": conteudo},
                ],
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": pedido.tarefa,
                        "schema": esquema(pedido),
                        "strict": True,
                    },
                },
                max_completion_tokens=pedido.max_tokens,
            )
        except openai.OpenAIError as exc:
            raise sdk.traduzir_erro(openai, exc) from exc
        except ValueError as exc:  # a 200 whose body is not JSON (a proxy's page)
            raise ErroProvedor("resposta_invalida", "corpo HTTP não é JSON") from exc
        with sdk.formato_inesperado():
            return self._interpretar(pedido, resposta, sdk.ms_desde(inicio))

    def _interpretar(self, pedido: Pedido, resposta: Any, latencia_ms: int) -> Resultado:
        resultado = self._resultado(resposta, latencia_ms)
        escolha = resposta.choices[0] if resposta.choices else None
        if escolha is None:
            raise ErroProvedor("resposta_invalida", "resposta sem conteúdo", resultado=resultado)
        if escolha.message.refusal:
            raise ErroProvedor("recusado", "o modelo recusou o pedido", resultado=resultado)
        if escolha.finish_reason == "length":
            raise ErroProvedor(
                "resposta_invalida", "resposta cortada (max_tokens)", resultado=resultado
            )
        return sdk.decodificar(pedido, escolha.message.content, resultado)

    def _resultado(self, resposta: Any, latencia_ms: int) -> Resultado:
        uso = resposta.usage
        entrada = getattr(uso, "prompt_tokens", 0) or 0
        detalhes = getattr(uso, "prompt_tokens_details", None)
        cache = (getattr(detalhes, "cached_tokens", 0) or 0) if detalhes else 0
        return Resultado(
            dados=None,
            provider=self.nome,
            modelo=resposta.model or self.modelo,
            tokens_entrada=max(entrada - cache, 0),
            tokens_saida=getattr(uso, "completion_tokens", 0) or 0,
            tokens_cache=cache,
            latencia_ms=latencia_ms,
            uso=uso.model_dump(mode="json", exclude_none=True) if uso else {},
        )

    def embutir(self, textos: list[str], tipo: str = "query") -> Resultado:
        modelo = dict(self.config.extra).get("modelo_embeddings") or MODELO_EMBEDDINGS
        inicio = time.perf_counter()
        try:
            resposta = self._cliente.embeddings.create(model=modelo, input=list(textos))
        except openai.OpenAIError as exc:
            raise sdk.traduzir_erro(openai, exc) from exc
        uso = resposta.usage
        return Resultado(
            dados=[item.embedding for item in sorted(resposta.data, key=lambda d: d.index)],
            provider=self.nome,
            modelo=resposta.model or modelo,
            tokens_entrada=getattr(uso, "prompt_tokens", 0) or 0,
            latencia_ms=sdk.ms_desde(inicio),
            uso=uso.model_dump(mode="json", exclude_none=True) if uso else {},
        )
