"""Provider webhooks over ASGI with two thread hops instead of a2wsgi's six or more.

a2wsgi (the bridge for the rest of the HTTP surface) runs the WSGI application in a thread and
makes that thread wait on the event loop for every piece of I/O: each chunk of the body read,
the response start, each body chunk and the final empty chunk are a ``run_coroutine_threadsafe``
plus a blocking wait.  For a webhook — a small body in, a few bytes out — that was most of the
web tier's own CPU per acknowledgement on a 2-core box (thread hand-offs under a contended
GIL; bench/README.md).

Here the event loop reads the whole body first (at most the adapter's limit plus one byte: a
larger body is cut there and the view answers 413, as it does when it reads it itself), the
same WSGI application (``conectcrm.wsgi``: Django without middleware for webhooks) runs once
in the thread pool on an in-memory body, and the loop sends the complete response.  Same view,
same status codes and bodies; only the bridge differs.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ
from django.conf import settings

from canais.registry import TipoCanalDesconhecido, classe_adaptador


def _limite_corpo(caminho: str, prefixo: str) -> int:
    """The body limit of the adapter the path names (``…/webhooks/<tipo>/…``)."""
    tipo = caminho[len(prefixo) :].split("/", 1)[0]
    try:
        limite = classe_adaptador(tipo).limite_corpo_bytes
    except TipoCanalDesconhecido:
        limite = None
    return limite or int(settings.WEBHOOK_MAX_BYTES)


def _declarado(scope) -> int:
    for nome, valor in scope.get("headers", ()):
        if nome == b"content-length":
            try:
                return int(valor)
            except ValueError:
                return 0
    return 0


class PonteWebhooks:
    """ASGI app for the webhook URLs: ``wsgi_app`` (a WSGI application) run once per request
    in ``executor``, body read and response sent by the event loop."""

    def __init__(self, wsgi_app, executor: ThreadPoolExecutor, prefixo: str) -> None:
        self.wsgi_app = wsgi_app
        self.executor = executor
        self.prefixo = prefixo

    async def __call__(self, scope, receive, send) -> None:
        limite = _limite_corpo(scope["path"], self.prefixo)
        corpo = bytearray()
        if _declarado(scope) <= limite:  # declared larger: the view refuses it unread (413)
            mais = True
            while mais and len(corpo) <= limite:
                mensagem = await receive()
                if mensagem["type"] == "http.disconnect":
                    return
                corpo += mensagem.get("body", b"")
                mais = mensagem.get("more_body", False)
            del corpo[limite + 1 :]
        environ = build_environ(scope, io.BytesIO(bytes(corpo)))
        contexto = contextvars.copy_context()
        status, cabecalhos, partes = await asyncio.get_running_loop().run_in_executor(
            self.executor, contexto.run, self._chamar, environ
        )
        await send({"type": "http.response.start", "status": status, "headers": cabecalhos})
        await send({"type": "http.response.body", "body": partes})

    def _chamar(self, environ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        inicio: list = []

        def start_response(status: str, cabecalhos, exc_info=None):
            inicio[:] = [status, cabecalhos]
            return lambda _dados: None  # the legacy write(): unused by Django

        iteravel = self.wsgi_app(environ, start_response)
        try:
            corpo = b"".join(iteravel)
        finally:
            getattr(iteravel, "close", lambda: None)()
        status, cabecalhos = inicio
        return (
            int(status.split(" ", 1)[0]),
            [
                (nome.strip().lower().encode("latin1"), valor.strip().encode("latin1"))
                for nome, valor in cabecalhos
            ],
            corpo,
        )
