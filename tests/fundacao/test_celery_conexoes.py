"""Celery workers keep their database connection between tasks as web processes do between
requests (CONN_MAX_AGE), and still replace one that broke: Celery's Django fixup alone
closed it before and after every task (a new PostgreSQL backend per task)."""

from __future__ import annotations

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection, connections

from atendimento.tasks import alerta_sla
from conectcrm.celery import app


def _pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _tarefa(fixup: DjangoWorkerFixup, tarefa) -> None:
    """What a worker runs around a task: the fixup's hooks and the signals' receivers."""
    fixup.on_task_prerun(sender=tarefa)
    task_prerun.send(sender=tarefa, task_id="x", task=tarefa, args=(), kwargs={})
    _pid()  # the task's own queries
    fixup.on_task_postrun(sender=tarefa)
    task_postrun.send(sender=tarefa, task_id="x", task=tarefa, args=(), kwargs={})


@pytest.fixture
def idade():
    original = connection.settings_dict["CONN_MAX_AGE"]

    def definir(segundos: int) -> None:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = segundos

    yield definir
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = original


@pytest.mark.django_db(transaction=True)
def test_worker_reaproveita_a_conexao_entre_tarefas(idade):
    fixup = DjangoWorkerFixup(app)
    tarefa = alerta_sla
    idade(600)  # make run's workers
    antes = _pid()

    for _ in range(3):
        _tarefa(fixup, tarefa)

    assert _pid() == antes


@pytest.mark.django_db(transaction=True)
def test_sem_conn_max_age_fecha_a_cada_tarefa(idade):
    fixup = DjangoWorkerFixup(app)
    tarefa = alerta_sla
    idade(0)
    antes = _pid()

    _tarefa(fixup, tarefa)

    assert _pid() != antes


@pytest.mark.django_db(transaction=True)
def test_conexao_que_caiu_e_trocada_na_tarefa_seguinte(idade):
    """PostgreSQL restarted (here: the backend terminated): the task that hits it fails, the
    next one gets a new connection."""
    fixup = DjangoWorkerFixup(app)
    tarefa = alerta_sla
    idade(600)
    antes = _pid()
    outra = connections.create_connection("default")
    try:
        with outra.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [antes])
    finally:
        outra.close()

    fixup.on_task_prerun(sender=tarefa)
    task_prerun.send(sender=tarefa, task_id="x", task=tarefa, args=(), kwargs={})
    depois = _pid()  # the health check on first use replaces it

    assert depois != antes
