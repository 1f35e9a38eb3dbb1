"""Configuration without surprises: importing the settings starts no process (the embedded
servers start when Django sets up, on demand)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[2]


def test_importar_settings_nao_inicia_processo(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CONECTCRM_PERFIL", "CONECTCRM_AMBIENTE")
    }
    env["CONECTCRM_DEVDATA"] = str(tmp_path)
    saida = subprocess.run(
        [sys.executable, "-c", "import conectcrm.settings as s; print(s.DATABASE_URL)"],
        env=env,
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert str(tmp_path / "run" / "pg") in saida.stdout
    procurados = subprocess.run(  # noqa: S603
        ["pgrep", "-f", str(tmp_path)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert procurados.stdout == ""
    assert not (tmp_path / "run" / "pg" / "postmaster.pid").exists()
    assert not (tmp_path / "run" / "redis.pid").exists()


def test_rota_de_tarefa_inexistente_falha_no_check(settings):
    from conectcrm.checks import rotas_de_tarefas

    settings.CELERY_TASK_ROUTES = {
        "canais.tasks.enviar_mensagem": {"queue": "messages"},
        "canais.tasks.*": {"queue": "messages"},
        "canais.tasks.nao_existe": {"queue": "messages"},
        "modulo.inexistente.*": {"queue": "webhooks"},
    }
    erros = rotas_de_tarefas()
    assert [e.id for e in erros] == ["conectcrm.E001", "conectcrm.E001"]
    assert "canais.tasks.nao_existe" in erros[0].msg
    assert "modulo.inexistente.*" in erros[1].msg


def test_rotas_do_projeto_passam_no_check():
    from django.core.checks import run_checks

    erros = [e for e in run_checks(tags=["celery"]) if e.id == "conectcrm.E001"]
    assert erros == []
