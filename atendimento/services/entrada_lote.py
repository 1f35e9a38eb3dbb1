"""Inbound events in batches: what :func:`entrada.evento_processar` does one event at a time,
for a whole batch in the caller's transaction, with set-based SQL for the common case.

The common case is a direct (not group) text or media message on a WhatsApp, Telegram or
Twilio channel, quoting nothing, from a sender whose contact already has every identity and
whose conversation has a ticket that is not closed.  For those the batch costs a fixed number
of statements whatever its size:

1. the senders' identities, one ``SELECT`` (``contatos_conhecidos``);
2. the conversations' open tickets, one ``SELECT … FOR UPDATE`` in primary-key order (two
   batches never wait on each other in opposite orders for these rows);
3. the messages, one ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (``UNNEST`` of arrays):
   the ``(canal, id_externo)`` unique index decides, even against a concurrent retry;
4. the tickets' counters, summary and status, one ``UPDATE`` (``bulk_update``).

Everything else — statuses, edits, group chats, replies, e-mail, a new contact or a new or
reopened ticket (its number comes from the database trigger, its ``criado``/``reaberto``
history entry and ``novo_ticket`` from ``abertura``) — goes through the per-event
orchestrator at its place in the batch; the common-case messages gathered before it are
written first, so events keep their order.  Realtime events are published after commit, all
of the batch in one round trip to Redis (``realtime.publicar.publicacoes_em_lote``), media
downloads are queued after commit, and
the reactions (``reacoes.apos_entrada``) run once for the batch with every new message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from atendimento.models import Canal, Contato, Mensagem, Ticket
from atendimento.realtime.eventos import publicar_nova_mensagem, publicar_ticket_atualizado
from atendimento.realtime.publicar import publicacoes_em_lote
from atendimento.services import reacoes
from atendimento.services.contatos import contatos_conhecidos
from atendimento.services.entrada import (
    _mensagens,
    apos_commit_baixar_midia,
    evento_processar,
    ticket_aplicar_entrada,
)
from atendimento.services.insercao import inserir_varios_ignorando_conflito
from canais.adapters.base import Entrada, MensagemEntrada
from canais.registry import TipoCanalDesconhecido, classe_adaptador


@dataclass(slots=True)
class _Rapida:
    indice: int
    canal: Canal
    evento: MensagemEntrada
    contato: Contato
    ticket: Ticket


def _em_lote(tipo: str) -> bool:
    try:
        return classe_adaptador(tipo).entrada_em_lote
    except TipoCanalDesconhecido:
        return False


def _candidata(canal: Canal, evento: Entrada) -> bool:
    return (
        type(evento) is MensagemEntrada
        and _em_lote(canal.tipo)
        and not evento.conversa.grupo
        and not evento.responde_a
        and not evento.cabecalhos
        and not evento.referencias  # threading by earlier messages: per-event path
        and not evento.ticket_ref
        and bool(evento.remetente.identidades)
    )


def _tickets_abertos(chaves: set[tuple]) -> dict[tuple, Ticket]:
    """The non-closed ticket of each (canal_id, conversa_id_externo), locked, in pk order."""
    if not chaves:
        return {}
    canais = {canal_id for canal_id, _ in chaves}
    conversas = {conversa for _, conversa in chaves}
    tickets = (
        Ticket.objects.select_for_update(of=("self",))
        .filter(canal_id__in=canais, conversa_id_externo__in=conversas)
        .exclude(status=Ticket.Status.FECHADO)
        .order_by("pk")
    )
    return {
        (t.canal_id, t.conversa_id_externo): t
        for t in tickets
        if (t.canal_id, t.conversa_id_externo) in chaves
    }


def _rapidas(itens: list[tuple[Canal, Entrada]]) -> dict[int, _Rapida]:
    candidatas = [i for i, (canal, evento) in enumerate(itens) if _candidata(canal, evento)]
    if not candidatas:
        return {}
    contatos = contatos_conhecidos(
        [(itens[i][0].empresa_id, itens[i][1].remetente) for i in candidatas]
    )
    tickets = _tickets_abertos(
        {(itens[i][0].pk, itens[i][1].conversa.id_externo) for i in candidatas}
    )
    rapidas = {}
    for i, contato in zip(candidatas, contatos, strict=True):
        canal, evento = itens[i]
        ticket = tickets.get((canal.pk, evento.conversa.id_externo))
        if contato is not None and ticket is not None:
            rapidas[i] = _Rapida(i, canal, evento, contato, ticket)
    return rapidas


def _gravar(rapidas: list[_Rapida], resultados: list[Mensagem | None]) -> None:
    """The common-case messages gathered so far, set-based (see the module docstring)."""
    if not rapidas:
        return
    por_evento = [_mensagens(r.canal, r.ticket, r.evento) for r in rapidas]
    inseridos = inserir_varios_ignorando_conflito([m for ms in por_evento for m in ms])
    tickets: dict = {}
    campos: set[str] = set()
    entradas = []
    for rapida, mensagens in zip(rapidas, por_evento, strict=True):
        inseridas = [m for m in mensagens if m.pk in inseridos]
        if not inseridas:
            continue  # a provider retry
        ticket = rapida.ticket
        alterados, mudou_status = ticket_aplicar_entrada(ticket, inseridas, rapida.evento)
        campos.update(alterados)
        tickets[ticket.pk] = ticket
        if mudou_status:
            publicar_ticket_atualizado(ticket)
        for mensagem in inseridas:
            publicar_nova_mensagem(mensagem, ticket)
            if mensagem.midia_status == Mensagem.StatusMidia.PENDENTE:
                transaction.on_commit(partial(apos_commit_baixar_midia, mensagem.pk))
        entradas += [
            reacoes.EntradaConfirmada(
                empresa_id=ticket.empresa_id,
                ticket_id=ticket.pk,
                mensagem_id=m.pk,
                canal_id=rapida.canal.pk,
                contato_id=rapida.contato.pk,
                ticket_novo=False,
            )
            for m in inseridas
        ]
        resultados[rapida.indice] = inseridas[0]
    _salvar_tickets(list(tickets.values()))
    reacoes.agendar_apos_commit(entradas)


#: what ticket_aplicar_entrada may change, with the array type of each column
_CAMPOS_CONTADORES = (
    ("total_mensagens", "integer"),
    ("nao_lidas", "integer"),
    ("ultima_entrada_em", "timestamptz"),
    ("ultima_mensagem_em", "timestamptz"),
    ("ultima_mensagem_resumo", "text"),
    ("titulo_conversa", "text"),
    ("status", "text"),
    ("atualizado_em", "timestamptz"),
)


def _salvar_tickets(tickets: list[Ticket]) -> None:
    """The locked tickets' counters, summary and status in ONE ``UPDATE … FROM unnest(…)``
    (``bulk_update``'s ``CASE`` per row and field cost ~30 ms of Python per 100 tickets)."""
    if not tickets:
        return
    agora = timezone.now()
    for ticket in tickets:
        ticket.atualizado_em = agora
    meta = Ticket._meta
    colunas = [meta.get_field(nome).column for nome, _ in _CAMPOS_CONTADORES]
    atribuicoes = ", ".join(f'"{c}" = v."{c}"' for c in colunas)
    tipos = ", ".join(f"%s::{tipo}[]" for _, tipo in _CAMPOS_CONTADORES)
    nomes = ", ".join(f'"{c}"' for c in colunas)
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {atribuicoes} '  # noqa: S608 - fixed identifiers
        f"FROM unnest(%s::uuid[], {tipos}) AS v(id, {nomes}) WHERE t.id = v.id"
    )
    parametros = [[t.pk for t in tickets]] + [
        [getattr(t, nome) for t in tickets] for nome, _ in _CAMPOS_CONTADORES
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, parametros)


def _recarregar(rapidas: dict[int, _Rapida], a_partir_de: int) -> None:
    """After a per-event step, the locked tickets of the remaining fast events as they are
    now (that step may have changed their counters)."""
    restantes = [r for i, r in rapidas.items() if i > a_partir_de]
    if not restantes:
        return
    atuais = Ticket.objects.in_bulk([r.ticket.pk for r in restantes])
    for rapida in restantes:
        rapida.ticket = atuais[rapida.ticket.pk]


@transaction.atomic(savepoint=False)
def eventos_processar(itens: list[tuple[Canal, Entrada]]) -> list[Mensagem | None]:
    """Apply normalised inbound events in order; for each, the message touched (as
    :func:`entrada.evento_processar` returns it).  Same outcome as applying them one by one."""
    resultados: list[Mensagem | None] = [None] * len(itens)
    rapidas = _rapidas(itens)
    juntas: list[_Rapida] = []
    with reacoes.em_lote(), publicacoes_em_lote():
        for i, (canal, evento) in enumerate(itens):
            rapida = rapidas.get(i)
            if rapida is not None:
                juntas.append(rapida)
                continue
            _gravar(juntas, resultados)
            juntas = []
            resultados[i] = evento_processar(canal=canal, evento=evento)
            if isinstance(evento, MensagemEntrada):  # statuses and edits leave tickets alone
                _recarregar(rapidas, i)
        _gravar(juntas, resultados)
    return resultados
