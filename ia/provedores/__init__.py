"""AI providers behind one interface (``Provedor``: structured JSON generation, embeddings), in a
registry by name, chosen per empresa by ``provedor_para``. See ``docs/ia-provedores.md``."""

from . import anthropic, local, openai  # noqa: F401  (register the implementations)
from .base import ErroProvedor, Pedido, Provedor, Resultado
from .catalogo import PROVEDORES, ConfigProvedor, construir, registrar
from .selecao import provedor_para

__all__ = [
    "PROVEDORES",
    "ConfigProvedor",
    "ErroProvedor",
    "Pedido",
    "Provedor",
    "Resultado",
    "construir",
    "provedor_para",
    "registrar",
]
