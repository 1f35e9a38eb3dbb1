"""A local fake of the WhatsApp Cloud API (Graph) send endpoint that misbehaves on purpose, for
the outbound fault scenario: ``POST /<versão>/<phone_number_id>/messages``.

While ``tempestade()`` is on, the requests it receives are answered in turn with

* ``500`` and ``503`` with a Graph error body (code 1 / 2: unknown / service unavailable);
* a hang: the answer comes only after the caller's timeout (``espera_travada`` seconds).  Half
  of the hangs drop the message (a gateway that never processed it), the other half accept
  it *late*: the provider delivers it, but the caller never sees the answer.  Those late
  acceptances are the one genuinely ambiguous case: the caller cannot know, and its retry
  is allowed to deliver the same message a second time (``ambiguas``);
* ``429`` with ``Retry-After`` and Graph code 130429 (throughput limit reached).

``curar()`` ends the storm: every request is then accepted (200 with a new ``wamid``).  A
recipient in ``sempre_falha`` (digits, without "+") gets 500 forever (a message that must end
failed with its reason after the maximum attempts).  Every request is recorded with what it
did to the message: ``aceita`` (answered 200 in time), ``aceita_tarde`` (hang, delivered
anyway), ``recusada``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FALHAS = ("500", "503", "trava_perde", "429", "trava_entrega")


@dataclass
class Tentativa:
    texto: str
    destino: str
    resultado: str  # aceita | aceita_tarde | recusada
    resposta: str  # 200, 500, 503, 429, trava
    wamid: str = ""
    quando: float = field(default_factory=time.monotonic)


class ProvedorInstavel:
    def __init__(self, *, espera_travada: float, retry_after: int = 2) -> None:
        self.espera_travada = espera_travada
        self.retry_after = retry_after
        self.sempre_falha: set[str] = set()
        self.tentativas: list[Tentativa] = []
        self._trava = threading.Lock()
        self._falhas = itertools.cycle(FALHAS)
        self._ids = itertools.count(1)
        self._em_tempestade = False
        self.curado_em: float | None = None
        self._servidor = ThreadingHTTPServer(("127.0.0.1", 0), self._manipulador())
        self._servidor.daemon_threads = True
        self._thread = threading.Thread(target=self._servidor.serve_forever, daemon=True)

    # ------------------------------------------------------------------------------ control
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._servidor.server_address[1]}"

    def iniciar(self) -> ProvedorInstavel:
        self._thread.start()
        return self

    def parar(self) -> None:
        self._servidor.shutdown()
        self._servidor.server_close()

    def tempestade(self) -> None:
        self._em_tempestade = True

    def curar(self) -> None:
        self._em_tempestade = False
        self.curado_em = time.monotonic()

    # ------------------------------------------------------------------------------ figures
    def por_texto(self) -> dict[str, list[Tentativa]]:
        with self._trava:
            tentativas = list(self.tentativas)
        agrupadas: dict[str, list[Tentativa]] = defaultdict(list)
        for t in tentativas:
            agrupadas[t.texto].append(t)
        return agrupadas

    # ------------------------------------------------------------------------------ HTTP
    def _registrar(self, tentativa: Tentativa) -> None:
        with self._trava:
            self.tentativas.append(tentativa)

    def _novo_wamid(self) -> str:
        with self._trava:
            return f"wamid.falso.{next(self._ids):06d}"

    def _decidir(self, destino: str) -> str:
        if destino.lstrip("+") in self.sempre_falha:
            return "500"
        if not self._em_tempestade:
            return "200"
        with self._trava:
            return next(self._falhas)

    def _manipulador(self):
        provedor = self

        class Manipulador(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _responder(self, codigo: int, corpo: dict, cabecalhos: dict | None = None):
                dados = json.dumps(corpo).encode()
                try:
                    self.send_response(codigo)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(dados)))
                    for nome, valor in (cabecalhos or {}).items():
                        self.send_header(nome, valor)
                    self.end_headers()
                    self.wfile.write(dados)
                except OSError:  # the caller gave up (timeout): nobody reads this answer
                    pass

            def do_POST(self) -> None:
                corpo = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                if not self.path.endswith("/messages"):
                    self._responder(404, {"error": {"message": "unknown path", "code": 100}})
                    return
                destino = str(corpo.get("to") or "")
                texto = str((corpo.get("text") or {}).get("body") or "")
                decisao = provedor._decidir(destino)
                if decisao == "200":
                    wamid = provedor._novo_wamid()
                    provedor._registrar(Tentativa(texto, destino, "aceita", "200", wamid))
                    self._responder(200, _aceite(destino, wamid))
                elif decisao in ("500", "503"):
                    provedor._registrar(Tentativa(texto, destino, "recusada", decisao))
                    codigo = 1 if decisao == "500" else 2
                    erro = {"message": "An unknown error occurred", "type": "OAuthException",
                            "code": codigo, "fbtrace_id": "falhas"}  # fmt: skip
                    self._responder(int(decisao), {"error": erro})
                elif decisao == "429":
                    provedor._registrar(Tentativa(texto, destino, "recusada", "429"))
                    erro = {"message": "(#130429) Rate limit hit", "type": "OAuthException",
                            "code": 130429, "fbtrace_id": "falhas"}  # fmt: skip
                    self._responder(
                        429, {"error": erro}, {"Retry-After": str(provedor.retry_after)}
                    )
                else:  # a hang past the caller's timeout
                    time.sleep(provedor.espera_travada)
                    if decisao == "trava_entrega":  # delivered, but the answer comes too late
                        wamid = provedor._novo_wamid()
                        provedor._registrar(
                            Tentativa(texto, destino, "aceita_tarde", "trava", wamid)
                        )
                        self._responder(200, _aceite(destino, wamid))
                    else:
                        provedor._registrar(Tentativa(texto, destino, "recusada", "trava"))
                        self._responder(504, {"error": {"message": "timeout", "code": 2}})

        return Manipulador


def _aceite(destino: str, wamid: str) -> dict:
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": destino, "wa_id": destino}],
        "messages": [{"id": wamid}],
    }
