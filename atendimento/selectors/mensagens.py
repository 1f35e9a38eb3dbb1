"""Read side of messages: always through a ticket the atendente may see."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado
from atendimento.models import Atendente, Mensagem, Ticket
from atendimento.selectors.acesso import tickets_visiveis

ORDEM_CONVERSA = ("data", "ordem", "criado_em")


def mensagens_visiveis(atendente: Atendente) -> QuerySet[Mensagem]:
    """Messages of every ticket the atendente may see."""
    return Mensagem.objects.filter(
        empresa_id=atendente.empresa_id,
        ticket_id__in=tickets_visiveis(atendente).values("id"),
    )


def mensagens_listar(*, atendente: Atendente, ticket: Ticket | None = None) -> QuerySet[Mensagem]:
    """Oldest→newest; one ticket (already checked visible) or every visible one."""
    if ticket is not None:
        queryset = Mensagem.objects.filter(ticket=ticket)
    else:
        queryset = mensagens_visiveis(atendente)
    return queryset.order_by(*ORDEM_CONVERSA, "id")


def mensagem_obter(*, atendente: Atendente, mensagem_id: uuid.UUID | str) -> Mensagem:
    try:
        return mensagens_visiveis(atendente).get(pk=mensagem_id)
    except (Mensagem.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Mensagem não encontrada.")) from None


def mensagens_obter(*, atendente: Atendente, ids) -> list[Mensagem]:
    """Visible messages by id; any unknown, foreign or invisible id is NaoEncontrado."""
    ids = list(dict.fromkeys(ids))
    mensagens = list(mensagens_visiveis(atendente).filter(id__in=ids)) if ids else []
    if len(mensagens) != len(ids):
        raise NaoEncontrado(_("Mensagem não encontrada."))
    return mensagens


def mensagens_da_conversa(*, ticket: Ticket, antes: Mensagem | None = None) -> QuerySet[Mensagem]:
    """A ticket's conversation newest→oldest (the history pagination reverses each page),
    optionally only what came strictly before ``antes``."""
    queryset = Mensagem.objects.filter(ticket=ticket)
    if antes is not None:
        queryset = queryset.filter(_anterior_a(antes.data, antes.ordem, antes.criado_em, antes.id))
    return queryset.order_by("-data", "-ordem", "-criado_em", "-id")


def _anterior_a(data, ordem, criado_em, pk) -> Q:
    """Strictly before (data, ordem, criado_em, id) in conversation order; PostgreSQL sorts a
    NULL ``ordem`` last in ascending order, so every non-NULL ordem comes before a NULL one."""
    desempate = Q(criado_em__lt=criado_em) | (Q(criado_em=criado_em) & Q(id__lt=pk))
    if ordem is None:
        mesmo_dia = Q(ordem__isnull=False) | (Q(ordem__isnull=True) & desempate)
    else:
        mesmo_dia = Q(ordem__lt=ordem) | (Q(ordem=ordem) & desempate)
    return Q(data__lt=data) | (Q(data=data) & mesmo_dia)


def mensagem_da_conversa(*, ticket: Ticket, mensagem_id) -> Mensagem:
    try:
        return Mensagem.objects.get(ticket=ticket, pk=mensagem_id)
    except (Mensagem.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Mensagem não encontrada.")) from None
