"""``make bench`` leaves nothing running: after a short run that succeeds, one that fails after
the embedded servers started, and one stopped with Ctrl-C, no process of the bench profile
survives (neither the benchmark's own daphne/Celery/load processes nor its PostgreSQL/Redis).

Each run uses a data folder of its own (``CONECTCRM_DEVDATA``), so "nothing survives" means
no process anywhere carries that folder, in its command line or in its environment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.processos import RAIZ

pytestmark = [pytest.mark.integracao, pytest.mark.timeout(600)]

CURTO = ["ingest", "--", "--segundos", "1", "--conexoes", "2", "--servidores", "1",
         "--conversas", "5", "--drenar", "60"]  # fmt: skip


@pytest.fixture(scope="module")
def devdata():
    """A short folder (unix socket paths are limited) shared by the module's runs: the bench
    database is created and migrated once."""
    pasta = Path(tempfile.mkdtemp(prefix="cb-"))
    yield pasta
    subprocess.run(
        [sys.executable, "-m", "conectcrm.embedded", "stop", "--todos"],
        cwd=RAIZ,
        env=_env(pasta),
        check=False,
    )
    shutil.rmtree(pasta, ignore_errors=True)


def _env(pasta: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "CONECTCRM_PERFIL")
    }
    env["CONECTCRM_DEVDATA"] = str(pasta)
    env.update(extra)
    return env


def sobreviventes(pasta: Path) -> list[str]:
    """Processes whose command line or environment names the bench's data folder."""
    marca = str(pasta).encode()
    achados = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            linha = (proc / "cmdline").read_bytes()
            ambiente = (proc / "environ").read_bytes()
        except OSError:
            continue
        if marca in linha or marca in ambiente:
            comando = linha.replace(b"\0", b" ").decode(errors="replace")
            achados.append(f"{proc.name}: {comando}")
    pgrep = subprocess.run(["pgrep", "-af", str(pasta)], capture_output=True, text=True)  # noqa: S603, S607
    achados += [linha for linha in pgrep.stdout.splitlines() if " pgrep " not in linha]
    return achados


def _servidores_no_ar(pasta: Path) -> bool:
    return (pasta / "bench" / "pg" / "postmaster.pid").exists() and (
        pasta / "bench" / "redis.pid"
    ).exists()


def test_make_bench_curto_nao_deixa_nada_rodando(devdata):
    resultado = subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", "bench", f"BENCH_ARGS={' '.join(CURTO)}"],  # noqa: S607
        cwd=RAIZ,
        env=_env(devdata),
        capture_output=True,
        text=True,
        timeout=400,
    )

    assert resultado.returncode == 0, resultado.stdout[-3000:] + resultado.stderr[-3000:]
    assert '"perdidas": 0' in resultado.stdout
    assert sobreviventes(devdata) == []


def test_bench_que_falha_depois_de_subir_os_servidores_nao_deixa_nada(devdata, tmp_path):
    # a venv without factory-boy, as in a `make run` venv: the import fails after the embedded
    # PostgreSQL/Redis are up and the database migrated
    falso = tmp_path / "sem_factory" / "factory"
    falso.mkdir(parents=True)
    (falso / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'factory'\")\n")

    resultado = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench", *CURTO],
        cwd=RAIZ,
        env=_env(devdata, PYTHONPATH=str(falso.parent)),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert resultado.returncode != 0
    assert "No module named 'factory'" in resultado.stderr
    assert sobreviventes(devdata) == []


def test_ctrl_c_no_meio_do_bench_para_tudo(devdata):
    runner = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench", *CURTO[:3], "60", *CURTO[4:]],
        cwd=RAIZ,
        env=_env(devdata),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        fim = time.monotonic() + 180
        while not _servidores_no_ar(devdata):
            assert runner.poll() is None, runner.stdout.read()
            assert time.monotonic() < fim, "os servidores do bench não subiram"
            time.sleep(0.2)
        time.sleep(3)  # its daphne/Celery processes starting too

        os.killpg(runner.pid, signal.SIGINT)  # Ctrl-C in the terminal: the foreground group
        saida, _ = runner.communicate(timeout=120)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()

    assert runner.returncode == 130, saida[-3000:]
    assert "interrompido" in saida
    assert sobreviventes(devdata) == []
