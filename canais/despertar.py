"""Waking the drain of stored webhooks (``process_webhook(drenar=True)``) without one task per
webhook: a Redis flag on the cache's server says "a drain task is queued and has not started
yet" (:func:`despertar`), and the drain itself (:func:`drenar`) processes pending events in
batches until none is left.  Used by the webhook view's group commit (``canais.gravacao``),
the event service (``canais.webhooks_guardados``) and the inbound tasks.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

from canais.enfileirar import aviso, enfileirar, process_webhook

logger = logging.getLogger(__name__)

__all__ = [
    "CHAVE_DESPERTAR",
    "aquecer",
    "despertar",
    "despertar_armado",
    "despertar_rearmar",
    "drenar",
    "reagendar",
    "webhooks_pendentes_varrer",
]

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


def aquecer() -> None:
    """Connect the flag's Redis client, build the broker's task sender and open a pooled
    broker connection now (a process starting), not in the first wake-up: in a fresh web
    process that cost ~30 ms (quiet box) inside the group commit of the first webhooks.
    Errors are raised (the caller logs them)."""
    despertar_armado()
    app = process_webhook.app
    app.amqp.send_task_message  # noqa: B018 - builds the sender (routes, event dispatcher)
    with app.producer_or_acquire() as produtor:
        produtor.connection.ensure_connection(max_retries=1)


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


def drenar() -> int:
    """Process pending events oldest first, a batch (WEBHOOK_LOTE) per transaction, until
    none is left (or WEBHOOK_DRENAGEM_MAX, then hand over to a new task).  Database errors propagate
    (the task retries)."""
    from atendimento.realtime.publicar import aguardar_publicacoes
    from canais.webhooks_guardados import eventos_webhook_processar_lote

    feitos = 0
    maximo = int(settings.WEBHOOK_DRENAGEM_MAX)
    while feitos < maximo:
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


def webhooks_pendentes_varrer(
    *, idade_segundos: float | None = None, limite: int | None = None
) -> int:
    """Re-queue events stored but still unprocessed (the broker was down when they arrived, or
    their task was lost), and wake the drain when events never tried are waiting.  Returns
    how many were re-queued.  Defaults: ``VARREDURA_WEBHOOKS_IDADE_SEGUNDOS`` and
    ``VARREDURA_WEBHOOKS_LOTE``."""
    from atendimento.models import EventoWebhook
    from canais.webhooks_guardados import eventos_webhook_pendentes_reivindicar

    if idade_segundos is None:
        idade_segundos = float(settings.VARREDURA_WEBHOOKS_IDADE_SEGUNDOS)
    if limite is None:
        limite = int(settings.VARREDURA_WEBHOOKS_LOTE)
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
