"""The life of an inbound webhook (``EventoWebhook``): stored before it is acknowledged, handed to
the ``webhooks`` queue after commit, processed once, swept up again if the queue lost it.

Statuses: ``recebido`` (stored, not processed yet) → ``processado`` | ``falhou`` (the reason in
``erro``); ``ignorado`` for events of an inactive channel (kept, never processed).  A delivery
the adapter discards (an e-mail auto-reply, bounce or bulk mail) ends ``processado`` with
``erro`` = ``descartado: <reason>``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from atendimento.models import Canal, EventoWebhook
from atendimento.services.insercao import inserir_ignorando_conflito
from canais.adapters.base import (
    EventoDescartado,
    PayloadInvalido,
    RequisicaoWebhook,
    StatusEntrada,
)
from canais.registry import get_adaptador

logger = logging.getLogger(__name__)

#: headers kept with the raw body: what processing and an audit need; never credentials
#: (Authorization, cookies, Telegram's secret token)
CABECALHOS_GUARDADOS = frozenset(
    {
        "content-type",
        "content-encoding",
        "user-agent",
        "x-hub-signature-256",
        "x-twilio-signature",
        "i-twilio-idempotency-token",
        "x-twilio-email-event-webhook-signature",
        "x-twilio-email-event-webhook-timestamp",
        "x-forwarded-for",
        "x-request-id",
    }
)
PREFIXOS_GUARDADOS = ("x-amz-sns-",)

#: processing attempts before an event that keeps raising unexpected errors is given up
MAX_TENTATIVAS = 5
#: how long a status of a message not recorded yet is retried (see _status_prematuro)
ESPERA_STATUS_SEGUNDOS = 300

Status = EventoWebhook.Status


def cabecalhos_guardados(cabecalhos: Mapping[str, str]) -> dict[str, str]:
    return {
        nome: valor
        for nome, valor in cabecalhos.items()
        if nome in CABECALHOS_GUARDADOS or nome.startswith(PREFIXOS_GUARDADOS)
    }


def _apos_commit_enfileirar(evento_id: uuid.UUID) -> None:
    from canais.tasks.entrada import despertar

    despertar(str(evento_id))


def evento_webhook_registrar(
    *, canal: Canal, req: RequisicaoWebhook, id_evento: str | None
) -> EventoWebhook | None:
    """Store a verified request durably; None when this provider event id was already stored
    (a re-delivery: nothing written).  Events of an inactive channel are kept as ``ignorado``;
    the others are queued for processing after commit (if the broker is down, the sweep
    re-queues them)."""
    evento = EventoWebhook(
        empresa_id=canal.empresa_id,
        canal=canal,
        id_evento_externo=id_evento[:255] if id_evento else None,
        corpo=req.corpo,
        cabecalhos=cabecalhos_guardados(req.cabecalhos),
        url=req.url,
        status=Status.RECEBIDO if canal.ativo else Status.IGNORADO,
        erro="" if canal.ativo else "canal inativo",
    )
    if not inserir_ignorando_conflito(evento):
        return None
    if evento.status == Status.RECEBIDO:
        transaction.on_commit(partial(_apos_commit_enfileirar, evento.pk))
    return evento


def requisicao_do_evento(evento: EventoWebhook) -> RequisicaoWebhook:
    return RequisicaoWebhook(
        metodo="POST",
        url=evento.url,
        cabecalhos=dict(evento.cabecalhos or {}),
        corpo=bytes(evento.corpo),
        query=dict(parse_qsl(urlsplit(evento.url).query, keep_blank_values=True)),
    )


def _concluir(evento: EventoWebhook, status: str, erro: str = "") -> None:
    evento.status = status
    evento.erro = erro[:4000]
    evento.processado_em = timezone.now()
    evento.save(update_fields=["status", "erro", "processado_em", "tentativas", "atualizado_em"])


class FalhaAoProcessar(Exception):
    """Processing the claimed event ``evento_id`` raised (the original error is the cause);
    its transaction was rolled back."""

    def __init__(self, evento_id: uuid.UUID) -> None:
        super().__init__(str(evento_id))
        self.evento_id = evento_id


def _bloqueio():
    """The event row alone, locked unless another worker holds it (no join: see _canal)."""
    return EventoWebhook.objects.select_for_update(skip_locked=True)


#: canal_id -> (expires at, channel with empresa and default queue)
_CANAIS: dict[uuid.UUID, tuple[float, Canal]] = {}


def _canal(canal_id: uuid.UUID) -> Canal:
    """The event's channel, kept per process for WEBHOOK_CACHE_CANAL_SEGUNDOS (as the webhook
    view does; 0 disables): a join of four tables per event cost ~1 ms of PostgreSQL planning
    and a decryption of the secrets.  A change to a channel reaches processing within that
    time."""
    validade = float(settings.WEBHOOK_CACHE_CANAL_SEGUNDOS)
    agora = time.monotonic()
    guardado = _CANAIS.get(canal_id) if validade > 0 else None
    if guardado is not None and guardado[0] > agora:
        return guardado[1]
    canal = Canal.objects.select_related("empresa", "fila_padrao").get(pk=canal_id)
    if validade > 0:
        if len(_CANAIS) >= 1000:
            _CANAIS.clear()
        _CANAIS[canal_id] = (agora + validade, canal)
    return canal


def evento_webhook_processar(*, evento_id: uuid.UUID | str) -> str | None:
    """Interpret a stored event and apply each of its events, in one transaction with the
    status change (so a crash leaves it ``recebido`` and nothing half-applied).

    Idempotent: an event already processed, or being processed by another worker right now
    (row locked), is left alone.  A verified but malformed body ends ``falhou`` with the reason.
    Returns the event's status, or None when it was skipped.
    """
    with transaction.atomic():
        evento = _bloqueio().filter(pk=evento_id).first()
        if evento is None or evento.status != Status.RECEBIDO:
            return None
        return _processar(evento)


def evento_webhook_processar_proximo() -> tuple[uuid.UUID, str] | None:
    """Claim and process the oldest event still ``recebido`` that no one has tried yet
    (``tentativas`` 0) and no other worker holds (``FOR UPDATE SKIP LOCKED``), in its own
    transaction like :func:`evento_webhook_processar`; None when there is none.

    The drain loop of the ``webhooks`` queue: events are taken in arrival order, two workers
    never take the same one, and an event that failed once is left to the sweep's retries
    (so a poison event cannot spin here).  :class:`FalhaAoProcessar` wraps an unexpected error.
    """
    evento_id = None
    try:
        with transaction.atomic():
            # no join here: with one the planner sorted the whole backlog to take one row
            evento = (
                _bloqueio().filter(status=Status.RECEBIDO, tentativas=0).order_by("recebido_em")
            ).first()
            if evento is None:
                return None
            evento_id = evento.pk
            return evento_id, _processar(evento)
    except (DatabaseError, FalhaAoProcessar):
        raise
    except Exception as exc:
        raise FalhaAoProcessar(evento_id) from exc


def _processar(evento: EventoWebhook) -> str:
    from atendimento.services.entrada import evento_processar

    evento.tentativas += 1
    canal = _canal(evento.canal_id)
    adaptador = get_adaptador(canal.tipo, canal.config_completa)
    try:
        eventos = adaptador.interpretar(requisicao_do_evento(evento))
    except PayloadInvalido as exc:
        logger.warning("webhook %s malformado: %s", evento.pk, exc)
        _concluir(evento, Status.FALHOU, str(exc))
        return Status.FALHOU
    except EventoDescartado as exc:  # an auto-reply, a bounce, bulk mail: kept, never a ticket
        _concluir(evento, Status.PROCESSADO, f"descartado: {exc.motivo}")
        return Status.PROCESSADO
    desconhecidas = [
        item.id_externo
        for item in eventos
        if evento_processar(canal=canal, evento=item) is None
        and isinstance(item, StatusEntrada)
        and item.id_externo
    ]
    if desconhecidas:
        return _status_prematuro(evento, desconhecidas)
    _concluir(evento, Status.PROCESSADO)
    return Status.PROCESSADO


def _status_prematuro(evento: EventoWebhook, ids: list[str]) -> str:
    """Statuses of messages we do not know (yet): the send task records the provider's id
    after the provider call, and the ``sent`` status can arrive first.  The event stays
    ``recebido`` and is processed again later (everything in it is idempotent) until
    ESPERA_STATUS_SEGUNDOS after it arrived; then it ends ``processado`` with a note (a status
    for a message sent by another system on the same number, say)."""
    lista = ", ".join(ids)[:3000]
    if timezone.now() - evento.recebido_em >= timedelta(seconds=ESPERA_STATUS_SEGUNDOS):
        _concluir(evento, Status.PROCESSADO, f"status de mensagem desconhecida ignorado: {lista}")
        return Status.PROCESSADO
    evento.erro = f"aguardando a mensagem do status: {lista}"
    evento.save(update_fields=["tentativas", "erro", "atualizado_em"])
    espera = min(5.0 * 2 ** (evento.tentativas - 1), 60.0)
    transaction.on_commit(partial(_apos_commit_reagendar, evento.pk, espera))
    return Status.RECEBIDO


def _apos_commit_reagendar(evento_id: uuid.UUID, espera: float) -> None:
    from canais.tasks.entrada import reagendar

    reagendar(str(evento_id), espera)


@transaction.atomic
def evento_webhook_registrar_falha(*, evento_id: uuid.UUID | str, erro: str) -> None:
    """Count a failed attempt; after MAX_TENTATIVAS the event ends ``falhou`` (until then the
    sweep retries it)."""
    evento = (
        EventoWebhook.objects.select_for_update()
        .filter(pk=evento_id, status=Status.RECEBIDO)
        .first()
    )
    if evento is None:
        return
    evento.tentativas += 1
    evento.erro = erro[:4000]
    campos = ["tentativas", "erro", "atualizado_em"]
    if evento.tentativas >= MAX_TENTATIVAS:
        evento.status = Status.FALHOU
        evento.processado_em = timezone.now()
        campos += ["status", "processado_em"]
    evento.save(update_fields=campos)


@transaction.atomic
def eventos_webhook_pendentes_reivindicar(*, idade_segundos: float, limite: int) -> list[uuid.UUID]:
    """Claim up to ``limite`` events still ``recebido`` more than ``idade_segundos`` after they
    arrived and after they were last claimed (``atualizado_em`` is bumped), skipping rows locked
    by a worker processing them; two concurrent sweeps never claim the same event."""
    agora = timezone.now()
    limiar = agora - timedelta(seconds=idade_segundos)
    ids = list(
        EventoWebhook.objects.select_for_update(skip_locked=True)
        .filter(status=Status.RECEBIDO, recebido_em__lt=limiar, atualizado_em__lt=limiar)
        .order_by("recebido_em")
        .values_list("id", flat=True)[:limite]
    )
    if ids:
        EventoWebhook.objects.filter(pk__in=ids).update(atualizado_em=agora)
    return ids
