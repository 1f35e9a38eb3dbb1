"""``make bench`` / ``python -m bench``: the one entry point of the benchmarks.

    .venv/bin/python -m bench                 # every benchmark of BENCHMARKS, in order
    .venv/bin/python -m bench ingest          # only these (by name)
    .venv/bin/python -m bench ingest -- --segundos 2 --conexoes 4   # arguments of one benchmark
    .venv/bin/python -m bench --listar

Each benchmark runs as its own process (its own process group) on the embedded PostgreSQL/Redis
of the ``bench`` profile (``.devdata/bench``), which nothing else uses.  Whatever happens — the
benchmark ends, fails, or Ctrl-C/SIGTERM arrives — every process of its group is stopped and
the ``bench`` servers are shut down before the runner exits.  Exit code: 0 when every benchmark
succeeded, else the first failing one's (130 after Ctrl-C).

To add a benchmark: put the script in ``bench/`` and add one line to ``BENCHMARKS``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PASTA = Path(__file__).resolve().parent
RAIZ = PASTA.parent
PERFIL = "bench"
ESPERA_PARAR = 20.0  # seconds a benchmark gets to wind down after SIGINT/SIGTERM


@dataclass(frozen=True)
class Benchmark:
    nome: str
    script: str  # file in bench/
    descricao: str
    argumentos: tuple[str, ...] = field(default=())  # defaults of `make bench`


#: Every benchmark `make bench` runs, in this order.  One line per script.
BENCHMARKS: list[Benchmark] = [
    Benchmark("ingest", "ingest.py", "inbound webhooks → stored → websocket, on the real stack"),
    Benchmark(
        "ingest_make_run",
        "ingest.py",
        "the same against `make run` as shipped (conectcrm.executar), closed loop",
        ("--servidor", "executar", "--segundos", "10"),
    ),
    Benchmark(
        "ingest_make_run_250",
        "ingest.py",
        "the same against `make run`, paced at 250 webhooks/s",
        ("--servidor", "executar", "--segundos", "10", "--taxa", "250"),
    ),
    Benchmark(
        "ingest_make_run_500_aquecido",
        "ingest.py",
        "the same, conversations opened first (steady state), paced at 500 webhooks/s",
        ("--servidor", "executar", "--segundos", "10", "--taxa", "500", "--aquecer"),
    ),
    Benchmark(
        "custo_ingest",
        "custo_ingest.py",
        "CPU and statements per first contact, per ack and per drained message, in process",
    ),
    Benchmark("publicar", "publicar.py", "cost of a realtime publication per call"),
    Benchmark(
        "fanout",
        "fanout.py",
        "websocket fan-out: 2,000 sockets on `make run` as shipped, deliveries/s, p99, resyncs",
    ),
    Benchmark(
        "distribuicao",
        "distribuicao.py",
        "one automatic assignment and the SLA/distribution sweeps at 100k tickets",
    ),
    Benchmark(
        "ai_eval",
        "ai_eval.py",
        "offline sentiment/intent and KB retrieval (pt-BR sets); KB search at 100k chunks",
        ("--trechos", "100000"),
    ),
    Benchmark(
        "api",
        "api.py",
        "ticket list/detail/search API and inbox pages at 100k tickets / 1M messages, "
        "from outside against `make run`",
    ),
    Benchmark(
        "dashboard",
        "dashboard.py",
        "dashboard queries and page on bench/dados.py's 100k tickets / 1M messages",
    ),
]


def _env() -> dict[str, str]:
    """The benchmarks' environment: the bench profile's embedded servers, never the caller's
    DATABASE_URL/REDIS_URL (a benchmark must not load a real database by accident)."""
    env = dict(os.environ)
    for chave in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(chave, None)
    env["CONECTCRM_PERFIL"] = PERFIL
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _sinalizar_grupo(processo: subprocess.Popen, sinal: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(processo.pid, sinal)


def _grupo_vivo(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parar_grupo(processo: subprocess.Popen, primeiro_sinal: int = signal.SIGINT) -> None:
    """Ask the benchmark's whole process group to stop, then insist."""
    for sinal, espera in (
        (primeiro_sinal, ESPERA_PARAR),
        (signal.SIGTERM, 10.0),
        (signal.SIGKILL, 5.0),
    ):
        if not _grupo_vivo(processo.pid):
            break
        _sinalizar_grupo(processo, sinal)
        fim = time.monotonic() + espera
        while time.monotonic() < fim and _grupo_vivo(processo.pid):
            with contextlib.suppress(subprocess.TimeoutExpired):
                processo.wait(0.2)
    with contextlib.suppress(subprocess.TimeoutExpired):
        processo.wait(1)


def parar_servidores() -> None:
    """Shut the bench profile's embedded PostgreSQL and Redis down (idempotent)."""
    # Imported here: importing the conectcrm package sets DJANGO_SETTINGS_MODULE in this
    # process, which the benchmarks must not inherit.
    from conectcrm import embedded

    embedded.parar(embedded.pasta_dados(PERFIL))


class Interrompido(Exception):
    def __init__(self, sinal: int) -> None:
        super().__init__(signal.Signals(sinal).name)
        self.sinal = sinal


def _interromper(sinal: int, _quadro) -> None:
    raise Interrompido(sinal)


def rodar(benchmark: Benchmark, extras: list[str]) -> int:
    comando = [sys.executable, str(PASTA / benchmark.script), *benchmark.argumentos, *extras]
    print(f"== bench {benchmark.nome}: {' '.join(comando[1:])}", flush=True)
    processo = subprocess.Popen(comando, cwd=RAIZ, env=_env(), start_new_session=True)
    try:
        return processo.wait()
    except Interrompido as exc:
        _parar_grupo(processo, signal.SIGINT if exc.sinal == signal.SIGINT else signal.SIGTERM)
        raise
    finally:
        _parar_grupo(processo)  # children it left behind (its group outlives it)


def main(argv: list[str]) -> int:
    extras: list[str] = []
    if "--" in argv:
        corte = argv.index("--")
        argv, extras = argv[:corte], argv[corte + 1 :]
    por_nome = {b.nome: b for b in BENCHMARKS}
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("nomes", nargs="*", metavar="nome", help=f"of {', '.join(por_nome)}")
    parser.add_argument("--listar", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.listar:
        for b in BENCHMARKS:
            print(f"{b.nome:12} bench/{b.script:14} {b.descricao}")
        return 0
    desconhecidos = [n for n in args.nomes if n not in por_nome]
    if desconhecidos:
        parser.error(f"benchmark desconhecido: {', '.join(desconhecidos)} (--listar)")
    escolhidos = [por_nome[n] for n in args.nomes] or BENCHMARKS
    if extras and len(escolhidos) != 1:
        parser.error("argumentos depois de -- valem para um benchmark só: diga qual")

    anteriores = {s: signal.signal(s, _interromper) for s in (signal.SIGINT, signal.SIGTERM)}
    codigo = 0
    try:
        for benchmark in escolhidos:
            resultado = rodar(benchmark, extras)
            if resultado != 0:
                print(f"== bench {benchmark.nome} falhou (código {resultado})", file=sys.stderr)
                codigo = codigo or resultado
    except Interrompido as exc:
        print(f"== bench interrompido ({exc}); parando tudo", file=sys.stderr)
        codigo = 128 + exc.sinal
    finally:
        # the servers stop even if a second Ctrl-C arrives meanwhile
        for s in anteriores:
            signal.signal(s, signal.SIG_IGN)
        parar_servidores()
        for s, anterior in anteriores.items():
            signal.signal(s, anterior)
    return codigo


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
