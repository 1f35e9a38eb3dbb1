"""``make run``'s supervisor: keeps the desk's processes and the embedded servers up.

Each child (web, worker, beat) runs in its own process group with its output prefixed by its
name (``10:04:01 worker | …``).  A child that exits on its own is started again after a
backoff (1 s, doubling up to 30 s; back to 1 s once it has stayed up for a minute), instead
of taking the others down.  The embedded Redis and PostgreSQL this launcher started are
checked every couple of seconds and started again when they die (a killed Redis comes back
without anyone touching the desk; the workers reconnect on their own).  SIGINT/SIGTERM stop
every child (SIGTERM, then SIGKILL after ``ESPERA_PARADA`` seconds).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conectcrm.prioridade import Prioridade

ESPERA_MIN = 1.0
ESPERA_MAX = 30.0
ESTAVEL_SEGUNDOS = 60.0
ESPERA_PARADA = 15.0
VERIFICAR_SERVICOS_SEGUNDOS = 2.0


def _escrever(nome: str, linha: str) -> None:
    sys.stdout.write(f"{time.strftime('%H:%M:%S')} {nome:<10}| {linha}")
    if not linha.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def _backoff(atual: float) -> float:
    return min(max(atual * 2, ESPERA_MIN), ESPERA_MAX)


@dataclass
class Filho:
    """A supervised command."""

    nome: str
    comando: list[str]
    env: dict[str, str] | None = None
    cwd: str | None = None
    prioridade: Prioridade | None = None  # CPU priority (conectcrm/prioridade.py)
    proc: subprocess.Popen | None = None
    iniciado_em: float = 0.0
    espera: float = 0.0
    proxima: float = 0.0
    reinicios: int = 0

    def iniciar(self) -> None:
        prioridade = self.prioridade or Prioridade()
        self.proc = subprocess.Popen(  # noqa: S603 - commands built by the launcher
            [*prioridade.prefixo(), *self.comando],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: signals reach its children too
            text=True,
            errors="replace",
            bufsize=1,
        )
        prioridade.aplicar_ao_grupo(self.proc.pid)  # its own session: its own autogroup
        self.iniciado_em = time.monotonic()
        threading.Thread(
            target=self._copiar, args=(self.proc,), name=f"saida-{self.nome}", daemon=True
        ).start()
        _escrever("supervisor", f"{self.nome} iniciado (pid {self.proc.pid})")

    def _copiar(self, proc: subprocess.Popen) -> None:
        for linha in proc.stdout:
            _escrever(self.nome, linha)

    def sinalizar(self, sinal: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sinal)


@dataclass
class Servico:
    """An embedded server the launcher started: ``vivo()`` checks it, ``iniciar()`` starts
    it again (blocking until it answers, or raising)."""

    nome: str
    vivo: Callable[[], bool]
    iniciar: Callable[[], object]
    espera: float = 0.0
    proxima: float = 0.0
    fora_desde: float | None = None


@dataclass
class Supervisor:
    filhos: list[Filho]
    servicos: list[Servico] = field(default_factory=list)
    _parar: threading.Event = field(default_factory=threading.Event)

    def parar(self, *_: object) -> None:
        self._parar.set()

    def rodar(self) -> int:
        for sinal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sinal, self.parar)
        for filho in self.filhos:
            filho.iniciar()
        proxima_verificacao = 0.0
        try:
            while not self._parar.is_set():
                agora = time.monotonic()
                if agora >= proxima_verificacao:
                    self._verificar_servicos(agora)
                    proxima_verificacao = agora + VERIFICAR_SERVICOS_SEGUNDOS
                for filho in self.filhos:
                    self._cuidar(filho, agora)
                self._parar.wait(0.2)
        finally:
            self._encerrar()
        return 0

    def _cuidar(self, filho: Filho, agora: float) -> None:
        if filho.proc is None:
            if agora >= filho.proxima:
                filho.reinicios += 1
                filho.iniciar()
            return
        codigo = filho.proc.poll()
        if codigo is None:
            return
        if agora - filho.iniciado_em >= ESTAVEL_SEGUNDOS:
            filho.espera = 0.0
        filho.espera = _backoff(filho.espera)
        filho.proxima = agora + filho.espera
        filho.proc = None
        _escrever(
            "supervisor",
            f"{filho.nome} saiu (código {codigo}); reiniciando em {filho.espera:.0f} s",
        )

    def _verificar_servicos(self, agora: float) -> None:
        for servico in self.servicos:
            try:
                vivo = servico.vivo()
            except Exception:
                vivo = False
            if vivo:
                if servico.fora_desde is not None:
                    _escrever(
                        "supervisor",
                        f"{servico.nome} de volta após {agora - servico.fora_desde:.1f} s",
                    )
                servico.fora_desde, servico.espera = None, 0.0
                continue
            if servico.fora_desde is None:
                servico.fora_desde = agora
                _escrever("supervisor", f"{servico.nome} fora do ar; iniciando de novo")
            if agora < servico.proxima:
                continue
            try:
                servico.iniciar()
            except Exception as exc:
                servico.espera = _backoff(servico.espera)
                servico.proxima = time.monotonic() + servico.espera
                _escrever(
                    "supervisor",
                    f"{servico.nome} não subiu ({type(exc).__name__}: {exc}); "
                    f"nova tentativa em {servico.espera:.0f} s",
                )

    def _encerrar(self) -> None:
        for filho in self.filhos:
            filho.sinalizar(signal.SIGTERM)
        limite = time.monotonic() + ESPERA_PARADA
        for filho in self.filhos:
            if filho.proc is None:
                continue
            try:
                filho.proc.wait(max(limite - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _escrever("supervisor", f"{filho.nome} não parou: SIGKILL")
                filho.sinalizar(signal.SIGKILL)
                filho.proc.wait(5)
