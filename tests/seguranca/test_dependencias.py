"""The lock files: every dependency of pyproject.toml pinned with hashes, and the check that
catches a dependency added without re-locking."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[2]


def _verificar():
    spec = importlib.util.spec_from_file_location("verificar", RAIZ / "requirements/verificar.py")
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


def test_locks_em_dia_com_o_pyproject():
    assert _verificar().main() == 0


def test_todo_pacote_do_lock_tem_hash():
    for nome in ("run.txt", "dev.txt"):
        texto = (RAIZ / "requirements" / nome).read_text()
        blocos = re.split(r"\n(?=[A-Za-z0-9])", texto.split("\n", 2)[-1])
        pinos = [b for b in blocos if "==" in b.split("\n")[0]]
        assert pinos
        assert all("--hash=sha256:" in b for b in pinos), nome


def test_dependencia_nova_sem_lock_e_apontada(tmp_path):
    lock = tmp_path / "run.txt"
    lock.write_text("django==5.2.9 \\\n    --hash=sha256:abc\n")
    erros = _verificar().problemas(["Django>=5.2,<5.3", "holidays>=0.60"], lock)
    assert erros == ["run.txt: holidays não está fixado"]
    erros = _verificar().problemas(["Django>=6.0"], lock)
    assert erros == ["run.txt: Django==5.2.9 fora de 'Django>=6.0'"]
