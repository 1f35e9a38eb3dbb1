"""The AI provider interface: structured JSON generation against a schema, and embeddings.

A ``Pedido`` says what to produce (a pydantic model whose JSON schema is sent to the provider and
against which the answer is validated), with which fixed instructions, from which inputs (customer
and knowledge-base text: untrusted data, delimited in the prompt) and how to produce the same shape
offline (``local``). A provider answers a ``Resultado`` carrying the validated data and the call's
accounting (provider, model, tokens, latency), or raises ``ErroProvedor``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from .catalogo import ConfigProvedor


class ErroProvedor(Exception):
    """A provider call that produced no usable result. ``tipo`` is one of ``TIPOS_ERRO``;
    ``resultado`` carries the usage of a call that was billed but answered unusable output."""

    TIPOS_ERRO = ("indisponivel", "limite", "tempo_esgotado", "recusado", "resposta_invalida")

    def __init__(self, tipo: str, mensagem: str, *, resultado: Resultado | None = None) -> None:
        if tipo not in self.TIPOS_ERRO:
            raise ValueError(f"tipo must be one of {self.TIPOS_ERRO}")
        super().__init__(mensagem)
        self.tipo = tipo
        self.resultado = resultado


@dataclass(frozen=True)
class Pedido:
    """One structured generation.

    ``entradas`` are named inputs; their text is data, never instructions. ``restricoes`` limits
    string or list-of-string fields of ``esquema`` to given values (e.g. the empresa's own tags):
    sent as an ``enum`` in the schema and enforced again on the answer."""

    tarefa: str
    instrucoes: str
    entradas: Mapping[str, Any]
    esquema: type[BaseModel]
    local: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    restricoes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_tokens: int = 800

    def validar(self, dados: Any) -> dict:
        """The answer as a plain dict, checked against the schema: unknown fields are dropped,
        values outside ``restricoes`` removed from lists; anything else invalid raises
        ``ErroProvedor("resposta_invalida")``."""
        try:
            validado = self.esquema.model_validate(dados).model_dump(mode="json")
        except ValidationError as exc:
            raise ErroProvedor(
                "resposta_invalida", f"resposta fora do esquema: {exc.error_count()} erro(s)"
            ) from exc
        for campo, permitidos in self.restricoes.items():
            valor = validado.get(campo)
            if isinstance(valor, list):
                validado[campo] = [v for v in valor if v in permitidos]
            elif valor is not None and valor not in permitidos:
                raise ErroProvedor("resposta_invalida", f"{campo} fora dos valores permitidos")
        return validado


@dataclass(frozen=True)
class Resultado:
    """A call's output and accounting. ``tokens_cache`` are input tokens read from the
    provider's prompt cache (not included in ``tokens_entrada``); ``uso`` is the raw usage."""

    dados: Any
    provider: str
    modelo: str
    tokens_entrada: int = 0
    tokens_saida: int = 0
    tokens_cache: int = 0
    latencia_ms: int = 0
    uso: Mapping[str, Any] = field(default_factory=dict)


class Provedor(ABC):
    """One AI provider. ``externo`` providers send the text off the machine (PII is masked
    before, unless the empresa allows it)."""

    nome: ClassVar[str]
    externo: ClassVar[bool] = True
    embeddings: ClassVar[bool] = True
    #: the empresa allows its customers' text to leave unmasked (set by ``provedor_para``)
    permitir_pii: bool = False

    def __init__(self, modelo: str) -> None:
        self.modelo = modelo

    @classmethod
    def de_config(cls, config: ConfigProvedor) -> Provedor:
        """The provider for a ``catalogo.ConfigProvedor`` (model, key, base URL, timeout...)."""
        return cls(config.modelo)

    @abstractmethod
    def gerar(self, pedido: Pedido) -> Resultado:
        """``pedido.validar``-ed data in ``Resultado.dados``; raises ``ErroProvedor``."""

    @abstractmethod
    def embutir(self, textos: list[str], tipo: str = "query") -> Resultado:
        """One vector per text (``Resultado.dados``: list of lists of floats, or an array);
        ``tipo`` is ``query`` or ``passage``. Raises ``ErroProvedor``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.nome}:{self.modelo}>"
