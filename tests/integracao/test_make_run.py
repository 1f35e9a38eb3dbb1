"""`make run`'s launcher on a fresh data folder: serves login and admin, the demo login works,
a second start reuses everything, and SIGTERM stops every process it started."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.processos import Processo, pasta_de_dados, porta_livre

# two full `make run` starts and stops (five children each, the embedded servers, the demo
# load) take more than the suite's 120 s default on a 2-core box shared with other work
pytestmark = [pytest.mark.integracao, pytest.mark.timeout(300)]


def _iniciar(pasta: Path, porta: int) -> Processo:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        CONECTCRM_DEVDATA=str(pasta),
        CONECTCRM_PERFIL="run",
        DJANGO_SETTINGS_MODULE="conectcrm.settings",
        PORT=str(porta),
        PYTHONUNBUFFERED="1",
    )
    return Processo([sys.executable, "-m", "conectcrm.executar"], env)


def _descendentes(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _servidores_embutidos(pasta: Path) -> list[psutil.Process]:
    vivos = []
    for proc in psutil.process_iter(["cmdline"]):
        linha = " ".join(proc.info["cmdline"] or [])
        if str(pasta) in linha and ("postgres" in linha or "redis-server" in linha):
            vivos.append(proc)
    return vivos


def _parar(processo: Processo) -> list[psutil.Process]:
    filhos = _descendentes(processo.proc.pid)
    processo.proc.send_signal(signal.SIGTERM)
    processo.proc.wait(180)  # the embedded servers may take a while to stop on a busy box
    _, vivos = psutil.wait_procs(filhos, timeout=20)
    return vivos


def _login(base: str, usuario: str, senha: str) -> httpx.Client:
    cliente = httpx.Client(base_url=base, follow_redirects=False, timeout=20)
    pagina = cliente.get("/accounts/login/")
    assert pagina.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', pagina.text).group(1)
    resposta = cliente.post(
        "/accounts/login/",
        data={"username": usuario, "password": senha, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    assert resposta.status_code == 302, resposta.text[:500]
    return cliente


def test_make_run_serves_reuses_and_stops_everything(tmp_path):
    pasta = tmp_path / "dados"
    porta = porta_livre()
    base = f"http://127.0.0.1:{porta}"

    primeira = _iniciar(pasta, porta)
    try:
        primeira.esperar_porta(porta, limite=120)
        saida = "".join(primeira.saida)
        assert "/inbox/" in saida
        login = json.loads((pasta / "run" / "demo.json").read_text())
        assert f"usuário demo / senha {login['senha']}" in saida

        cliente = _login(base, "demo", login["senha"])
        assert cliente.get("/admin/").status_code == 200
        assert httpx.get(f"{base}/admin/", follow_redirects=False).status_code == 302
    finally:
        vivos = _parar(primeira)
    assert vivos == []
    assert primeira.proc.returncode is not None
    assert _servidores_embutidos(pasta) == []

    # a second start reuses the data: same demo login, no new demo
    segunda = _iniciar(pasta, porta)
    try:
        segunda.esperar_porta(porta, limite=120)
        assert f"usuário demo / senha {login['senha']}" in "".join(segunda.saida)
        _login(base, "demo", login["senha"])
    finally:
        vivos = _parar(segunda)
    assert vivos == []
    assert _servidores_embutidos(pasta) == []


def _filho(processo: Processo, trecho: str) -> psutil.Process | None:
    for proc in _descendentes(processo.proc.pid):
        try:
            if trecho in " ".join(proc.cmdline()):
                return proc
        except psutil.NoSuchProcess:
            continue
    return None


def _esperar(condicao, limite: float = 60) -> None:
    import time

    fim = time.monotonic() + limite
    while time.monotonic() < fim:
        if condicao():
            return
        time.sleep(0.2)
    raise AssertionError("condição não atingida")


def test_make_run_reinicia_o_que_cai_sem_derrubar_o_resto():
    """A crashed worker is started again; a killed embedded Redis comes back by itself and the
    desk keeps serving; Ctrl-C/SIGTERM still stops everything."""
    with pasta_de_dados() as pasta:
        _reinicia_o_que_cai(pasta / "dados")


def _prioridades_padrao(processo: Processo, web, worker) -> None:
    """The launcher's default CPU priorities, read from /proc (conectcrm/prioridade.py): web
    and the drain at the default, the AI worker on idle CPU, the others niced."""
    processo.esperar_texto("ia@", limite=60)
    ia, tarefas = _filho(processo, "-Q ai-analysis"), _filho(processo, "tarefas@")
    for proc, nice in ((web, 0), (worker, 0), (tarefas, 10), (ia, 19)):
        assert proc is not None
        # relative to the suite's own nice value (a runner may start it niced), capped at 19
        assert proc.nice() == min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice), proc.cmdline()
    if shutil.which("chrt"):
        assert os.sched_getscheduler(ia.pid) == os.SCHED_IDLE
    assert os.sched_getscheduler(web.pid) == os.SCHED_OTHER
    assert os.sched_getscheduler(worker.pid) == os.SCHED_OTHER


def _reinicia_o_que_cai(pasta) -> None:
    porta = porta_livre()
    base = f"http://127.0.0.1:{porta}"
    processo = _iniciar(pasta, porta)
    try:
        processo.esperar_porta(porta, limite=120)
        processo.esperar_texto("celery@", limite=60)
        worker = _filho(processo, "worker -Q webhooks")
        assert worker is not None
        web = _filho(processo, "conectcrm.asgi")
        _prioridades_padrao(processo, web, worker)

        os.killpg(worker.pid, signal.SIGKILL)
        processo.esperar_texto("worker saiu", limite=30)
        _esperar(
            lambda: (novo := _filho(processo, "worker -Q webhooks")) and novo.pid != worker.pid
        )

        redis_pid = int((pasta / "run" / "redis.pid").read_text())
        os.kill(redis_pid, signal.SIGKILL)
        processo.esperar_texto("redis fora do ar", limite=30)
        processo.esperar_texto("redis de volta", limite=30)
        assert int((pasta / "run" / "redis.pid").read_text()) != redis_pid
        assert httpx.get(f"{base}/accounts/login/").status_code == 200
        assert web is not None
        assert web.is_running()
        assert processo.proc.poll() is None
    finally:
        vivos = _parar(processo)
    assert vivos == []
    # a PostgreSQL backend of the SIGKILLed worker may take a moment to go
    _, restos = psutil.wait_procs(_servidores_embutidos(pasta), timeout=10)
    assert restos == [], "".join(processo.saida)[-3000:]
