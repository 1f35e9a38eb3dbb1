"""Holes in the per-group sequence numbers a socket receives (``camada.CamadaRedis`` numbers
every group message): a hole means the channel layer dropped something meant for this socket.

Per group the socket follows the highest number seen and the numbers still missing below it.
A missing number may only be late (two publishers' messages can enter Redis close together and
be popped out of order), so a hole counts as a loss only when it is still open
``REALTIME_LACUNA_ESPERA_SEGUNDOS`` after it was noticed — or at once when it is wider than
``_MAX_FALTANDO`` (a socket that fell that far behind lost messages for sure).  The first
number seen in a group (after joining it) is the baseline; a number far below the highest seen
means the counter was reset (its key expired) and also starts a new baseline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

_MAX_FALTANDO = 256  # missing numbers tracked per group before it counts as a loss at once


@dataclass(slots=True)
class _Grupo:
    ultimo: int
    faltando: dict[int, float] = field(default_factory=dict)  # seq -> when noticed


class Lacunas:
    """The sequence state of one socket."""

    def __init__(self, espera: float) -> None:
        self.espera = espera
        self._grupos: dict[str, _Grupo] = {}
        self.perdidas = 0  # numbers given up as lost since the last ``zerar``

    def esquecer(self, grupo: str) -> None:
        """The socket joined (again) or left ``grupo``: its next number is a new baseline."""
        self._grupos.pop(grupo, None)

    def registrar(self, grupo: str, seq: int, agora: float | None = None) -> bool:
        """Note message ``seq`` of ``grupo``; True when a loss is certain already."""
        agora = time.monotonic() if agora is None else agora
        estado = self._grupos.get(grupo)
        if estado is None:
            self._grupos[grupo] = _Grupo(ultimo=seq)
            return False
        if seq > estado.ultimo:
            salto = seq - estado.ultimo - 1
            if salto + len(estado.faltando) > _MAX_FALTANDO:
                self.perdidas += salto + len(estado.faltando)
                estado.faltando.clear()
                estado.ultimo = seq
                return True
            for n in range(estado.ultimo + 1, seq):
                estado.faltando[n] = agora
            estado.ultimo = seq
        elif estado.faltando.pop(seq, None) is None and seq < estado.ultimo - _MAX_FALTANDO:
            self._grupos[grupo] = _Grupo(ultimo=seq)  # the counter was reset
        return False

    def em_ordem(self, grupo: str, seq: int) -> bool:
        """Whether ``seq`` is exactly the next number of ``grupo`` (or its first): registering
        it opens no hole, closes none and reports no loss."""
        estado = self._grupos.get(grupo)
        return estado is None or seq == estado.ultimo + 1

    def pendentes(self) -> bool:
        """Whether any hole is open (a later ``vencidas`` may confirm it)."""
        return any(estado.faltando for estado in self._grupos.values())

    def vencidas(self, agora: float | None = None) -> int:
        """Close the holes open for ``espera`` seconds or more; how many numbers they held."""
        agora = time.monotonic() if agora is None else agora
        limite = agora - self.espera
        total = 0
        for estado in self._grupos.values():
            velhos = [n for n, desde in estado.faltando.items() if desde <= limite]
            for n in velhos:
                del estado.faltando[n]
            total += len(velhos)
        self.perdidas += total
        return total

    def zerar(self) -> int:
        """After telling the client to re-fetch: forget every open hole; the loss count."""
        for estado in self._grupos.values():
            estado.faltando.clear()
        perdidas, self.perdidas = self.perdidas, 0
        return perdidas
