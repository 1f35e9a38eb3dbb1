"""Real processes for integration tests: a Celery worker and daphne servers, on the same test
database and Redis as the test process (use with ``@pytest.mark.django_db(transaction=True)`` so
they see committed rows)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from conectcrm.executar import OPCOES_WS

RAIZ = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def url_banco_de_teste() -> str:
    """DATABASE_URL of the database the test process is using right now (the test database)."""
    d = connection.settings_dict
    usuario = d.get("USER") or "postgres"
    senha = f":{d['PASSWORD']}" if d.get("PASSWORD") else ""
    # the embedded server's unix socket arrives as OPTIONS["host"] (?host= in DATABASE_URL)
    host = d.get("HOST") or (d.get("OPTIONS") or {}).get("host") or ""
    porta = d.get("PORT") or ""
    if host.startswith("/"):
        return f"postgresql://{usuario}{senha}@/{d['NAME']}?host={host}" + (
            f"&port={porta}" if porta else ""
        )
    return f"postgresql://{usuario}{senha}@{host}:{porta or 5432}/{d['NAME']}"


def env_processo(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="conectcrm.settings_test",
        DATABASE_URL=url_banco_de_teste(),
        REDIS_URL=settings.REDIS_URL,
        REDIS_DB_BASE=str(settings.REDIS_DB_BASE),
        CHANNELS_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        CELERY_TASK_ALWAYS_EAGER="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processo:
    """A child process whose output is collected (shown when a test fails to start it)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.saida: list[str] = []
        self.proc = subprocess.Popen(  # noqa: S603 - fixed program from the venv
            args,
            cwd=RAIZ,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._leitor = threading.Thread(target=self._ler, daemon=True)
        self._leitor.start()

    def _ler(self) -> None:
        assert self.proc.stdout is not None
        for linha in self.proc.stdout:
            self.saida.append(linha)

    def esperar_texto(self, texto: str, limite: float = 60) -> None:
        fim = time.monotonic() + limite
        while time.monotonic() < fim:
            if any(texto in linha for linha in self.saida):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"processo não ficou pronto ({texto!r}):\n{''.join(self.saida)[-4000:]}")

    def esperar_porta(self, porta: int, limite: float = 60) -> None:
        fim = time.monotonic() + limite
        while time.monotonic() < fim:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", porta), 0.5):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"porta {porta} não abriu:\n{''.join(self.saida)[-4000:]}")

    def parar(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait(5)


@contextlib.contextmanager
def celery_worker(
    filas: str = "webhooks,messages,notifications,ai-analysis", **env_extra: str
) -> Iterator[Processo]:
    """A real Celery worker (solo pool) consuming ``filas`` from the test Redis."""
    args = [
        str(BIN / "celery"),
        "-A",
        "conectcrm",
        "worker",
        "-Q",
        filas,
        "-P",
        "solo",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"teste-{os.getpid()}-{porta_livre()}@%h",
    ]
    processo = Processo(args, env_processo(**env_extra))
    try:
        processo.esperar_texto(" ready.")
        yield processo
    finally:
        processo.parar()


@contextlib.contextmanager
def servidor_daphne(porta: int | None = None, **env_extra: str) -> Iterator[str]:
    """A real daphne serving conectcrm.asgi:application; yields its base URL."""
    porta = porta or porta_livre()
    args = [
        str(BIN / "daphne"),
        "-b",
        "127.0.0.1",
        "-p",
        str(porta),
        "conectcrm.asgi:application",
    ]
    processo = Processo(args, env_processo(**env_extra))
    try:
        processo.esperar_porta(porta)
        yield f"http://127.0.0.1:{porta}"
    finally:
        processo.parar()


@contextlib.contextmanager
def servidor_uvicorn(porta: int | None = None, **env_extra: str) -> Iterator[str]:
    """A real uvicorn (one worker; `make run` serves with it) for conectcrm.asgi:application;
    yields its base URL."""
    porta = porta or porta_livre()
    args = [str(BIN / "uvicorn"), "conectcrm.asgi:application", "--host", "127.0.0.1",
            "--port", str(porta), "--no-access-log", *OPCOES_WS]  # fmt: skip
    processo = Processo(args, env_processo(**env_extra))
    try:
        processo.esperar_porta(porta)
        yield f"http://127.0.0.1:{porta}"
    finally:
        processo.parar()


@contextlib.contextmanager
def pasta_de_dados() -> Iterator[Path]:
    """A data folder for a `make run` stack inside the checkout's ``.devdata`` (git-ignored):
    not under the shared ``/tmp/pytest-of-<user>``, whose old folders other pytest sessions of
    the machine prune (and whose 0700 parents the embedded PostgreSQL's own user cannot
    traverse to stop it)."""
    import shutil
    import tempfile

    base = RAIZ / ".devdata"
    base.mkdir(exist_ok=True)
    pasta = Path(tempfile.mkdtemp(prefix="pilha-", dir=base))
    try:
        yield pasta
    finally:
        shutil.rmtree(pasta, ignore_errors=True)
