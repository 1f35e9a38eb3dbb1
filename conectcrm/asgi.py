"""ASGI entry point: HTTP and websockets on one port.

HTTP is served by Django's WSGI handler behind a single thread hop (a2wsgi): under ASGI every
sync middleware costs two thread hops, which made plain Django HTTP 5-12x slower on this
machine (bench/README.md); provider webhooks skip the middleware (conectcrm.wsgi).
Websockets go to Channels.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

django_asgi = get_asgi_application()  # sets Django up before the imports below

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from atendimento.realtime.auth import AutenticacaoWebsocket  # noqa: E402
from atendimento.routing import websocket_urlpatterns  # noqa: E402
from conectcrm.wsgi import application as wsgi_app  # noqa: E402

http_app = WSGIMiddleware(wsgi_app, workers=int(os.environ.get("HTTP_THREADS", "8")))

application = ProtocolTypeRouter(
    {
        "http": http_app,
        # The Origin check of cookie sockets lives in AutenticacaoWebsocket (token sockets skip it).
        "websocket": AutenticacaoWebsocket(URLRouter(websocket_urlpatterns)),
    }
)
