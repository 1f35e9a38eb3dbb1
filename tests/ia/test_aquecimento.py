"""A worker process that consumes the AI queue loads the analysis models when it starts."""

from __future__ import annotations

from types import SimpleNamespace

from celery import Celery
from django.conf import settings

from conectcrm import celery as app_celery
from ia import aquecimento
from ia.local import nlp


def _app(*filas: str):
    """A Celery app configured as the project's, consuming ``filas`` (what ``-Q`` does)."""
    app = Celery("aquecimento")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.amqp.queues.select(list(filas))
    return app


def test_so_o_worker_da_fila_da_ia_aquece():
    assert settings.CELERY_TASK_ROUTES["ia.tasks.*"]["queue"] == aquecimento.FILA_IA
    assert aquecimento.consome_fila_ia(_app("ai-analysis"))
    assert aquecimento.consome_fila_ia(_app("webhooks", "ai-analysis"))
    assert not aquecimento.consome_fila_ia(_app("webhooks"))
    assert not aquecimento.consome_fila_ia(SimpleNamespace())  # not a Celery app


def test_worker_da_ia_carrega_o_modelo_e_os_outros_nao():
    nlp.redefinir()
    assert aquecimento.aquecer_se_fila_ia(_app("webhooks", "mensagens")) is None
    assert nlp._modelo is None
    fio = aquecimento.aquecer_se_fila_ia(_app("ai-analysis"))
    fio.join(120)
    assert not fio.is_alive()
    assert nlp._modelo is not None


def test_falha_no_aquecimento_nao_derruba_o_worker(monkeypatch, caplog):
    def falha():
        raise OSError("modelo ausente")

    monkeypatch.setattr(aquecimento, "aquecer", falha)
    aquecimento.aquecer_se_fila_ia(_app("ai-analysis")).join(120)
    assert "aquecimento da IA falhou" in caplog.text


def test_sinal_de_inicio_do_processo_aquece_com_o_app(monkeypatch):
    vistos = []
    monkeypatch.setattr(aquecimento, "aquecer_se_fila_ia", vistos.append)
    app_celery._aquecer_ia(sender=None)
    assert vistos == [app_celery.app]
