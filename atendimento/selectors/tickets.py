"""Read side of tickets: the inbox list, the detail page and a ticket's history, each in a
constant number of queries whatever the page holds."""

from __future__ import annotations

import uuid

from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet, Value
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado
from atendimento.models import Atendente, Contato, Historico, Mensagem, Tag, Ticket
from atendimento.models.busca import BuscaDaEmpresa
from atendimento.models.mensagem import CONFIG_BUSCA, vetor_busca
from atendimento.selectors.acesso import (
    da_empresa,
    obter_da_empresa,
    ticket_obter,
    tickets_visiveis,
)
from ia.models import AIInsight, RiscoChurn

#: detail page: how many of the latest messages / history rows come with the ticket
MENSAGENS_NO_DETALHE = 50
HISTORICO_NO_DETALHE = 50


def _insights_recentes() -> Prefetch:
    """The latest AI insight of each ticket, in one query for the whole page: ``DISTINCT ON
    (ticket_id)`` (a sliced prefetch builds a ``ROW_NUMBER()`` window wrapped in a subquery,
    ~2 ms more of query compilation per page)."""
    return Prefetch(
        "insights_ia",
        queryset=AIInsight.objects.order_by("ticket_id", "-criado_em").distinct("ticket_id"),
        to_attr="insights_recentes",
    )


def _para_lista(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return (
        queryset.select_related("contato", "canal", "fila", "atendente")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("nome"), to_attr=Ticket.ATRIBUTO_TAGS)
        )
        .prefetch_related(_insights_recentes())
    )


def tickets_listar(*, atendente: Atendente) -> QuerySet[Ticket]:
    """Tickets the atendente may see, ready for the list serializer."""
    return _para_lista(tickets_visiveis(atendente))


#: what the list shows of a ticket's contact, channel, queue and agent (the rest of those rows
#: — channel configuration and encrypted secrets among them — is not read for a list)
CAMPOS_RELACIONADOS_DA_LISTA = (
    "contato__nome",
    "contato__telefone",
    "contato__email",
    "canal__tipo",
    "fila__nome",
    "atendente__nome",
)


def tickets_para_lista(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``queryset`` (a page's tickets, read by their keys) with what the list serializer shows:
    the API list filters, orders and counts ``tickets_visiveis`` and loads its page through
    this.  Every column of the ticket, only the shown ones of its related rows."""
    return com_colunas(_para_lista(queryset), CAMPOS_RELACIONADOS_DA_LISTA)


def com_colunas(queryset: QuerySet[Ticket], relacionados: tuple[str, ...]) -> QuerySet[Ticket]:
    """``queryset`` reading every column of the ticket and, of the related rows it joins
    (``select_related``), only the ``relacionados`` ones (``"canal__tipo"``); a joined model
    none of them names is read whole."""
    return queryset.only(*(campo.name for campo in Ticket._meta.concrete_fields), *relacionados)


def ticket_recarregar(*, ticket: Ticket) -> Ticket:
    """The ticket as the list shows it, right after an action on it (the actor may no longer
    see it, e.g. after transferring it out of their queues)."""
    return _para_lista(Ticket.objects.filter(empresa_id=ticket.empresa_id)).get(pk=ticket.pk)


def mensagens_com_texto(*, texto: str, empresa_id: uuid.UUID) -> QuerySet[Mensagem]:
    """Messages whose text matches ``texto`` (Portuguese full text, web-search syntax) as the
    GIN index ``mensagem_busca_empresa`` finds them: the terms ANDed with the empresa's lexeme.
    Callers filter on ``empresa_id`` too (the lexeme narrows the index scan; the column is
    what the tenant rule relies on)."""
    consulta = SearchQuery(texto, config=CONFIG_BUSCA, search_type="websearch")
    return Mensagem.objects.filter(BuscaDaEmpresa(vetor_busca(), consulta, Value(empresa_id)))


def tickets_buscar(
    queryset: QuerySet[Ticket], *, texto: str, empresa_id: uuid.UUID
) -> QuerySet[Ticket]:
    """``q``: Portuguese full-text search over the messages or a substring of the contact's
    name/number/e-mail or the subject, among the caller's empresa's (``empresa_id``) messages
    and contacts.  The messages are found through the GIN index ``mensagem_busca_empresa``,
    whose vector carries the empresa as a lexeme: the index scan returns this empresa's
    matches only, not every tenant's (``atendimento.models.busca``)."""
    com_mensagem = (
        mensagens_com_texto(texto=texto, empresa_id=empresa_id)
        .filter(empresa_id=empresa_id)
        .values("ticket_id")
    )
    com_contato = (
        Contato.objects.filter(empresa_id=empresa_id)
        .filter(Q(nome__icontains=texto) | Q(telefone__icontains=texto) | Q(email__icontains=texto))
        .values("id")
    )
    return queryset.filter(
        Q(id__in=com_mensagem) | Q(contato_id__in=com_contato) | Q(assunto__icontains=texto)
    )


def ticket_detalhe(*, atendente: Atendente, ticket_id: uuid.UUID | str) -> Ticket:
    """One visible ticket with its latest messages and history, tags, contact identities and
    churn risk, latest insight (``mensagens_recentes`` / ``historico_recente`` newest first).

    The latest messages and history entries are read by two plain ``LIMIT`` queries once the
    ticket is found: a sliced ``Prefetch`` (made for many tickets) wraps each in a
    ``ROW_NUMBER()`` window and two subqueries, about a fifth of a detail request's CPU spent
    compiling SQL for one ticket."""
    queryset = tickets_listar(atendente=atendente).prefetch_related(
        "contato__identidades",
        Prefetch(
            "contato__risco_churn",
            queryset=da_empresa(RiscoChurn.objects, atendente),
            to_attr="riscos_churn",
        ),
    )
    try:
        ticket = queryset.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Ticket não encontrado.")) from None
    ticket.mensagens_recentes = list(
        Mensagem.objects.filter(ticket_id=ticket.id).order_by("-data", "-ordem", "-criado_em")[
            :MENSAGENS_NO_DETALHE
        ]
    )
    ticket.historico_recente = list(
        Historico.objects.filter(ticket_id=ticket.id)
        .select_related("atendente")
        .order_by("-criado_em")[:HISTORICO_NO_DETALHE]
    )
    return ticket


def ticket_historico(*, ticket: Ticket) -> QuerySet[Historico]:
    return Historico.objects.filter(ticket=ticket).select_related("atendente").order_by("criado_em")


def tickets_do_atendente(*, atendente: Atendente, alvo: Atendente) -> QuerySet[Ticket]:
    """Tickets assigned to ``alvo`` that ``atendente`` may see."""
    return tickets_listar(atendente=atendente).filter(atendente_id=alvo.id)


def tags_obter(*, atendente: Atendente, ids) -> list[Tag]:
    """Tags of the atendente's empresa by id; any unknown or foreign id is NaoEncontrado."""
    ids = list(dict.fromkeys(ids))
    tags = list(da_empresa(Tag.objects, atendente).filter(id__in=ids)) if ids else []
    if len(tags) != len(ids):
        raise NaoEncontrado(_("Tag não encontrada."))
    return tags


def atendente_obter(*, atendente: Atendente, atendente_id) -> Atendente:
    """An agent named in a request (assign, transfer, queue member): any agent of the empresa,
    without the statistics of the agents' list; another empresa's id is NaoEncontrado."""
    return obter_da_empresa(
        Atendente.objects.select_related("usuario"),
        atendente=atendente,
        pk=atendente_id,
        mensagem=_("Atendente não encontrado."),
    )


__all__ = [
    "atendente_obter",
    "com_colunas",
    "mensagens_com_texto",
    "tags_obter",
    "ticket_detalhe",
    "ticket_historico",
    "ticket_obter",
    "ticket_recarregar",
    "tickets_buscar",
    "tickets_do_atendente",
    "tickets_listar",
    "tickets_para_lista",
    "tickets_visiveis",
]
