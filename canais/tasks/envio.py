"""Outbound tasks (``messages`` queue): enviar_mensagem, enviar_midia, reenviar_mensagem,
enviar_lote, digitando, marcar_lida_provedor, responder_callback, sincronizar_templates,
varrer_mensagens_pendentes.

Thin: each task calls a service (:mod:`atendimento.services.envio`, ``lote``,
``templates_whatsapp``, imported inside the task so this module imports no service) and only
decides about retrying.  Sending is idempotent (see the service), so a re-delivery
(``acks_late``, a lost worker) or the sweep queueing a message twice sends it once.

Throttling of ``enviar_lote``: messages of one channel are spread with ``countdown`` at the
channel's rate (``mensagens_por_segundo`` in its config, else its adapter's
``taxa_lote_por_segundo``).  Two batches on the same channel at once share the limit; a 429 is
then retried like any transient failure.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from canais.adapters.base import ErroTransitorio

__all__ = [
    "digitando",
    "enviar_lote",
    "enviar_mensagem",
    "enviar_midia",
    "marcar_lida_provedor",
    "reenviar_mensagem",
    "responder_callback",
    "sincronizar_templates",
    "varrer_mensagens_pendentes",
]


def _enviar(tarefa: Task, mensagem_id: str) -> None:
    from atendimento.services.envio import mensagem_enviar_ao_provedor

    maximo = int(settings.ENVIO_MAX_TENTATIVAS)  # retries after the first attempt
    repetir = mensagem_enviar_ao_provedor(
        mensagem_id=mensagem_id,
        tentativa=tarefa.request.retries,
        ultima=tarefa.request.retries >= maximo,
    )
    if repetir is not None:
        raise tarefa.retry(countdown=repetir.espera, exc=repetir.erro, max_retries=maximo)


# max_retries is ENVIO_MAX_TENTATIVAS, read at each attempt (see _enviar)
_OPCOES_ENVIO: dict[str, Any] = {"bind": True, "max_retries": None, "acks_late": True}


@shared_task(name="canais.tasks.enviar_mensagem", **_OPCOES_ENVIO)
def enviar_mensagem(self, mensagem_id: str) -> None:
    _enviar(self, mensagem_id)


@shared_task(name="canais.tasks.enviar_midia", **_OPCOES_ENVIO)
def enviar_midia(self, mensagem_id: str) -> None:
    _enviar(self, mensagem_id)


@shared_task(name="canais.tasks.reenviar_mensagem", **_OPCOES_ENVIO)
def reenviar_mensagem(self, mensagem_id: str) -> None:
    _enviar(self, mensagem_id)


@shared_task(name="canais.tasks.enviar_lote", bind=True, max_retries=5, acks_late=True)
def enviar_lote(self, mensagem_ids: list[str] | None = None, lote_id: str = "") -> None:
    """A bulk send (``lote_id``: an ``EnvioLote``): the next minute's worth of recipients at
    the channel's rate, each message queued with its own delay, then this task again a minute
    later until none is left (no task waits more than a minute in the broker).

    ``mensagem_ids``: messages already stored for many tickets, queued spaced per channel.
    Re-running either is harmless: a recipient is taken once, a message is sent once.
    """
    from atendimento.services.envio import espera_retentativa
    from atendimento.services.lote import lote_mensagens_enfileirar, lote_processar

    if not lote_id:
        lote_mensagens_enfileirar(mensagem_ids=mensagem_ids or [])
        return
    try:
        espera = lote_processar(lote_id=lote_id)
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=espera_retentativa(self.request.retries)) from exc
    if espera is not None:
        enviar_lote.apply_async(kwargs={"lote_id": lote_id}, countdown=espera)


@shared_task(name="canais.tasks.responder_callback", bind=True, max_retries=3, ignore_result=True)
def responder_callback(self, mensagem_id: str) -> None:
    """Acknowledge a button press (Telegram answerCallbackQuery); best effort (Telegram drops
    the query after a while anyway)."""
    from atendimento.services.envio import callback_responder_no_provedor, logger

    try:
        callback_responder_no_provedor(mensagem_id=mensagem_id)
    except ErroTransitorio as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(countdown=min(2**self.request.retries, 5), exc=exc) from exc
        logger.info("callback da mensagem %s não respondido: %s", mensagem_id, exc)


@shared_task(name="canais.tasks.sincronizar_templates", ignore_result=True)
def sincronizar_templates(canal_id: str = "") -> dict[str, Any]:
    """Approved WhatsApp templates: one channel, or (beat, daily) every active channel."""
    from atendimento.services.templates_whatsapp import templates_sincronizar_ativos

    return templates_sincronizar_ativos(canal_id=canal_id)


@shared_task(name="canais.tasks.varrer_mensagens_pendentes", ignore_result=True)
def varrer_mensagens_pendentes() -> int:
    """Re-queue outbound messages stuck in ``pendente`` (beat)."""
    from atendimento.services.envio import mensagens_pendentes_reenfileirar

    return mensagens_pendentes_reenfileirar()


@shared_task(name="canais.tasks.digitando", ignore_result=True)
def digitando(ticket_id: str) -> None:
    """Show "typing…" to the customer (debounced per ticket; best effort)."""
    from atendimento.services.envio import ticket_digitando_no_provedor

    ticket_digitando_no_provedor(ticket_id=ticket_id)


@shared_task(name="canais.tasks.marcar_lida_provedor", bind=True, max_retries=3, ignore_result=True)
def marcar_lida_provedor(self, mensagem_id: str) -> None:
    """Read receipt for an inbound message (WhatsApp blue ticks); unsupported: nothing."""
    from atendimento.services.envio import (
        espera_retentativa,
        logger,
        mensagem_marcar_lida_no_provedor,
    )

    try:
        mensagem_marcar_lida_no_provedor(mensagem_id=mensagem_id)
    except ErroTransitorio as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(
                countdown=espera_retentativa(self.request.retries, exc.retry_after), exc=exc
            ) from exc
        logger.warning("confirmação de leitura desistida para %s: %s", mensagem_id, exc)
