"""uvicorn's websocket protocol (the websockets sans-I/O one ``--ws auto`` picks) with one ASGI
scope extension: ``conectcrm.envio_direto``, a synchronous "write this text frame now".

A server event reaches every socket of a process that should see it (``atendimento/realtime/
entrega.py``).  Through the ASGI ``send`` each delivery is a chain of coroutines (the
consumer's ``send``, channels', uvicorn's ``send`` waiting on its writable flag) driven by the
consumer's own task — woken, run and re-armed once per socket per event.  With 1,000 sockets
in a process that machinery, not the write itself, was most of a publication's CPU
(bench/README.md, ``fanout.py``).  With this extension the process's reader hands an event to
an idle socket and the consumer writes the frame (encoded once per process) in the same step:
the websockets state machine frames it, the transport writes it, nothing is scheduled.

The extension only writes when an ASGI ``send`` would not have waited: the handshake is done,
no close was sent or received, and the transport is not applying backpressure (uvicorn's
``writable`` flag, cleared by ``pause_writing``).  Otherwise ``pode()`` is False and the
consumer takes the ordinary path (its buffer, its task, ``send``), where a slow client's
backpressure fills a bounded buffer and ends in ``ressincronizar`` as before.

``make run`` and the Procfile select it with ``--ws conectcrm.protocolo_ws:ProtocoloWebsocket``;
another server (daphne, a test communicator) has no extension and every event takes the
ordinary path.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.protocol import State

#: the scope extension's name; its value is a :class:`EnvioDireto`
EXTENSAO = "conectcrm.envio_direto"
#: what ``comando_web`` passes to uvicorn's ``--ws``
CAMINHO = "conectcrm.protocolo_ws:ProtocoloWebsocket"


class EnvioDireto:
    """Synchronous text frames on one uvicorn websocket connection."""

    __slots__ = ("_protocolo",)

    def __init__(self, protocolo: ProtocoloWebsocket) -> None:
        self._protocolo = protocolo

    def pode(self) -> bool:
        """Whether :meth:`enviar` would write now (as an ASGI ``send`` would without waiting)."""
        p = self._protocolo
        return (
            p.handshake_complete
            and p.initial_response is None
            and not p.close_sent
            and not p.disconnected
            and p.writable.is_set()
            and p.conn.state is State.OPEN
            and not p.transport.is_closing()
        )

    def enviar(self, dados: bytes) -> bool:
        """Write ``dados`` (UTF-8 JSON) as one text frame.  Call it in the same step as a
        ``pode()`` that answered True (nothing in between can close or pause the socket);
        False when the connection refused the frame anyway."""
        p = self._protocolo
        try:
            p.conn.send_text(dados)
        except InvalidState:
            return False
        p.transport.write(b"".join(p.conn.data_to_send()))
        return True


class ProtocoloWebsocket(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:  # the application's task has not run yet
            self.scope["extensions"][EXTENSAO] = EnvioDireto(self)
