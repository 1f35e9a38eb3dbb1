"""Warm-up of a worker process that runs AI analyses.

The first analysis of a fresh process would otherwise load, inside the first burst of customer
messages, what every later one reuses: the providers' SDKs imported by ``ia.services.analise``,
the offline embedder and the classifier fitted from the shipped seeds (about 2 s of CPU on the
development box, most of it the SDK imports). A worker consuming the ``ai-analysis`` queue loads
them when its process starts instead (``conectcrm/celery.py``, ``worker_process_init``), so the
first insights after a (re)start are not late by that much and the load does not land on a burst.
"""

from __future__ import annotations

import threading

from conectcrm.aquecimento import consome_fila, em_segundo_plano

#: the queue of the AI jobs (``CELERY_TASK_ROUTES``: ``ia.tasks.*``)
FILA_IA = "ai-analysis"


def consome_fila_ia(app) -> bool:
    """The worker of this process consumes the AI queue (its ``-Q``)."""
    return consome_fila(app, FILA_IA)


def aquecer() -> None:
    """Load what an offline analysis needs (idempotent; later calls cost nothing)."""
    import ia.services.analise  # noqa: F401 - the providers' SDKs
    from ia.local import nlp

    nlp.analisar_lote(["oi"], nlp.modelo())


def aquecer_se_fila_ia(app) -> threading.Thread | None:
    """Warm this process in a background thread when its worker consumes the AI queue (the
    pool waits only 4 s for a new child to report alive, so ``worker_process_init`` must return
    at once; a job that arrives meanwhile waits on the same import and model locks). A failure
    is logged and the first analysis loads what is missing, as before."""
    if not consome_fila_ia(app):
        return None
    return em_segundo_plano(
        "aquecer-ia", aquecer, "aquecimento da IA falhou; a primeira análise carrega o modelo"
    )
