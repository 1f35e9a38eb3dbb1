"""Automatic distribution of a queue's waiting tickets to its agents.

Per queue (``Fila.distribuicao``): ``round_robin`` (members in turn, from the one after
``Fila.ultimo_atendente_distribuido``), ``menos_ocupado`` (fewest open tickets first) or
``manual`` (nothing automatic). Only members who are active, ``online`` (the websocket's
presence, which already waited its grace period) and under their ``capacidade`` (open tickets:
every status but ``fechado``) receive; members with a higher ``AtendenteFila.prioridade`` come
first. With ``Fila.manter_atendente`` a returning customer goes first to the agent who served
them last, when that agent is available.

Race-free in the database, not in Python memory: one assignment is one short transaction that
locks the queue row (distributions of one queue run one at a time), takes the oldest waiting
ticket of the highest priority with ``FOR UPDATE SKIP LOCKED`` (a ticket someone is working on
is left for the next turn), locks the chosen agent's row and counts their open tickets *after*
the lock, so two workers filling one agent's last free slot from two queues assign once. The
assignment itself is :func:`atendimento.services.tickets.ticket_atribuir` (history with the
reason, ``ticket_atualizado`` published), and the agent gets a ``notificacao``.

Triggers: a new ticket (inbound reaction and tickets opened through the API), an agent coming
online, an agent relieved of a ticket (closed, transferred, reassigned), an agent joining a
queue, and the periodic sweep ``distribuir_pendentes`` (safety net). An agent going offline has
their open tickets returned to their queues (``Fila.devolver_se_offline``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from atendimento.models import Atendente, AtendenteFila, Fila, Ticket, TipoNotificacao

logger = logging.getLogger(__name__)

FECHADO = Ticket.Status.FECHADO
#: waiting tickets: priority first, then arrival
ORDEM_PRIORIDADE = Case(
    When(prioridade=Ticket.Prioridade.URGENTE, then=Value(0)),
    When(prioridade=Ticket.Prioridade.ALTA, then=Value(1)),
    When(prioridade=Ticket.Prioridade.MEDIA, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
#: assignments one call makes per queue at most (the sweep continues later)
LIMITE_POR_CHAMADA = 500

#: why a ticket went to an agent: stored as they are in ``Historico``; translated (they are
#: message ids) in the agent's notification
MOTIVOS = {
    Fila.Distribuicao.ROUND_ROBIN: gettext_noop("distribuição automática (rodízio)"),
    Fila.Distribuicao.MENOS_OCUPADO: gettext_noop("distribuição automática (menos ocupado)"),
}
MOTIVO_FIXO = gettext_noop("cliente de volta ao atendente que o atendeu por último")


def _abertos_do_atendente(empresa_id, atendente_id) -> int:
    return (
        Ticket.objects.filter(empresa_id=empresa_id, atendente_id=atendente_id)
        .exclude(status=FECHADO)
        .count()
    )


def _membros_disponiveis(fila: Fila) -> list[AtendenteFila]:
    """Members that may receive now (a snapshot; each is checked again under its lock)."""
    return list(
        _disponiveis(AtendenteFila.objects.filter(fila=fila), fila.empresa_id).select_related(
            "atendente"
        )
    )


def _disponiveis(membros, empresa_id):
    """``membros`` (AtendenteFila rows) who may receive now: active, online and under their
    capacity in open tickets of ``empresa_id`` (a value, or an ``OuterRef`` to the row's)."""
    abertos = (
        Ticket.objects.filter(atendente_id=OuterRef("atendente_id"), empresa_id=empresa_id)
        .exclude(status=FECHADO)
        .order_by()
        .values("atendente_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        membros.filter(atendente__ativo=True, atendente__status=Atendente.Status.ONLINE)
        .annotate(abertos=Coalesce(Subquery(abertos, output_field=IntegerField()), 0))
        .filter(
            abertos__lt=Atendente.objects.filter(pk=OuterRef("atendente_id")).values("capacidade")[
                :1
            ]
        )
    )


def filas_com_quem_receber(filas: list) -> list:
    """Of ``filas``, in their order, those with at least one member who may receive now (the
    rule of ``_membros_disponiveis``, for every queue in one query).  In the others a round
    of distribution would lock the queue and a ticket only to find nobody: the sweep skips
    them (an agent who comes online or frees capacity triggers a distribution of their own)."""
    if not filas:
        return []
    com_alguem = set(
        _disponiveis(AtendenteFila.objects.filter(fila_id__in=filas), OuterRef("fila__empresa_id"))
        .order_by()
        .values_list("fila_id", flat=True)
        .distinct()
    )
    return [fila_id for fila_id in filas if fila_id in com_alguem]


def _em_ordem(fila: Fila, membros: list[AtendenteFila]) -> list[AtendenteFila]:
    ids = sorted(str(m.atendente_id) for m in membros)
    ultimo = str(fila.ultimo_atendente_distribuido_id or "")
    # the rotation (ids in a fixed order) starts after the last one served
    inicio = next((n for n, i in enumerate(ids) if i > ultimo), 0)
    vez = {i: (n - inicio) % len(ids) for n, i in enumerate(ids)}
    if fila.distribuicao == Fila.Distribuicao.MENOS_OCUPADO:
        return sorted(membros, key=lambda m: (m.abertos, -m.prioridade, vez[str(m.atendente_id)]))
    return sorted(membros, key=lambda m: (-m.prioridade, vez[str(m.atendente_id)]))


def _ultimo_atendente(ticket: Ticket):
    return (
        Ticket.objects.filter(
            empresa_id=ticket.empresa_id,
            contato_id=ticket.contato_id,
            atendente__isnull=False,
        )
        .exclude(pk=ticket.pk)
        .order_by("-criado_em")
        .values_list("atendente_id", flat=True)
        .first()
    )


def _travar_disponivel(empresa_id, atendente_id) -> Atendente | None:
    """The agent's row locked, if they can still take one more ticket (counted after the
    lock: whoever held it has committed)."""
    atendente = (
        Atendente.objects.select_for_update(skip_locked=True)
        .filter(pk=atendente_id, ativo=True, status=Atendente.Status.ONLINE)
        .first()
    )
    if atendente is None:
        return None
    if _abertos_do_atendente(empresa_id, atendente.pk) >= atendente.capacidade:
        return None
    return atendente


def _avisar_atribuicao(ticket: Ticket, atendente: Atendente, motivo: str) -> None:
    """The ``notificacao`` to the agent who received the ticket (in the app, live)."""
    from atendimento.services.notificacoes import notificar

    notificar(
        empresa=ticket.empresa_id,
        usuarios=[atendente],
        tipo=TipoNotificacao.NOVO_TICKET,
        titulo=lambda: gettext("Ticket #%(numero)s atribuído a você") % {"numero": ticket.numero},
        corpo=lambda: gettext(motivo).capitalize() + ".",
        ticket=ticket,
        chave=f"atribuido:{ticket.pk}:{atendente.pk}:{timezone.now().isoformat()}",
    )


def _distribuir_um(fila_id) -> Ticket | None:
    """One assignment in ``fila_id`` (its own transaction); None when no ticket waits or no
    agent can take it."""
    from atendimento.services.tickets import ticket_atribuir

    with transaction.atomic():
        fila = (
            Fila.objects.select_for_update()
            .filter(pk=fila_id, ativo=True)
            .exclude(distribuicao=Fila.Distribuicao.MANUAL)
            .first()
        )
        if fila is None:
            return None
        ticket = (
            Ticket.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(fila=fila, atendente__isnull=True, automacao="")
            .exclude(status=FECHADO)
            .order_by(ORDEM_PRIORIDADE, "criado_em", "id")
            .first()
        )
        if ticket is None:
            return None
        membros = _em_ordem(fila, _membros_disponiveis(fila))
        candidatos = [(m.atendente_id, MOTIVOS[fila.distribuicao]) for m in membros]
        if fila.manter_atendente:
            anterior = _ultimo_atendente(ticket)
            if anterior is not None and any(m.atendente_id == anterior for m in membros):
                candidatos.insert(0, (anterior, MOTIVO_FIXO))
        for atendente_id, motivo in candidatos:
            atendente = _travar_disponivel(fila.empresa_id, atendente_id)
            if atendente is None:
                continue
            ticket_atribuir(
                ticket=ticket,
                atendente_destino=atendente,
                por=None,
                motivo=motivo,
                dados={"automatica": True, "regra": fila.distribuicao},
            )
            fila.ultimo_atendente_distribuido = atendente
            fila.save(update_fields=["ultimo_atendente_distribuido", "atualizado_em"])
            _avisar_atribuicao(ticket, atendente, motivo)
            return ticket
        return None


def distribuir_fila(fila_id) -> int:
    """Hand out ``fila_id``'s waiting tickets while someone can take them; how many."""
    total = 0
    while total < LIMITE_POR_CHAMADA and _distribuir_um(fila_id) is not None:
        total += 1
    return total


def filas_do_atendente(atendente_id) -> list:
    return list(
        AtendenteFila.objects.filter(atendente_id=atendente_id).values_list("fila_id", flat=True)
    )


def distribuir(*, filas: Iterable = (), atendentes: Iterable = ()) -> int:
    """Distribute in ``filas`` and in every queue of ``atendentes`` (the ones that may have
    just freed or gained capacity)."""
    alvo = {f for f in filas if f}
    for atendente_id in atendentes:
        if atendente_id:
            alvo.update(filas_do_atendente(atendente_id))
    return sum(distribuir_fila(fila_id) for fila_id in sorted(alvo, key=str))


def distribuir_apos_commit(*, filas: Iterable = (), atendentes: Iterable = ()) -> None:
    """Schedule :func:`distribuir` for after the current transaction commits (errors are
    logged: the periodic sweep tries again)."""
    filas, atendentes = [f for f in filas if f], [a for a in atendentes if a]
    if not filas and not atendentes:
        return

    def rodar() -> None:
        try:
            distribuir(filas=filas, atendentes=atendentes)
        except Exception:
            logger.exception("distribuição falhou (filas %s, atendentes %s)", filas, atendentes)

    transaction.on_commit(rodar)


# ------------------------------------------------------------------------------- hand-back
MOTIVO_OFFLINE = "atendente ficou offline; ticket devolvido à fila"


def devolver_tickets(atendente_id) -> int:
    """Return the open tickets of an agent who is offline to their queues (queues with
    ``devolver_se_offline``); each return is its own transaction, with the reason in the
    history, and the queues then distribute them again."""
    from atendimento.services.tickets import ticket_atribuir

    ids = list(
        Ticket.objects.filter(atendente_id=atendente_id, fila__devolver_se_offline=True)
        .exclude(status=FECHADO)
        .order_by("criado_em")
        .values_list("id", flat=True)
    )
    devolvidos = 0
    for ticket_id in ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(pk=ticket_id, atendente_id=atendente_id)
                .exclude(status=FECHADO)
                .first()
            )
            ainda_offline = Atendente.objects.filter(
                pk=atendente_id, status=Atendente.Status.OFFLINE
            ).exists()
            if ticket is None or not ainda_offline:
                continue
            ticket_atribuir(
                ticket=ticket,
                atendente_destino=None,
                por=None,
                motivo=MOTIVO_OFFLINE,
                dados={"automatica": True, "atendente_offline": str(atendente_id)},
            )
            devolvidos += 1
    return devolvidos


def ao_mudar_status(atendente_id, status: str) -> None:
    """After an agent's status changed (committed): online receives waiting tickets; offline
    gives back their open tickets."""
    try:
        if status == Atendente.Status.ONLINE:
            distribuir(atendentes=[atendente_id])
        elif status == Atendente.Status.OFFLINE:
            devolver_tickets(atendente_id)
    except Exception:
        logger.exception("distribuição após status %s de %s falhou", status, atendente_id)


# ------------------------------------------------------------------------------- replies
MOTIVO_RESPOSTA = "respondeu ao ticket sem atendente"


def assumir_ao_responder(ticket: Ticket, atendente: Atendente) -> None:
    """An agent replied to an unassigned ticket: it becomes theirs (``Fila.assumir_ao_responder``;
    tickets without a queue too).  Call inside the reply's transaction."""
    from atendimento.services.tickets import ticket_atribuir

    fila = ticket.fila
    if fila is not None and not fila.assumir_ao_responder:
        return
    ticket_atribuir(
        ticket=ticket,
        atendente_destino=atendente,
        por=atendente,
        motivo=MOTIVO_RESPOSTA,
        dados={"automatica": True},
    )
    ticket.atendente = atendente


# ------------------------------------------------------------------------------- sweep
def filas_com_espera() -> list:
    return list(
        Ticket.objects.filter(
            atendente__isnull=True,
            fila__ativo=True,
            automacao="",  # the first-contact menu or the bot is conducting it
        )
        .exclude(status=FECHADO)
        .exclude(fila__distribuicao=Fila.Distribuicao.MANUAL)
        .order_by()
        .values_list("fila_id", flat=True)
        .distinct()
    )


def distribuir_pendentes() -> dict[str, int]:
    """The periodic safety net: tickets still held by offline agents are returned, and every
    queue with waiting tickets distributes."""
    offline = list(
        Ticket.objects.filter(
            atendente__status=Atendente.Status.OFFLINE, fila__devolver_se_offline=True
        )
        .exclude(status=FECHADO)
        .order_by()
        .values_list("atendente_id", flat=True)
        .distinct()
    )
    devolvidos = sum(devolver_tickets(a) for a in offline)
    atribuidos = sum(distribuir_fila(f) for f in filas_com_quem_receber(filas_com_espera()))
    return {"devolvidos": devolvidos, "atribuidos": atribuidos}


__all__ = [
    "ao_mudar_status",
    "assumir_ao_responder",
    "devolver_tickets",
    "distribuir",
    "distribuir_apos_commit",
    "distribuir_fila",
    "distribuir_pendentes",
]
