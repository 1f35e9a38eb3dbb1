"""Warm-up of a worker process that drains stored webhooks (the ``webhooks`` queue).

A fresh pool process paid, inside the first burst of webhooks, for what every later batch
reuses: a new PostgreSQL backend and psycopg's first array parameter (it compiles its quoting
rules then), the cache Redis client of the wake-up flag, the broker connection and task sender
of the reactions' jobs, the channel layer and thread that publish the realtime events.  On the
development box that was 150 ms (350 ms on a busy one) between the first webhook and the first
stored message, and the rest of the burst queued behind it: every message of a cold start
waited that much longer (bench/README.md, "frio").  A worker consuming the ``webhooks`` queue
does it when its pool process starts instead (``conectcrm/celery.py``).

The database part runs in the process's main thread (Django's connections are per thread,
and the drain runs there), after the Django fixup closed the connections inherited from the
parent; the rest in a background thread, so a broker or Redis that is down when the worker
starts cannot hold the process past the pool's start-up timeout.  A failure is logged and the
first batch pays for what is missing, as before.
"""

from __future__ import annotations

import logging
import threading

from conectcrm.aquecimento import consome_fila, em_segundo_plano

logger = logging.getLogger(__name__)

#: the queue of the drain (``CELERY_TASK_ROUTES``: ``canais.tasks.process_webhook``)
FILA_ENTRADA = "webhooks"


def consome_fila_entrada(app) -> bool:
    """The worker of this process consumes the webhooks queue (its ``-Q``)."""
    return consome_fila(app, FILA_ENTRADA)


def aquecer_banco() -> None:
    """This thread's database connection, and one array parameter through it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(%s::text[])", [["aquecer"]])
        cursor.fetchone()


def aquecer_servicos() -> None:
    """What the drain reaches outside the database: its modules imported on first use, the
    wake-up flag's Redis client, the broker (task sender and a pooled connection) and the
    realtime publisher."""
    import atendimento.services.entrada_lote  # and the modules it imports
    import atendimento.services.robo  # noqa: F401
    from atendimento.realtime.publicar import iniciar_publicador
    from canais import despertar

    despertar.aquecer()  # the flag's client, the broker's sender and a pooled connection
    iniciar_publicador()


def aquecer_se_fila_entrada(app) -> threading.Thread | None:
    """Warm this pool process when its worker drains webhooks: the database now, the rest in
    a background thread (returned).  Errors are logged, never raised."""
    if not consome_fila_entrada(app):
        return None
    try:
        aquecer_banco()
    except Exception:
        logger.warning("aquecimento da drenagem: banco indisponível", exc_info=True)
    return em_segundo_plano(
        "aquecer-drenagem", aquecer_servicos, "aquecimento da drenagem falhou; o primeiro lote paga"
    )
