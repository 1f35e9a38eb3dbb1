"""Opening tickets: ``ticket_abrir`` (API and inbound) and, for inbound messages, picking the
ticket of a provider conversation: the open one, the last closed one reopened inside its queue's
window, or a new one that links the closed one (history entries on both).

A message may name earlier messages it answers (``referencias``: an e-mail's In-Reply-To and
References) or one of our tickets (``ticket_ref``: an e-mail reply address).  When one of them
is a message / ticket **of the same channel** (so of the same empresa), the message joins that
ticket's conversation whatever its own thread root says; ids of any other channel are ignored.

At most one non-closed ticket per (canal, conversa_id_externo) is enforced by the partial unique
index ``ticket_conversa_aberta_uniq``; concurrent first messages of one conversation race on it
and the loser reads the winner's ticket.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from atendimento.exceptions import Conflito, NaoEncontrado
from atendimento.models import (
    Atendente,
    Canal,
    Contato,
    Empresa,
    Fila,
    Historico,
    Mensagem,
    Ticket,
)
from atendimento.realtime.eventos import publicar_novo_ticket, publicar_ticket_atualizado
from atendimento.services import sla
from canais.adapters.base import Conversa

RESTRICAO_CONVERSA = "ticket_conversa_aberta_uniq"


def _mesma_empresa(empresa: Empresa, *objetos) -> None:
    for obj in objetos:
        if obj is not None and obj.empresa_id != empresa.pk:
            raise NaoEncontrado(
                gettext("%(valor)s não encontrado.")
                % {"valor": obj._meta.verbose_name.capitalize()}
            )


@transaction.atomic
def ticket_abrir(
    *,
    empresa: Empresa,
    canal: Canal,
    contato: Contato,
    conversa_id_externo: str = "",
    assunto: str = "",
    fila: Fila | None = None,
    prioridade: str = Ticket.Prioridade.MEDIA,
    grupo: bool = False,
    titulo_conversa: str = "",
    atendente: Atendente | None = None,
    por: Atendente | None = None,
    anterior: Ticket | None = None,
) -> Ticket:
    """A new ticket in ``fila`` (default: the channel's default queue) with the queue's SLA
    deadlines, its ``criado`` history entry, and ``novo_ticket`` published after commit.

    :class:`Conflito` when the conversation already has a ticket that is not closed.
    ``anterior``: the closed ticket this one continues (linked in both histories).
    Inbound first contacts of a batch are opened by :func:`tickets_abrir_em_lote`: a step
    added here must be added there too.
    """
    fila = fila if fila is not None else canal.fila_padrao
    _mesma_empresa(empresa, canal, contato, fila, atendente, por)
    if prioridade not in Ticket.Prioridade.values:
        raise Conflito(
            gettext("Prioridade inválida: %(prioridade)s.") % {"prioridade": repr(prioridade)}
        )
    agora = timezone.now()
    ticket = Ticket(
        empresa=empresa,
        canal=canal,
        contato=contato,
        fila=fila,
        atendente=atendente,
        assunto=assunto[:255],
        prioridade=prioridade,
        conversa_id_externo=conversa_id_externo[:255],
        grupo=grupo,
        titulo_conversa=titulo_conversa[:255],
        **sla.prazos_iniciais(empresa=empresa, fila=fila, prioridade=prioridade, inicio=agora),
    )
    try:
        with transaction.atomic():
            ticket.save(force_insert=True)
    except IntegrityError as exc:
        if RESTRICAO_CONVERSA in str(exc):
            raise Conflito(gettext("Esta conversa já tem um ticket aberto.")) from exc
        raise
    descricao = "Ticket aberto por mensagem do cliente." if por is None else "Ticket aberto."
    dados = {"canal": str(canal.pk), "fila": str(fila.pk) if fila else None}
    if anterior is not None:
        descricao = f"{descricao[:-1]}, continuando o ticket #{anterior.numero}."
        dados["ticket_anterior"] = str(anterior.pk)
        Historico.objects.create(
            empresa=empresa,
            ticket=anterior,
            acao=Historico.Acao.ATUALIZADO,
            descricao=f"O cliente voltou a escrever depois do prazo de reabertura: "
            f"continua no ticket #{ticket.numero}.",
            dados={"ticket_seguinte": str(ticket.pk)},
        )
    Historico.objects.create(
        empresa=empresa,
        ticket=ticket,
        acao=Historico.Acao.CRIADO,
        descricao=descricao,
        dados=dados,
        atendente=por,
        usuario_id=por.usuario_id if por else None,
    )
    publicar_novo_ticket(ticket)
    return ticket


def tickets_abrir_em_lote(pedidos: list[tuple[Canal, Contato, Conversa, str]]) -> list[Ticket]:
    """New tickets for inbound messages of conversations that never had one, as
    :func:`ticket_abrir` opens them (the channel's default queue, its SLA deadlines, the
    ``criado`` history entry, ``novo_ticket`` published after commit): each
    ``(canal, contato, conversa, assunto)`` — one per conversation, direct chats only — in ONE
    insert of tickets (the numbering trigger runs per row, in the order given within each
    empresa) and ONE of history entries.  Empty when a concurrent transaction opened a ticket
    for one of these conversations first (the caller then takes the per-event path, which
    finds it).  Call inside a transaction."""
    if not pedidos:
        return []
    agora = timezone.now()
    prazos: dict[tuple, dict] = {}
    tickets = []
    for canal, contato, conversa, assunto in pedidos:
        fila = canal.fila_padrao
        chave = (canal.empresa_id, getattr(fila, "pk", None))
        if chave not in prazos:
            prazos[chave] = sla.prazos_iniciais(
                empresa=canal.empresa, fila=fila, prioridade=Ticket.Prioridade.MEDIA, inicio=agora
            )
        tickets.append(
            Ticket(
                empresa=canal.empresa,
                canal=canal,
                contato=contato,
                fila=fila,
                assunto=assunto[:255],
                conversa_id_externo=conversa.id_externo[:255],
                titulo_conversa=conversa.titulo[:255],
                **prazos[chave],
            )
        )
    # empresas in a fixed order: two batches never wait on each other's ticket counters
    # in opposite orders
    ordem = sorted(range(len(tickets)), key=lambda n: (str(tickets[n].empresa_id), n))
    try:
        with transaction.atomic():
            Ticket.objects.bulk_create([tickets[n] for n in ordem])
            Historico.objects.bulk_create(
                Historico(
                    empresa_id=ticket.empresa_id,
                    ticket=ticket,
                    acao=Historico.Acao.CRIADO,
                    descricao="Ticket aberto por mensagem do cliente.",
                    dados={
                        "canal": str(ticket.canal_id),
                        "fila": str(ticket.fila_id) if ticket.fila_id else None,
                    },
                )
                for ticket in tickets
            )
    except IntegrityError:
        return []
    for ticket in tickets:
        publicar_novo_ticket(ticket)
    return tickets


def _reabre(ticket: Ticket, quando: datetime) -> bool:
    """The queue's reopening rule: reopen when a message arrives within the window after
    closing (no queue: the model defaults, reopen within 24 h)."""
    fila = ticket.fila
    if fila is not None and fila.reabertura == Fila.Reabertura.NOVO:
        return False
    horas = fila.janela_reabertura_horas if fila is not None else 24
    fechado = ticket.fechado_em or ticket.atualizado_em
    return quando <= fechado + timedelta(hours=horas)


def _reabrir(ticket: Ticket) -> None:
    """Back to ``aberto`` (same agent, queue and history); raises IntegrityError when another
    ticket of the conversation was opened meanwhile."""
    fechado_em, motivo = ticket.fechado_em, ticket.motivo_fechamento
    ticket.status = Ticket.Status.ABERTO
    ticket.reaberto_em = timezone.now()
    ticket.fechado_em = None
    ticket.motivo_fechamento = ""
    campos_sla = sla.ao_reabrir(ticket)
    with transaction.atomic():
        ticket.save(
            update_fields=[
                "status",
                "reaberto_em",
                "fechado_em",
                "motivo_fechamento",
                "atualizado_em",
                *campos_sla,
            ]
        )
    Historico.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        acao=Historico.Acao.REABERTO,
        descricao="Reaberto por nova mensagem do cliente.",
        dados={
            "fechado_em": fechado_em.isoformat() if fechado_em else None,
            "motivo_fechamento": motivo,
        },
    )
    publicar_ticket_atualizado(ticket)


def _referenciado(canal: Canal, referencias: Sequence[str], ticket_ref: str) -> Ticket | None:
    """The ticket of this channel named by ``ticket_ref`` or owning the first message of
    ``referencias`` found in this channel, locked."""
    tickets = Ticket.objects.select_for_update(of=("self",)).select_related("fila")
    if ticket_ref:
        try:
            ticket = tickets.filter(canal=canal, pk=uuid.UUID(str(ticket_ref))).first()
        except ValueError:
            ticket = None
        if ticket is not None:
            return ticket
    ids = [r[:255] for r in referencias if r][:50]
    if not ids:
        return None
    donos = dict(
        Mensagem.objects.filter(canal=canal, id_externo__in=ids).values_list(
            "id_externo", "ticket_id"
        )
    )
    for referencia in ids:
        if referencia in donos:
            return tickets.filter(pk=donos[referencia]).first()
    return None


def _adotar(ticket: Ticket, conversa: Conversa, quando: datetime) -> bool | None:
    """A referenced ticket without a provider conversation (opened by an agent) takes this
    one.  None when the message cannot go to it (closed beyond its window, or the conversation
    has another open ticket); otherwise whether it was reopened now."""
    fechado = ticket.status == Ticket.Status.FECHADO
    if fechado and not _reabre(ticket, quando):
        return None
    ticket.conversa_id_externo = conversa.id_externo[:255]
    try:
        with transaction.atomic():
            ticket.save(update_fields=["conversa_id_externo", "atualizado_em"])
    except IntegrityError:
        ticket.conversa_id_externo = ""
        return None
    if fechado:
        _reabrir(ticket)
    return fechado


def ticket_da_conversa(
    *,
    canal: Canal,
    contato: Contato,
    conversa: Conversa,
    quando: datetime,
    assunto: str = "",
    referencias: Sequence[str] = (),
    ticket_ref: str = "",
) -> tuple[Ticket, bool]:
    """The ticket an inbound message of ``conversa`` belongs to, locked (``SELECT … FOR
    UPDATE``) so messages of one conversation update it one at a time; True when it was
    opened or reopened now.  Call inside a transaction.

    ``referencias`` / ``ticket_ref`` (see the module docstring) may put the message in the
    conversation of an earlier ticket of this channel; ``assunto`` is a new ticket's subject.
    """
    referenciado = _referenciado(canal, referencias, ticket_ref)
    if referenciado is not None:
        if referenciado.conversa_id_externo:
            conversa = replace(conversa, id_externo=referenciado.conversa_id_externo)
        elif conversa.id_externo:
            reaberto = _adotar(referenciado, conversa, quando)
            if reaberto is not None:
                return referenciado, reaberto
    abertos = Ticket.objects.select_for_update(of=("self",)).filter(
        canal=canal, conversa_id_externo=conversa.id_externo
    )
    for _ in range(3):
        ticket = abertos.exclude(status=Ticket.Status.FECHADO).first()
        if ticket is not None:
            return ticket, False
        ultimo = (
            abertos.filter(status=Ticket.Status.FECHADO)
            .select_related("fila")
            .order_by("-fechado_em", "-criado_em")
            .first()
        )
        if ultimo is None and referenciado is not None:
            ultimo = referenciado if referenciado.status == Ticket.Status.FECHADO else None
        if ultimo is not None and _reabre(ultimo, quando):
            try:
                _reabrir(ultimo)
            except IntegrityError:
                continue
            return ultimo, True
        try:
            ticket = ticket_abrir(
                empresa=canal.empresa,
                canal=canal,
                contato=contato,
                conversa_id_externo=conversa.id_externo,
                assunto=assunto or (conversa.titulo if conversa.grupo else ""),
                grupo=conversa.grupo,
                titulo_conversa=conversa.titulo,
                anterior=ultimo,
            )
        except Conflito:
            continue
        return ticket, True
    raise RuntimeError(
        f"ticket da conversa {conversa.id_externo!r} não resolvido"
    )  # pragma: no cover
