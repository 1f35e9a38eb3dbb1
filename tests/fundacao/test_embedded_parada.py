"""Stopping the embedded servers never leaves one behind (conectcrm/embedded.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

from conectcrm import embedded

TEIMOSO = (
    "import signal, time\n"
    "for s in (signal.SIGTERM, signal.SIGQUIT):\n"
    "    signal.signal(s, signal.SIG_IGN)\n"
    "print('pronto', flush=True)\n"
    "time.sleep(120)\n"
)


def _iniciar(codigo: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", codigo], stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdout.readline().strip() == "pronto"
    # reaped as soon as it exits, as init reaps a daemonized server (no zombie to see)
    threading.Thread(target=proc.wait, daemon=True).start()
    return proc


def test_servidor_que_nao_para_sozinho_e_parado_a_forca():
    proc = _iniciar(TEIMOSO)
    embedded._terminar(proc.pid, 0.3, signal.SIGQUIT)
    assert proc.wait(5) == -signal.SIGKILL


def test_servidor_que_atende_ao_sinal_nao_leva_sigkill():
    proc = _iniciar(TEIMOSO.replace("(signal.SIGTERM, signal.SIGQUIT)", "(signal.SIGTERM,)"))
    embedded._terminar(proc.pid, 0.3, signal.SIGQUIT)
    assert proc.wait(5) == -signal.SIGQUIT
