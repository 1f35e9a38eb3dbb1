"""A worker process that drains webhooks connects and loads what its first batch needs when it
starts (``canais.aquecimento``), not inside the first burst; other workers do not."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from celery import Celery
from celery.signals import worker_process_init
from django.db import connection

from atendimento.realtime import publicar
from canais import aquecimento
from conectcrm import celery as app_celery


def _app(*filas: str):
    """A Celery app configured as the project's, consuming ``filas`` (what ``-Q`` does); not
    made the current app (the project's shared tasks would bind to it in later tests)."""
    app = Celery("aquecimento-drenagem", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.amqp.queues.select(list(filas))
    return app


def test_so_o_worker_da_fila_de_webhooks_aquece():
    assert aquecimento.consome_fila_entrada(_app("webhooks"))
    assert aquecimento.consome_fila_entrada(_app("messages", "webhooks"))
    assert not aquecimento.consome_fila_entrada(_app("messages", "notifications"))
    assert not aquecimento.consome_fila_entrada(SimpleNamespace())  # not a Celery app


@pytest.mark.django_db(transaction=True)
def test_outro_worker_nao_abre_nada():
    connection.close()
    assert aquecimento.aquecer_se_fila_entrada(_app("ai-analysis")) is None
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_worker_da_drenagem_conecta_e_prepara_o_que_o_primeiro_lote_usa(monkeypatch):
    publicador = publicar._Publicador()
    monkeypatch.setattr(publicar, "_publicador", publicador)
    connection.close()

    fio = aquecimento.aquecer_se_fila_entrada(_app("webhooks"))

    assert connection.connection is not None  # this thread's, where the drain runs
    fio.join(30)
    assert not fio.is_alive()
    assert publicador._pid == os.getpid()  # the publishing thread is up


@pytest.mark.django_db(transaction=True)
def test_falhas_do_aquecimento_nao_derrubam_o_worker(monkeypatch, caplog):
    def falha(*_args):
        raise OSError("fora do ar")

    monkeypatch.setattr(aquecimento, "aquecer_banco", falha)
    monkeypatch.setattr(aquecimento, "aquecer_servicos", falha)
    aquecimento.aquecer_se_fila_entrada(_app("webhooks")).join(30)
    assert "aquecimento da drenagem: banco indisponível" in caplog.text
    assert "aquecimento da drenagem falhou" in caplog.text


def test_aquecimento_e_ligado_depois_do_fechamento_das_conexoes_herdadas(monkeypatch):
    """Connected from the worker's init, so after the Django fixup's receiver (connected from
    its own ``worker_init`` receiver, which runs first) that closes inherited connections."""
    vistos = []
    monkeypatch.setattr(aquecimento, "aquecer_se_fila_entrada", vistos.append)
    try:
        app_celery._ligar_aquecimento_da_drenagem(sender=None)
        ultimo = worker_process_init.receivers[-1][1]  # connected strongly (weak=False)
        assert ultimo is app_celery._aquecer_drenagem
        ultimo(sender=None)
    finally:
        worker_process_init.disconnect(app_celery._aquecer_drenagem)
    assert vistos == [app_celery.app]
