"""Group commit on the acknowledgement path: concurrent webhook requests of one server process
share ONE ``INSERT … ON CONFLICT DO NOTHING`` (one statement text whatever the group's size:
an array per column, ``atendimento.services.insercao.inserir_varios_por_colunas``), committed
as it runs.

A request hands its ``EventoWebhook`` to the process's writer thread and waits; the writer
takes every row queued at that moment (up to ``WEBHOOK_GRUPO_MAX`` rows, and for at most
``WEBHOOK_GRUPO_JANELA_MS`` more for stragglers; 0 by default: rows queued while a commit is
in flight form the next group by themselves), inserts them in one autocommit statement
(committed, and durable, when PostgreSQL answers it), and only then
answers each request — inserted, or already stored (a provider re-delivery) — so a 200 still
means "durably stored".  An error (PostgreSQL down) is raised in every waiting request (the
view answers 503) and the writer's connection is dropped, so the next group reconnects.

After the commit the drain is woken ONCE for the group (``canais.tasks.entrada.despertar``,
one Redis command), or once per event when the coalescing is off.

One writer per process, started on first use (fork-safe: a child starts its own).  The writer
uses its own database connection, so a caller already inside a transaction must not use it
(its row belongs to that transaction): ``evento_webhook_registrar`` checks that.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, InvalidStateError

from django.conf import settings
from django.db import connection

from atendimento.models import EventoWebhook
from atendimento.services.insercao import inserir_varios_por_colunas
from canais.despertar import despertar

logger = logging.getLogger(__name__)

_ESPERA_MAX_SEGUNDOS = 30.0
#: the connection is checked (health check, CONN_MAX_AGE) before a group that follows an
#: idle gap longer than this
_VERIFICAR_APOS_OCIOSO_SEGUNDOS = 1.0


class GravadorEmGrupo:
    def __init__(self) -> None:
        self._pid: int | None = None
        self._trava = threading.Lock()
        self._condicao = threading.Condition(self._trava)
        self._fila: list[tuple[EventoWebhook, Future]] = []
        self.grupos = 0  # statistics (tests, benchmarks)
        self.linhas = 0

    def gravar(self, evento: EventoWebhook) -> bool:
        """Store ``evento`` durably with the others queued now; True when inserted, False
        when an equal event was already stored.  Database errors are raised."""
        return self.enfileirar(evento).result(timeout=_ESPERA_MAX_SEGUNDOS)

    def enfileirar(self, evento: EventoWebhook) -> Future:
        """:meth:`gravar` without waiting: the future resolves (True/False, or the database
        error) once the row's group is committed (the ASGI webhook path awaits it)."""
        futuro: Future = Future()
        with self._condicao:
            self._garantir()
            self._fila.append((evento, futuro))
            self._condicao.notify()
        return futuro

    def iniciar(self) -> None:
        """Start this process's writer now and let it warm up before its first group (a
        server process starting): its database connection, and the wake-up's Redis client and
        broker sender (``despertar.aquecer``).  A fresh web process otherwise paid for them
        in the group commit of its first webhooks — every request of the group waiting.
        A failure is logged; the first group pays for what is missing."""
        with self._condicao:
            self._garantir(aquecer=True)

    def _garantir(self, *, aquecer: bool = False) -> None:
        if self._pid == os.getpid():
            return
        self._fila = []
        self._pid = os.getpid()
        threading.Thread(
            target=self._rodar, args=(aquecer,), name="gravador-webhooks", daemon=True
        ).start()

    @staticmethod
    def _aquecer() -> None:
        from canais.despertar import aquecer

        try:
            connection.ensure_connection()
            aquecer()
        except Exception:
            logger.warning("aquecimento do gravador de webhooks falhou", exc_info=True)

    def _proximo_grupo(self) -> list[tuple[EventoWebhook, Future]]:
        maximo = int(settings.WEBHOOK_GRUPO_MAX)
        janela = float(settings.WEBHOOK_GRUPO_JANELA_MS) / 1000
        with self._condicao:
            while not self._fila:
                self._condicao.wait()
            if janela > 0 and len(self._fila) < maximo:
                limite = time.monotonic() + janela
                while len(self._fila) < maximo and (resta := limite - time.monotonic()) > 0:
                    self._condicao.wait(resta)
            grupo, self._fila = self._fila[:maximo], self._fila[maximo:]
        return grupo

    def _rodar(self, aquecer: bool = False) -> None:
        if aquecer:
            self._aquecer()
        ultimo = 0.0
        while True:
            grupo = self._proximo_grupo()
            if time.monotonic() - ultimo > _VERIFICAR_APOS_OCIOSO_SEGUNDOS:
                # honours CONN_MAX_AGE and re-arms CONN_HEALTH_CHECKS (a SELECT 1 before the
                # next transaction): only after an idle gap, since a connection that
                # committed a moment ago is alive — per group, under load, that round trip
                # was a sixth of the writer's time.  If it died anyway, the group fails (503,
                # the provider retries) and the connection is replaced for the next one.
                connection.close_if_unusable_or_obsolete()
            try:
                inseridos = self._inserir([evento for evento, _ in grupo])
            except BaseException as exc:
                connection.close()  # reconnect for the next group
                for _, futuro in grupo:
                    _resolver(futuro, excecao=exc)
                ultimo = 0.0
                continue
            # woken before answering, as the per-request path does (on_commit, then 200)
            self._despertar([e for e, _ in grupo if e.pk in inseridos])
            for evento, futuro in grupo:
                _resolver(futuro, resultado=evento.pk in inseridos)
            ultimo = time.monotonic()

    def _inserir(self, eventos: list[EventoWebhook]) -> set:
        # One statement in autocommit: PostgreSQL commits it before it answers (and, with
        # synchronous_commit on, after its WAL is flushed), so when this returns the rows
        # are durable — one round trip per group instead of three (BEGIN, INSERT, COMMIT),
        # each a wake-up of the backend that waits for a core on a busy box.
        inseridos = inserir_varios_por_colunas(eventos)
        self.grupos += 1
        self.linhas += len(eventos)
        return inseridos

    @staticmethod
    def _despertar(eventos: list[EventoWebhook]) -> None:
        pendentes = [e for e in eventos if e.status == EventoWebhook.Status.RECEBIDO]
        if not pendentes:
            return
        try:
            if float(settings.WEBHOOK_DESPERTAR_SEGUNDOS) > 0:
                despertar(str(pendentes[0].pk))  # one drain task sees them all
            else:
                for evento in pendentes:
                    despertar(str(evento.pk))
        except Exception:  # never lose the writer thread: the sweep re-queues the events
            logger.exception("despertar após a gravação em grupo falhou")


def _resolver(futuro: Future, *, resultado=None, excecao: BaseException | None = None) -> None:
    """Answer a waiting request; one whose waiter gave up (cancelled) is skipped, never an
    error in the writer thread."""
    try:
        if excecao is not None:
            futuro.set_exception(excecao)
        else:
            futuro.set_result(resultado)
    except InvalidStateError:
        pass


gravador = GravadorEmGrupo()

if hasattr(os, "register_at_fork"):  # the child inherits no writer thread (and maybe a held lock)
    os.register_at_fork(after_in_child=gravador.__init__)
