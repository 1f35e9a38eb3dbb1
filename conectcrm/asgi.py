"""ASGI entry point: HTTP and websockets on one port.

HTTP is served by Django's WSGI handler behind a single thread hop (a2wsgi): under ASGI every
sync middleware costs two thread hops, which made plain Django HTTP 5-12x slower on this
machine (bench/README.md); provider webhooks skip the middleware (conectcrm.wsgi) and a2wsgi's
per-chunk hops too (conectcrm.ponte_webhooks: body read by the loop, one run in the pool).
Websockets go to Channels.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

django_asgi = get_asgi_application()  # sets Django up before the imports below

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from atendimento.realtime.auth import AutenticacaoWebsocket  # noqa: E402
from atendimento.routing import websocket_urlpatterns  # noqa: E402
from canais.gravacao import gravador  # noqa: E402
from conectcrm.memoria import congelar_inicio  # noqa: E402
from conectcrm.ponte_webhooks import PonteWebhooks  # noqa: E402
from conectcrm.wsgi import PREFIXO_WEBHOOKS  # noqa: E402
from conectcrm.wsgi import application as wsgi_app  # noqa: E402

todas = WSGIMiddleware(wsgi_app, workers=int(os.environ.get("HTTP_THREADS", "8")))
webhooks = PonteWebhooks(wsgi_app, todas.executor, PREFIXO_WEBHOOKS)


async def http_app(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith(PREFIXO_WEBHOOKS):
        return await webhooks(scope, receive, send)
    return await todas(scope, receive, send)


async def ciclo_de_vida(scope, receive, send):
    """ASGI lifespan: when the server process has started, the objects of its start leave the
    garbage collector's walks (``conectcrm.memoria``: a full collection of a fresh process
    stopped it for 90-320 ms, in the middle of a burst) and the webhooks' group-commit writer
    starts and warms up (``canais.gravacao``), before the first requests."""
    while True:
        mensagem = await receive()
        if mensagem["type"] == "lifespan.startup":
            congelar_inicio()
            if settings.WEBHOOK_GRAVACAO_EM_GRUPO:
                gravador.iniciar()  # the webhooks' writer, warmed before the first group
            await send({"type": "lifespan.startup.complete"})
        elif mensagem["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "lifespan": ciclo_de_vida,
        # The Origin check of cookie sockets lives in AutenticacaoWebsocket (token sockets skip it).
        "websocket": AutenticacaoWebsocket(URLRouter(websocket_urlpatterns)),
    }
)
