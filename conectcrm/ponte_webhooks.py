"""Provider webhooks over ASGI with two thread hops instead of a2wsgi's six or more.

a2wsgi (the bridge for the rest of the HTTP surface) runs the WSGI application in a thread and
makes that thread wait on the event loop for every piece of I/O: each chunk of the body read,
the response start, each body chunk and the final empty chunk are a ``run_coroutine_threadsafe``
plus a blocking wait.  For a webhook — a small body in, a few bytes out — that was most of the
web tier's own CPU per acknowledgement on a 2-core box (thread hand-offs under a contended
GIL; bench/README.md).

Here the event loop reads the whole body first (at most the adapter's limit plus one byte: a
larger body is cut there and the view answers 413, as it does when it reads it itself).  A
POST whose channel is in the process's cache (``WEBHOOK_CACHE_CANAL_SEGUNDOS``; the usual case
under load) is then verified in the loop itself and its row handed to the group-commit writer
(``canais.gravacao``), the answer sent when the writer has committed it — no thread hop at all
(``canais.webhooks.preparar_sem_banco``: the view's own steps, from the caches only).
Anything else — a channel not cached, a GET, a foreign Host — runs the same WSGI application
(``conectcrm.wsgi``: Django without middleware for webhooks) once in the thread pool on the
in-memory body, and the loop sends the complete response.  Same view, same status codes and
bodies; only the bridge differs.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ
from django.conf import settings

from canais.registry import TipoCanalDesconhecido, classe_adaptador

#: how long a request waits for its row's group to commit (as the WSGI path waits)
_ESPERA_GRAVACAO_SEGUNDOS = 30.0


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
        corpo = bytes(corpo)
        if scope["method"] == "POST":
            rapida = await self._sem_thread(scope, corpo)
            if rapida is not None:
                status, cabecalhos, conteudo = rapida
                await send({"type": "http.response.start", "status": status, "headers": cabecalhos})
                await send({"type": "http.response.body", "body": conteudo})
                return
        environ = build_environ(scope, io.BytesIO(corpo))
        contexto = contextvars.copy_context()
        status, cabecalhos, partes = await asyncio.get_running_loop().run_in_executor(
            self.executor, contexto.run, self._chamar, environ
        )
        await send({"type": "http.response.start", "status": status, "headers": cabecalhos})
        await send({"type": "http.response.body", "body": partes})

    async def _sem_thread(self, scope, corpo: bytes):
        """The thread-free path: with the channel in this process's cache the request is
        verified here, in the event loop, and its row handed to the group-commit writer; the
        answer goes out once the writer has committed it (a 200 still means "stored").  None
        when the full view must answer (channel not cached, a GET, anything unusual): nothing
        was written then."""
        from django.core.handlers.wsgi import WSGIRequest
        from django.urls import resolve

        from canais import webhooks
        from canais.gravacao import gravador

        environ = build_environ(scope, io.BytesIO(corpo))
        try:
            rota = resolve(environ["PATH_INFO"])
            if rota.func is not webhooks.webhook:
                return None
            preparado = webhooks.preparar_sem_banco(WSGIRequest(environ), **rota.kwargs)
        except Exception:  # Resolver404, PrecisaDoBanco, a foreign Host…: the full view
            return None
        if isinstance(preparado, tuple):
            evento, resposta = preparado
            futuro = asyncio.wrap_future(gravador.enfileirar(evento))
            try:  # shielded: a request cancelled meanwhile never cancels the writer's future
                await asyncio.wait_for(asyncio.shield(futuro), _ESPERA_GRAVACAO_SEGUNDOS)
            except Exception as exc:
                resposta = webhooks.resposta_falha_ao_gravar(rota.kwargs.get("tipo", "?"), exc)
        else:
            resposta = preparado
        return (
            resposta.status_code,
            [(k.lower().encode("latin1"), v.encode("latin1")) for k, v in resposta.items()],
            resposta.content,
        )

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
