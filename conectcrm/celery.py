"""Celery application: four queues, routed by task name (docs/arquitetura.md)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import (
    beat_init,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
)

from conectcrm import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

broker.registrar()  # the Redis transport that survives a Redis restart (conectcrm/broker.py)
app = Celery("conectcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(weak=False)
@task_postrun.connect(weak=False)
def _conexoes_do_banco(sender=None, **_kwargs) -> None:
    """Around each task, what Django does around each request: close the connections that are
    past CONN_MAX_AGE or broken, keep the others (their health is checked on first use:
    CONN_HEALTH_CHECKS).  Not for a task run eagerly inside the caller (its transaction)."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_process_init.connect(weak=False)
def _aquecer_ia(**_kwargs) -> None:
    """A worker process that will run AI analyses loads their models at start, not inside the
    first burst of customer messages (ia/aquecimento.py)."""
    from ia.aquecimento import aquecer_se_fila_ia

    aquecer_se_fila_ia(app)


@worker_init.connect(weak=False)
def _ligar_aquecimento_da_drenagem(**_kwargs) -> None:
    """Connect the drain's warm-up to the start of each pool process here, in the worker's
    init: after the Django fixup's own receiver of that signal (the fixup connects it from its
    ``worker_init`` receiver, connected when the app was built, so before this one), which
    closes the database connections a pool process inherits — the warm-up's must be opened
    after that."""
    worker_process_init.connect(_aquecer_drenagem, weak=False)


def _aquecer_drenagem(**_kwargs) -> None:
    """A pool process that will drain webhooks connects and loads what its first batch needs
    at start, not inside the first burst (canais/aquecimento.py)."""
    from canais.aquecimento import aquecer_se_fila_entrada

    aquecer_se_fila_entrada(app)


@worker_process_init.connect(weak=False)
@worker_ready.connect(weak=False)
@beat_init.connect(weak=False)
def _congelar_inicio(**_kwargs) -> None:
    """A worker's pool process, a worker's main process (once its pool is up) and beat leave
    the objects of their start out of the garbage collector's walks (conectcrm/memoria.py):
    a full collection of the drain's fresh process cost 150-290 ms each, three of them
    during a cold burst."""
    from conectcrm.memoria import congelar_inicio

    congelar_inicio()
