"""WSGI entry point (also what conectcrm.asgi serves HTTP with).

Provider webhooks (``/api/atendimento/webhooks/``) go to a Django handler with no middleware:
they use no session, user, CSRF token (the view is ``csrf_exempt``), locale, messages or HTML
headers, are verified by their signature, and were paying ~0.5 ms of CPU per request for the
stack (a third of the request, bench/README.md).  Host validation still applies (the view
builds the absolute URL the signature covers).  Everything else goes through the full stack.
"""

from __future__ import annotations

import contextlib
import os

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

PREFIXO_WEBHOOKS = "/api/atendimento/webhooks/"


class HandlerSemMiddleware(WSGIHandler):
    """Django's WSGI handler with an empty middleware list."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


def com_webhooks_diretos(completa, webhooks):
    """``webhooks`` for the webhook URLs, ``completa`` for everything else."""

    def aplicacao(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(PREFIXO_WEBHOOKS):
            return webhooks(environ, start_response)
        return completa(environ, start_response)

    return aplicacao


def aquecer() -> None:
    """Import the URL modules and compile the webhook route now, at process start: Django
    does it in the first request otherwise, and a burst arriving at a fresh process waited
    for it (about a second of CPU per process on this machine: the worst acknowledgements of
    a benchmark run, bench/README.md)."""
    from django.urls import Resolver404, get_resolver

    with contextlib.suppress(Resolver404):
        get_resolver().resolve(f"{PREFIXO_WEBHOOKS}whatsapp/00000000-0000-0000-0000-000000000000/")


application = com_webhooks_diretos(get_wsgi_application(), HandlerSemMiddleware())
aquecer()
