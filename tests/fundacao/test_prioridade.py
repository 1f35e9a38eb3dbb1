"""CPU priority of `make run`'s children: what the supervisor starts is read back from /proc
(nice value, scheduling policy, autogroup), and the launcher's choice per role comes from the
environment."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

from conectcrm.executar import prioridade
from conectcrm.prioridade import Prioridade
from conectcrm.supervisor import Filho

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")


def _nice_do_grupo(pid: int) -> int | None:
    try:
        texto = Path(f"/proc/{pid}/autogroup").read_text()
    except OSError:
        return None  # kernel without autogroups
    # empty for a process in the root group (a session of init's, as a CI runner can be)
    achado = re.search(r"nice (-?\d+)", texto)
    return int(achado.group(1)) if achado else None


def _mais_baixa(incremento: int) -> int:
    """The nice value ``nice -n incremento`` gives a child of this process: relative to ours
    (a runner may itself start the suite niced), capped at 19."""
    return min(19, os.getpriority(os.PRIO_PROCESS, 0) + incremento)


def _esperar_filho(pid: int) -> int:
    fim = time.monotonic() + 10
    while time.monotonic() < fim:
        filhos = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if filhos:
            return int(filhos[0])
        time.sleep(0.05)
    raise AssertionError("o processo não criou o filho")


@pytest.fixture
def iniciar():
    filhos: list[Filho] = []

    def _iniciar(prioridade: Prioridade | None) -> Filho:
        # a shell that forks a child, as Celery forks its pool: the child must inherit
        filho = Filho("teste", ["sh", "-c", "sleep 60 & wait"], prioridade=prioridade)
        filho.iniciar()
        filhos.append(filho)
        return filho

    yield _iniciar
    for filho in filhos:
        filho.sinalizar(signal.SIGKILL)
        filho.proc.wait(10)


def test_filho_sem_prioridade_fica_no_padrao(iniciar):
    filho = iniciar(None)
    neto = _esperar_filho(filho.proc.pid)
    for pid in (filho.proc.pid, neto):
        assert os.getpriority(os.PRIO_PROCESS, pid) == _mais_baixa(0)
        assert os.sched_getscheduler(pid) == os.SCHED_OTHER
    assert _nice_do_grupo(filho.proc.pid) in (0, None)


def test_filho_com_nice_o_processo_os_filhos_e_o_grupo(iniciar):
    filho = iniciar(Prioridade(nice=10))
    neto = _esperar_filho(filho.proc.pid)
    for pid in (filho.proc.pid, neto):
        assert os.getpriority(os.PRIO_PROCESS, pid) == _mais_baixa(10)
        assert os.sched_getscheduler(pid) == os.SCHED_OTHER
    assert _nice_do_grupo(filho.proc.pid) in (10, None)
    assert _nice_do_grupo(os.getpid()) != 10  # the supervisor's own session is untouched


@pytest.mark.skipif(not shutil.which("chrt"), reason="chrt (util-linux)")
def test_filho_ocioso_sched_idle_e_grupo_no_nice_19(iniciar):
    filho = iniciar(Prioridade(nice=19, politica="idle"))
    neto = _esperar_filho(filho.proc.pid)
    for pid in (filho.proc.pid, neto):
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        assert os.getpriority(os.PRIO_PROCESS, pid) == _mais_baixa(19)
    assert _nice_do_grupo(filho.proc.pid) in (19, None)
    # the command line is the program's (chrt and nice exec it): role detection by name works
    assert Path(f"/proc/{filho.proc.pid}/cmdline").read_bytes().startswith(b"sh\0-c\0")


def test_ocioso_pesa_o_grupo_como_nice_19_mesmo_sem_nice():
    assert Prioridade(politica="idle").nice_do_grupo == 19
    assert Prioridade(nice=5).nice_do_grupo == 5


def test_prioridades_padrao_do_make_run():
    assert prioridade("ia", env={}) == Prioridade(nice=19, politica="idle")
    assert prioridade("tarefas", env={}) == Prioridade(nice=10)
    assert prioridade("beat", env={}) == Prioridade(nice=10)
    assert prioridade("worker", env={}) == Prioridade()
    assert Prioridade().prefixo() == []


def test_prioridades_do_ambiente():
    env = {"IA_NICE": "10", "IA_SCHED": "Normal", "WORKER_NICE": "3", "TAREFAS_SCHED": "idle"}
    assert prioridade("ia", env=env) == Prioridade(nice=10)
    assert prioridade("ia", env=env).prefixo() == ["nice", "-n", "10"]
    assert prioridade("worker", env=env) == Prioridade(nice=3)
    assert prioridade("tarefas", env=env) == Prioridade(nice=10, politica="idle")
    assert prioridade("beat", env={"BEAT_NICE": ""}) == Prioridade(nice=10)  # empty: default


@pytest.mark.parametrize(
    "env", [{"IA_NICE": "-5"}, {"IA_NICE": "20"}, {"IA_NICE": "dez"}, {"IA_SCHED": "batch"}]
)
def test_prioridade_invalida_e_recusada(env):
    with pytest.raises(ValueError, match=r"nice fora|política desconhecida|invalid literal"):
        prioridade("ia", env=env)
