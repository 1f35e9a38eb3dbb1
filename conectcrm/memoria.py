"""The objects a long-lived process built while starting, out of the garbage collector's walks.

CPython's cyclic collector walks every tracked object on a full collection.  A web or worker
process of ``make run`` holds 180-250k of them once Django, the apps and their libraries are
loaded — and they live as long as the process — so each full collection cost 90-320 ms of CPU,
during which the process stands still: the drain stops draining, the web process stops
acknowledging.  A burst of work (the first contacts of a cold start) promotes enough new
objects to trigger several of them in a few seconds (bench/README.md, "frio").

:func:`congelar_inicio` collects once and moves every surviving object to the collector's
permanent generation (``gc.freeze``): never walked again, never freed — they are the process's
start (modules, URL patterns, settings, the models' metadata), kept until it exits anyway.
Later full collections walk only what the process created since: a few milliseconds.  It is
called where a server process has finished starting (the ASGI lifespan's startup, a Celery
worker's or beat's init), never on import, so tests and management commands keep the default.
"""

from __future__ import annotations

import gc

__all__ = ["congelar_inicio"]


def congelar_inicio() -> int:
    """Collect the start's garbage, then freeze what survives; how many objects are frozen now."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
