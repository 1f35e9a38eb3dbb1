"""Rate-limited warnings for outages: while Redis (the broker, the cache) is down every webhook
and every publication fails the same way; the log gets ONE line per kind of failure per
interval (with how many were folded into it), not a traceback per request."""

from __future__ import annotations

import logging
import threading
import time

INTERVALO_SEGUNDOS = 30.0


class AvisoLimitado:
    """``aviso(chave, "broker indisponível: %s", nome, exc=exc)`` logs at most one WARNING per
    ``chave`` every ``intervalo`` seconds, without traceback; the next line says how many
    occurrences were not logged in between."""

    def __init__(self, logger: logging.Logger, intervalo: float = INTERVALO_SEGUNDOS) -> None:
        self._logger = logger
        self._intervalo = intervalo
        self._trava = threading.Lock()
        self._estado: dict[str, tuple[float, int]] = {}  # chave -> (last logged at, folded)

    def __call__(
        self, chave: str, mensagem: str, *args: object, exc: BaseException | None = None
    ) -> bool:
        """True when the line was logged (False: folded into the next one)."""
        agora = time.monotonic()
        with self._trava:
            ultimo, dobrados = self._estado.get(chave, (float("-inf"), 0))
            if agora - ultimo < self._intervalo:
                self._estado[chave] = (ultimo, dobrados + 1)
                return False
            self._estado[chave] = (agora, 0)
        causa = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
        extra = (
            f" [+{dobrados} ocorrências nos últimos {self._intervalo:.0f} s]" if dobrados else ""
        )
        self._logger.warning("%s%s%s", mensagem % args, causa, extra)
        return True

    def esquecer(self, chave: str | None = None) -> None:
        """The outage is over: the next failure of this kind is logged at once."""
        with self._trava:
            if chave is None:
                self._estado.clear()
            else:
                self._estado.pop(chave, None)
