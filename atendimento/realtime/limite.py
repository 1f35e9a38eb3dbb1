"""Token buckets for client frames (one per socket, in memory: a flood is a per-connection
matter and costs nothing to track here)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Balde:
    """``taxa`` tokens per second up to ``capacidade``; ``consumir()`` takes one if present."""

    def __init__(
        self, *, taxa: float, capacidade: float, relogio: Callable[[], float] = time.monotonic
    ) -> None:
        self.taxa = taxa
        self.capacidade = capacidade
        self.tokens = capacidade
        self._relogio = relogio
        self._ultimo = relogio()

    def consumir(self) -> bool:
        agora = self._relogio()
        self.tokens = min(self.capacidade, self.tokens + (agora - self._ultimo) * self.taxa)
        self._ultimo = agora
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class LimiteFrames:
    """Frames over ``taxa``/s (bursts up to ``rajada``) are dropped; each drop takes a token
    from a second bucket (``descartes`` tolerated, refilled at ``taxa``/20 per second, i.e. one
    per second at 20 frames/s) and when that one is empty too the abuse is sustained:
    :meth:`registrar` answers ``"fechar"``."""

    def __init__(
        self,
        *,
        taxa: float,
        rajada: float,
        descartes: float,
        relogio: Callable[[], float] = time.monotonic,
    ) -> None:
        self._frames = Balde(taxa=taxa, capacidade=rajada, relogio=relogio)
        self._descartes = Balde(taxa=taxa / 20, capacidade=descartes, relogio=relogio)

    def registrar(self) -> str:
        """``"ok"``, ``"descartar"`` or ``"fechar"`` for one incoming frame."""
        if self._frames.consumir():
            return "ok"
        return "descartar" if self._descartes.consumir() else "fechar"
