"""Inbound events in batches: what :func:`entrada.evento_processar` does one event at a time,
for a whole batch in the caller's transaction, with set-based SQL for the common case.

The common case is a direct (not group) text or media message on a WhatsApp, Telegram or
Twilio channel, quoting nothing, from a sender whose contact already has every identity and
whose conversation has a ticket that is not closed.  For those the batch costs a fixed number
of statements whatever its size:

1. the senders' identities, one ``SELECT`` (``contatos_conhecidos``);
2. the conversations' open tickets, one ``SELECT … FOR UPDATE`` in primary-key order (two
   batches never wait on each other in opposite orders for these rows);
3. the messages, one ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (``UNNEST`` of one
   array per column, bound by the server: ``insercao.inserir_varios_por_colunas``):
   the ``(canal, id_externo)`` unique index decides, even against a concurrent retry;
4. the tickets' counters, summary and status, one ``UPDATE`` (``bulk_update``).

First contacts are set-based too, before the loop (``_primeiros_contatos``): senders nobody
knows get their contacts and identities in one insert each (``contatos.contatos_criar_novos``),
and conversations that never had a ticket get one in one insert of tickets (numbered by the
database trigger, per row) and one of ``criado`` history entries
(``abertura.tickets_abrir_em_lote``) — a fixed number of statements per batch, not 17 per
new conversation.  A concurrent transaction that created one of them first (a unique index
says so) rolls back that insert's savepoint and leaves those events to the per-event path.

Everything else — statuses, edits, group chats, replies, e-mail, a closed ticket to reopen or
continue, a known contact with an identity or a blank to add — goes through the per-event
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
from atendimento.services.abertura import tickets_abrir_em_lote
from atendimento.services.contatos import contatos_conhecidos, contatos_criar_novos
from atendimento.services.entrada import (
    _mensagens,
    apos_commit_baixar_midia,
    evento_processar,
    ticket_aplicar_entrada,
)
from atendimento.services.insercao import inserir_varios_por_colunas
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


def _rapidas(itens: list[tuple[Canal, Entrada]]) -> tuple[dict[int, _Rapida], set]:
    """The batch's common-case events, with their contact and (locked) ticket; and the
    tickets opened here for first contacts (see :func:`_primeiros_contatos`)."""
    candidatas = [i for i, (canal, evento) in enumerate(itens) if _candidata(canal, evento)]
    if not candidatas:
        return {}, set()
    contatos = dict(
        zip(
            candidatas,
            contatos_conhecidos(
                [(itens[i][0].empresa_id, itens[i][1].remetente) for i in candidatas]
            ),
            strict=True,
        )
    )
    tickets = _tickets_abertos(
        {(itens[i][0].pk, itens[i][1].conversa.id_externo) for i in candidatas}
    )
    novos = _primeiros_contatos(itens, candidatas, contatos, tickets)
    rapidas = {}
    for i in candidatas:
        canal, evento = itens[i]
        contato = contatos[i]
        ticket = tickets.get((canal.pk, evento.conversa.id_externo))
        if contato is not None and ticket is not None:
            rapidas[i] = _Rapida(i, canal, evento, contato, ticket)
    return rapidas, novos


def _conversa(item: tuple[Canal, Entrada]) -> tuple:
    canal, evento = item
    return canal.pk, evento.conversa.id_externo


def _primeiras_da_conversa(itens: list[tuple[Canal, Entrada]]) -> set[int]:
    """Indexes of the first message of each conversation in the batch."""
    vistas: dict[tuple, int] = {}
    for i, (canal, evento) in enumerate(itens):
        if isinstance(evento, MensagemEntrada):
            vistas.setdefault(_conversa((canal, evento)), i)
    return set(vistas.values())


def _primeiros_contatos(
    itens: list[tuple[Canal, Entrada]],
    candidatas: list[int],
    contatos: dict[int, Contato | None],
    tickets: dict[tuple, Ticket],
) -> set:
    """First contacts, set-based: senders nobody knows get their contact (one insert of
    contacts, one of identities: ``contatos_criar_novos``) and conversations that never had a
    ticket get one (one insert of tickets, one of history entries: ``tickets_abrir_em_lote``),
    filling ``contatos`` and ``tickets`` in place; the pks of the tickets opened.  Only for a
    conversation whose first message in the batch is a common-case one (so the ticket is
    opened by the message that opens it one event at a time) and whose message is not stored
    yet (a provider retry creates nothing).  Everything else — a closed ticket to reopen or
    continue, a known sender with an identity or a blank to add — stays on the per-event path."""
    primeiras = _primeiras_da_conversa(itens)
    sem_ticket = [i for i in candidatas if i in primeiras and _conversa(itens[i]) not in tickets]
    sem_contato = [i for i in candidatas if contatos[i] is None]
    if not sem_ticket and not sem_contato:
        return set()
    faltam = sorted(set(sem_ticket) | set(sem_contato))
    guardadas = set(
        Mensagem.objects.filter(
            canal_id__in={itens[i][0].pk for i in faltam},
            id_externo__in={itens[i][1].id_externo for i in faltam},
        ).values_list("canal_id", "id_externo")
    )
    sem_contato = [
        i for i in sem_contato if (itens[i][0].pk, itens[i][1].id_externo) not in guardadas
    ]
    if sem_contato:
        criados = contatos_criar_novos(
            [(itens[i][0].empresa_id, itens[i][1].remetente) for i in sem_contato]
        )
        contatos.update(zip(sem_contato, criados, strict=True))
    chaves = {
        _conversa(itens[i]): i
        for i in sem_ticket
        if contatos[i] is not None and (itens[i][0].pk, itens[i][1].id_externo) not in guardadas
    }
    if not chaves:
        return set()
    com_ticket = set(
        Ticket.objects.filter(
            canal_id__in={c for c, _ in chaves}, conversa_id_externo__in={v for _, v in chaves}
        ).values_list("canal_id", "conversa_id_externo")
    )
    pedidos = [(chave, i) for chave, i in chaves.items() if chave not in com_ticket]
    abertos = tickets_abrir_em_lote(
        [(itens[i][0], contatos[i], itens[i][1].conversa, itens[i][1].assunto) for _, i in pedidos]
    )
    for (chave, i), ticket in zip(pedidos, abertos, strict=False):
        ticket.contato = contatos[i]
        tickets[chave] = ticket
    return {t.pk for t in abertos}


def _gravar(rapidas: list[_Rapida], resultados: list[Mensagem | None], novos: set) -> None:
    """The common-case messages gathered so far, set-based (see the module docstring);
    ``novos``: tickets opened in this batch whose first message is not stored yet (it is
    the one reported ``ticket_novo``; its pk leaves the set)."""
    if not rapidas:
        return
    por_evento = [_mensagens(r.canal, r.ticket, r.evento) for r in rapidas]
    inseridos = inserir_varios_por_colunas([m for ms in por_evento for m in ms])
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
        novo = ticket.pk in novos
        novos.discard(ticket.pk)
        entradas += [
            reacoes.EntradaConfirmada(
                empresa_id=ticket.empresa_id,
                ticket_id=ticket.pk,
                mensagem_id=m.pk,
                canal_id=rapida.canal.pk,
                contato_id=rapida.contato.pk,
                ticket_novo=novo and n == 0,
            )
            for n, m in enumerate(inseridas)
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
    juntas: list[_Rapida] = []
    with reacoes.em_lote(), publicacoes_em_lote():
        rapidas, novos = _rapidas(itens)
        for i, (canal, evento) in enumerate(itens):
            rapida = rapidas.get(i)
            if rapida is not None:
                juntas.append(rapida)
                continue
            _gravar(juntas, resultados, novos)
            juntas = []
            resultados[i] = evento_processar(canal=canal, evento=evento)
            if isinstance(evento, MensagemEntrada):  # statuses and edits leave tickets alone
                _recarregar(rapidas, i)
        _gravar(juntas, resultados, novos)
    return resultados
