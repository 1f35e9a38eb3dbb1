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
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from atendimento.models import Canal, EventoWebhook
from atendimento.services.insercao import inserir_ignorando_conflito
from canais.adapters.base import (
    EventoDescartado,
    PayloadInvalido,
    RequisicaoWebhook,
    StatusEntrada,
)
from canais.despertar import despertar, reagendar
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
#: facts an adapter established while verifying (``AdaptadorCanal.cabecalhos_verificados``)
PREFIXO_VERIFICADOS = "x-conectcrm-"
PREFIXOS_GUARDADOS = ("x-amz-sns-", PREFIXO_VERIFICADOS)

Status = EventoWebhook.Status


def cabecalhos_guardados(cabecalhos: Mapping[str, str]) -> dict[str, str]:
    return {
        nome: valor
        for nome, valor in cabecalhos.items()
        if nome in CABECALHOS_GUARDADOS or nome.startswith(PREFIXOS_GUARDADOS)
    }


def _apos_commit_enfileirar(evento_id: uuid.UUID) -> None:
    despertar(str(evento_id))


def evento_webhook_novo(
    *, canal: Canal, req: RequisicaoWebhook, id_evento: str | None
) -> EventoWebhook:
    """The row a verified request is stored as (not saved)."""
    return EventoWebhook(
        empresa_id=canal.empresa_id,
        canal=canal,
        id_evento_externo=id_evento[:255] if id_evento else None,
        corpo=req.corpo,
        cabecalhos=cabecalhos_guardados(req.cabecalhos),
        url=req.url,
        status=Status.RECEBIDO if canal.ativo else Status.IGNORADO,
        erro="" if canal.ativo else "canal inativo",
    )


def evento_webhook_registrar(
    *, canal: Canal, req: RequisicaoWebhook, id_evento: str | None
) -> EventoWebhook | None:
    """Store a verified request durably; None when this provider event id was already stored
    (a re-delivery: nothing written).  Outside a transaction the row goes through the
    process's group commit (``canais.gravacao``).  Events of an inactive channel are kept as
    ``ignorado``; the others are queued for processing after commit (if the broker is down,
    the sweep re-queues them)."""
    evento = evento_webhook_novo(canal=canal, req=req, id_evento=id_evento)
    if settings.WEBHOOK_GRAVACAO_EM_GRUPO and not connection.in_atomic_block:
        from canais.gravacao import gravador

        return evento if gravador.gravar(evento) else None  # it also wakes the drain
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


def _bloqueio():
    """Event rows alone, locked unless another worker holds them (no join: see _canal)."""
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


def _reivindicar(ids: list | None, limite: int) -> list[EventoWebhook]:
    """Lock the events ``ids`` still ``recebido`` — or, without ids, the ``limite`` oldest
    ones no one has tried yet (``tentativas`` 0) — skipping rows another worker holds."""
    pendentes = _bloqueio().filter(status=Status.RECEBIDO)
    if ids is not None:
        return list(pendentes.filter(pk__in=ids).order_by("recebido_em"))
    # no join here: with one the planner sorted the whole backlog to take a few rows
    return list(pendentes.filter(tentativas=0).order_by("recebido_em")[:limite])


def _lote(ids: list | None, limite: int, reivindicados: list) -> dict[uuid.UUID, str]:
    """Claim and process, in ONE transaction, a batch of events; their final statuses.  The
    claimed ids are appended to ``reivindicados`` (the caller's to split on an error)."""
    with transaction.atomic():
        eventos = _reivindicar(ids, limite)
        reivindicados.extend(e.pk for e in eventos)
        return _processar_lote(eventos) if eventos else {}


def evento_webhook_processar(*, evento_id: uuid.UUID | str) -> str | None:
    """Interpret a stored event and apply each of its events, in one transaction with the
    status change (so a crash leaves it ``recebido`` and nothing half-applied) — a batch of
    one on the batch path.

    Idempotent: an event already processed, or being processed by another worker right now
    (row locked), is left alone.  A verified but malformed body ends ``falhou`` with the reason.
    Returns the event's status, or None when it was skipped.  Errors propagate.
    """
    return _lote([evento_id], 1, []).get(uuid.UUID(str(evento_id)))


def eventos_webhook_processar_lote(
    *, ids: list | None = None, limite: int | None = None
) -> dict[uuid.UUID, str]:
    """The drain of the ``webhooks`` queue: claim up to ``limite`` (WEBHOOK_LOTE) pending
    events oldest first (``FOR UPDATE SKIP LOCKED``: two workers never take the same one) and
    process them in one transaction (``atendimento.services.entrada_lote``); their statuses,
    empty when nothing was pending.

    A batch that raises is rolled back, split in halves and each half retried, so one poison
    event cannot stall the others; an event failing alone has the attempt counted
    (:func:`evento_webhook_registrar_falha`: the sweep retries it, ``falhou`` with the reason
    after WEBHOOK_MAX_TENTATIVAS) and is reported ``recebido``.  Events that failed once
    (``tentativas`` > 0) are left to the sweep, so a poison event cannot spin here.  Lost
    connections and deadlocks (OperationalError, InterfaceError) propagate: nothing was
    committed, the caller retries.
    """
    limite = limite or int(settings.WEBHOOK_LOTE)
    reivindicados: list[uuid.UUID] = []
    try:
        return _lote(ids, limite, reivindicados)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        if not reivindicados:
            raise
        if len(reivindicados) == 1:
            (evento_id,) = reivindicados
            logger.error("falha ao processar o webhook %s", evento_id, exc_info=exc)
            evento_webhook_registrar_falha(evento_id=evento_id, erro=f"{type(exc).__name__}: {exc}")
            return {evento_id: Status.RECEBIDO}
        meio = len(reivindicados) // 2
        estados = eventos_webhook_processar_lote(ids=reivindicados[:meio], limite=meio)
        estados.update(eventos_webhook_processar_lote(ids=reivindicados[meio:], limite=limite))
        return estados


def _interpretar(evento: EventoWebhook, canal: Canal) -> list | None:
    """The normalised events of a stored request; None when the event was concluded here: a
    malformed body (``falhou`` with the reason) or a delivery the adapter discards
    (``processado``, ``descartado: <reason>``)."""
    adaptador = get_adaptador(canal.tipo, canal.config_completa)
    try:
        interpretados = adaptador.interpretar(requisicao_do_evento(evento))
        # the channel's own checks (the e-mail loop guard): a reason discards the delivery
        for filtro in adaptador.filtros_entrada():
            for item in interpretados:
                motivo = filtro(canal, item)
                if motivo:
                    raise EventoDescartado(motivo)
        return interpretados
    except PayloadInvalido as exc:
        logger.warning("webhook %s malformado: %s", evento.pk, exc)
        _concluir(evento, Status.FALHOU, str(exc))
        return None
    except EventoDescartado as exc:  # an auto-reply, a bounce, bulk mail: kept, never a ticket
        _concluir(evento, Status.PROCESSADO, f"descartado: {exc.motivo}")
        return None


def _processar_lote(eventos: list[EventoWebhook]) -> dict[uuid.UUID, str]:
    from atendimento.services.entrada_lote import eventos_processar

    estados: dict[uuid.UUID, str] = {}
    canais: dict[uuid.UUID, Canal] = {}
    itens: list = []
    donos: list[EventoWebhook] = []
    for evento in eventos:
        evento.tentativas += 1
        if evento.canal_id not in canais:
            canais[evento.canal_id] = _canal(evento.canal_id)
        canal = canais[evento.canal_id]
        interpretados = _interpretar(evento, canal)
        if interpretados is None:  # concluded there: malformed, or discarded
            estados[evento.pk] = evento.status
            continue
        itens += [(canal, item) for item in interpretados]
        donos += [evento] * len(interpretados)
    desconhecidas: dict[uuid.UUID, list[str]] = {}
    for (_, item), resultado, evento in zip(itens, eventos_processar(itens), donos, strict=True):
        if resultado is None and isinstance(item, StatusEntrada) and item.id_externo:
            desconhecidas.setdefault(evento.pk, []).append(item.id_externo)
    agora = timezone.now()
    processados = []
    for evento in eventos:
        if evento.pk in estados:
            continue
        if evento.pk in desconhecidas:
            estados[evento.pk] = _status_prematuro(evento, desconhecidas[evento.pk])
        else:
            processados.append(evento.pk)
            estados[evento.pk] = Status.PROCESSADO
    if processados:  # one statement for the batch
        EventoWebhook.objects.filter(pk__in=processados).update(
            status=Status.PROCESSADO,
            erro="",
            processado_em=agora,
            tentativas=F("tentativas") + 1,
            atualizado_em=agora,
        )
    return estados


def _status_prematuro(evento: EventoWebhook, ids: list[str]) -> str:
    """Statuses of messages we do not know (yet): the send task records the provider's id
    after the provider call, and the ``sent`` status can arrive first.  The event stays
    ``recebido`` and is processed again later (everything in it is idempotent) until
    ``settings.WEBHOOK_ESPERA_STATUS_SEGUNDOS`` after it arrived; then it ends ``processado``
    with a note (a status for a message sent by another system on the same number, say)."""
    lista = ", ".join(ids)[:3000]
    espera = timedelta(seconds=settings.WEBHOOK_ESPERA_STATUS_SEGUNDOS)
    if timezone.now() - evento.recebido_em >= espera:
        _concluir(evento, Status.PROCESSADO, f"status de mensagem desconhecida ignorado: {lista}")
        return Status.PROCESSADO
    evento.erro = f"aguardando a mensagem do status: {lista}"
    evento.save(update_fields=["tentativas", "erro", "atualizado_em"])
    espera = min(5.0 * 2 ** (evento.tentativas - 1), 60.0)
    transaction.on_commit(partial(_apos_commit_reagendar, evento.pk, espera))
    return Status.RECEBIDO


def _apos_commit_reagendar(evento_id: uuid.UUID, espera: float) -> None:
    reagendar(str(evento_id), espera)


def evento_webhook_processar_ou_registrar_falha(*, evento_id: uuid.UUID | str) -> str | None:
    """The ``process_webhook`` task's unit of work: :func:`evento_webhook_processar`; an
    unexpected error is logged and counted as a failed attempt.  Database errors propagate (the
    task retries)."""
    try:
        return evento_webhook_processar(evento_id=evento_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        logger.exception("falha ao processar o webhook %s", evento_id)
        evento_webhook_registrar_falha(evento_id=evento_id, erro=f"{type(exc).__name__}: {exc}")
        return None


@transaction.atomic
def evento_webhook_registrar_falha(*, evento_id: uuid.UUID | str, erro: str) -> None:
    """Count a failed attempt; after ``WEBHOOK_MAX_TENTATIVAS`` the event ends ``falhou``
    (until then the sweep retries it)."""
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
    if evento.tentativas >= int(settings.WEBHOOK_MAX_TENTATIVAS):
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


@transaction.atomic
def eventos_ignorados_reprocessar(*, empresa_id: uuid.UUID, ids: list) -> tuple[int, int]:
    """ "Processar agora": events stored as ``ignorado`` (their channel was inactive) go back to
    ``recebido`` and are queued, so what a customer wrote meanwhile reaches the inbox.  Only
    events of this empresa whose channel is active now; returns (queued, left because the
    channel is still inactive)."""
    base = EventoWebhook.objects.select_for_update(of=("self",)).filter(
        empresa_id=empresa_id, pk__in=ids, status=Status.IGNORADO
    )
    prontos = list(base.filter(canal__ativo=True).values_list("pk", flat=True))
    inativos = base.filter(canal__ativo=False).count()
    if prontos:
        EventoWebhook.objects.filter(pk__in=prontos).update(
            status=Status.RECEBIDO,
            tentativas=0,
            erro="",
            processado_em=None,
            atualizado_em=timezone.now(),
        )
        for evento_id in prontos:
            transaction.on_commit(partial(_apos_commit_enfileirar, evento_id))
    return len(prontos), inativos
