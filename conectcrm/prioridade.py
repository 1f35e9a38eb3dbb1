"""CPU priority of ``make run``'s background children, so that an acknowledgement waiting
for a core gets it (bench/README.md, "ack").

Three knobs, because Linux has three places where a process's share is decided:

* the process's **nice value** (``nice -n N``), inherited by the processes it forks (Celery's
  pool);
* its **scheduling policy**: ``SCHED_IDLE`` (``chrt --idle 0``) runs it only on CPU nobody
  else wants — a waking normal process always preempts it, and a core running only idle
  work counts as free when a woken process picks one;
* its **autogroup's nice value** (``/proc/<pid>/autogroup``): with autogrouping on (the
  default of desktop and many server kernels, ``/proc/sys/kernel/sched_autogroup_enabled``),
  every session is scheduled as ONE entity with the weight of nice 0 whatever the nice values
  of its processes — and the supervisor starts each child in a session of its own, so
  ``nice -n 10`` alone left the AI worker with as much CPU as the web tier.  Raising the
  autogroup's nice needs no privilege; lowering it (or any nice value) does, so nothing here
  ever raises a priority above the default.

Each is best effort: ``chrt`` missing (macOS) or no autogroup file, and that knob is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

POLITICAS = ("normal", "idle")


@dataclass(frozen=True)
class Prioridade:
    """``nice``: 0 (default priority) to 19 (lowest); ``politica``: ``normal`` or ``idle``."""

    nice: int = 0
    politica: str = "normal"

    def __post_init__(self) -> None:
        if not 0 <= self.nice <= 19:
            raise ValueError(f"nice fora de 0-19: {self.nice}")
        if self.politica not in POLITICAS:
            raise ValueError(f"política desconhecida: {self.politica!r} (use {POLITICAS})")

    @classmethod
    def do_ambiente(
        cls, papel: str, nice: int = 0, politica: str = "normal", env: Mapping | None = None
    ) -> Prioridade:
        """``<PAPEL>_NICE`` and ``<PAPEL>_SCHED`` from the environment, else the defaults."""
        env = os.environ if env is None else env
        return cls(
            nice=int(env.get(f"{papel}_NICE") or nice),
            politica=(env.get(f"{papel}_SCHED") or politica).strip().lower(),
        )

    def prefixo(self) -> list[str]:
        """The command prefix that starts a program at this priority (``chrt`` and ``nice``
        exec the program: its pid, command line and children are the program's)."""
        prefixo = []
        if self.politica == "idle" and shutil.which("chrt"):
            prefixo += ["chrt", "--idle", "0"]
        if self.nice:
            prefixo += ["nice", "-n", str(self.nice)]
        return prefixo

    @property
    def nice_do_grupo(self) -> int:
        """The autogroup's nice value: the process's, or the lowest priority (19) for
        ``idle`` (the policy of a process does not weigh its group)."""
        return 19 if self.politica == "idle" else self.nice

    def aplicar_ao_grupo(self, pid: int) -> None:
        """Give the autogroup of ``pid`` (a session leader) :attr:`nice_do_grupo`."""
        if self.nice_do_grupo:
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/autogroup").write_text(str(self.nice_do_grupo))
