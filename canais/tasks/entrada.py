"""Inbound tasks (webhooks queue): process_webhook, varrer_webhooks_pendentes, baixar_midia.

Thin: each one calls a service.  All are idempotent, so a re-delivery (acks_late, lost worker)
or a sweep re-queueing an event that is also still in the queue does no harm.
"""

from __future__ import annotations

import logging

import redis
from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from canais.adapters.base import ErroTransitorio
from conectcrm.avisos import AvisoLimitado

logger = logging.getLogger(__name__)
#: while Redis is down every webhook fails the same way: one line per interval, no traceback
aviso = AvisoLimitado(logger)

__all__ = [
    "baixar_midia",
    "despertar",
    "despertar_armado",
    "despertar_rearmar",
    "enfileirar",
    "process_webhook",
    "reagendar",
    "varrer_webhooks_pendentes",
]

#: events stored this long ago and still ``recebido`` are re-queued by the sweep
IDADE_VARREDURA_SEGUNDOS = float(getattr(settings, "VARREDURA_WEBHOOKS_IDADE_SEGUNDOS", 30))
LOTE_VARREDURA = 500


def enfileirar(tarefa: Task, *args: str, **kwargs) -> bool:
    """Queue ``tarefa``; False (logged) when the broker is unreachable — callers rely on the
    sweep (events) or on the task's own retries, never on this call succeeding."""
    try:
        tarefa.apply_async(args=args, kwargs=kwargs or None)
    except Exception as exc:  # kombu OperationalError and friends: the broker is down
        aviso("broker", "broker indisponível: %s%s não enfileirada", tarefa.name, args, exc=exc)
        return False
    aviso.esquecer("broker")
    return True


#: key of the "a drain task is queued" flag (cache Redis)
CHAVE_DESPERTAR = "conectcrm:canais:webhooks:despertar"
_redis: tuple[str, redis.Redis] | None = None


def _cliente() -> redis.Redis:
    """One redis-py client per process on the cache's Redis (Django's cache builds a new client
    object per call: ~0.1 ms of the webhook view).  Fork-safe: the pool reconnects in a child."""
    global _redis
    cache = settings.CACHES["default"]
    if _redis is None or _redis[0] != cache["LOCATION"]:
        opcoes = cache.get("OPTIONS", {})
        cliente = redis.Redis.from_url(
            cache["LOCATION"],
            socket_timeout=opcoes.get("socket_timeout", 5),
            socket_connect_timeout=opcoes.get("socket_connect_timeout", 2),
        )
        _redis = (cache["LOCATION"], cliente)
    return _redis[1]


def despertar_armado() -> bool:
    """True while a queued drain task has not started yet (see despertar)."""
    return bool(_cliente().exists(CHAVE_DESPERTAR))


#: events one drain task processes before handing over to a fresh task
LOTE_DRENAGEM = 5000


def despertar(evento_id: str = "") -> bool:
    """After an event is committed: make sure a drain task will run after this moment.

    With ``WEBHOOK_DESPERTAR_SEGUNDOS`` > 0 a burst of webhooks queues a few tasks, not one per
    webhook: the first sets the flag (``SET NX EX``) and queues ``process_webhook(drenar=True)``;
    the others see the flag and publish nothing.  That is safe because the drain task deletes
    the flag *before* it looks for events, so an event committed while the flag is set is
    committed before a queued task starts its scan.  The expiry only bounds the wait when a
    queued task is lost; the sweep stays the safety net.  With 0 (tests' default) each event
    gets its own ``process_webhook(evento_id)``, as before.
    """
    validade = float(settings.WEBHOOK_DESPERTAR_SEGUNDOS)
    if validade <= 0:
        return enfileirar(process_webhook, evento_id)
    try:
        if not _cliente().set(CHAVE_DESPERTAR, 1, nx=True, px=max(int(validade * 1000), 1)):
            return True  # a queued drain task has not started yet: it will see this event
    except Exception as exc:  # cache Redis down: queue the task anyway
        aviso("cache", "despertar: cache Redis indisponível", exc=exc)
    if enfileirar(process_webhook, evento_id, drenar=True):
        return True
    despertar_rearmar()  # nothing was queued: the next event must try again
    return False


def reagendar(evento_id: str, espera: float) -> bool:
    """Process the event again in ``espera`` seconds (False, logged, when the broker is down
    or tasks run inline: the sweep retries it then)."""
    if process_webhook.app.conf.task_always_eager:
        return False  # inline, a countdown would run at once and recurse
    try:
        process_webhook.apply_async(args=(evento_id,), countdown=espera)
    except Exception as exc:
        aviso("broker", "broker indisponível: webhook %s não reagendado", evento_id, exc=exc)
        return False
    return True


def despertar_rearmar() -> None:
    try:
        _cliente().delete(CHAVE_DESPERTAR)
    except Exception as exc:
        aviso("cache", "despertar: cache Redis indisponível", exc=exc)


def _espera(tentativa: int, maximo: float = 300) -> float:
    return min(2.0**tentativa, maximo)


def _drenar() -> int:
    """Process pending events oldest first, a batch (WEBHOOK_LOTE) per transaction, until
    none is left (or LOTE_DRENAGEM, then hand over to a new task).  Database errors propagate
    (the task retries)."""
    from atendimento.realtime.publicar import aguardar_publicacoes
    from canais.eventos import eventos_webhook_processar_lote

    feitos = 0
    while feitos < LOTE_DRENAGEM:
        # let this process's realtime thread keep up with what the batches publish: the loop
        # is CPU-bound and would otherwise starve it of the GIL (frames then pile up and reach
        # the sockets only when the queue runs dry: e2e p50 35 s at 90 msg/s, measured).  It
        # may still be sending the last batch while this one is processed.
        aguardar_publicacoes(5.0, restantes=int(settings.WEBHOOK_LOTE))
        estados = eventos_webhook_processar_lote()
        if not estados:
            return feitos
        feitos += len(estados)
    despertar()
    return feitos


@shared_task(name="canais.tasks.process_webhook", bind=True, acks_late=True, max_retries=8)
def process_webhook(self: Task, evento_id: str = "", drenar: bool = False) -> str | None:
    """Process the event ``evento_id``; with ``drenar``, then every other pending one."""
    from canais.eventos import evento_webhook_processar, evento_webhook_registrar_falha

    if drenar:
        despertar_rearmar()  # before any scan: see despertar()
    resultado = None
    try:
        if evento_id:
            try:
                resultado = evento_webhook_processar(evento_id=evento_id)
            except (OperationalError, InterfaceError):
                raise
            except Exception as exc:
                logger.exception("falha ao processar o webhook %s", evento_id)
                evento_webhook_registrar_falha(
                    evento_id=evento_id, erro=f"{type(exc).__name__}: {exc}"
                )
        if drenar:
            _drenar()
    except (OperationalError, InterfaceError) as exc:  # database restarting, deadlock…
        raise self.retry(exc=exc, countdown=_espera(self.request.retries)) from exc
    return resultado


@shared_task(name="canais.tasks.varrer_webhooks_pendentes", acks_late=True)
def varrer_webhooks_pendentes(
    idade_segundos: float = IDADE_VARREDURA_SEGUNDOS, limite: int = LOTE_VARREDURA
) -> int:
    """Re-queue events stored but still unprocessed (the broker was down when they arrived, or
    their task was lost), and wake the drain when events never tried are waiting.  Returns
    how many were re-queued."""
    from atendimento.models import EventoWebhook
    from canais.eventos import eventos_webhook_pendentes_reivindicar

    ids = eventos_webhook_pendentes_reivindicar(idade_segundos=idade_segundos, limite=limite)
    enfileirados = sum(enfileirar(process_webhook, str(evento_id)) for evento_id in ids)
    if (
        float(settings.WEBHOOK_DESPERTAR_SEGUNDOS) > 0
        and EventoWebhook.objects.filter(
            status=EventoWebhook.Status.RECEBIDO, tentativas=0
        ).exists()
    ):
        # events whose wake-up was lost with the broker (Redis restarted): the drain takes
        # them now, whatever their age
        despertar()
    if ids:
        logger.info(
            "varredura: %d de %d webhooks pendentes re-enfileirados", enfileirados, len(ids)
        )
    return enfileirados


@shared_task(name="canais.tasks.baixar_midia", bind=True, acks_late=True, max_retries=6)
def baixar_midia(self: Task, mensagem_id: str) -> None:
    from atendimento.services.midia import mensagem_midia_baixar, mensagem_midia_marcar_erro

    try:
        mensagem_midia_baixar(mensagem_id=mensagem_id)
    except ErroTransitorio as exc:
        if self.request.retries >= self.max_retries:
            mensagem_midia_marcar_erro(mensagem_id=mensagem_id, detalhe=str(exc))
            return
        espera = exc.retry_after if exc.retry_after is not None else _espera(self.request.retries)
        raise self.retry(exc=exc, countdown=espera) from exc
