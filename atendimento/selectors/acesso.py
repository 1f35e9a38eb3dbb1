"""Who may see what. Every read of tenant data goes through these functions, so the tenant and
queue rules live in one place (Zulip's access_* pattern): another empresa's row, or a ticket
outside an agent's queues, is NaoEncontrado (404), never 403."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado
from atendimento.models import Atendente, AtendenteFila, Ticket


def atendente_do_usuario(usuario) -> Atendente:
    """The Atendente of a logged-in user; users without one (or inactive) see nothing."""
    if usuario is None or not usuario.is_authenticated:
        raise NaoEncontrado(_("Usuário sem acesso ao atendimento."))
    try:
        atendente = usuario.atendente
    except Atendente.DoesNotExist:
        raise NaoEncontrado(_("Usuário sem acesso ao atendimento.")) from None
    if not atendente.ativo:
        raise NaoEncontrado(_("Usuário sem acesso ao atendimento."))
    return atendente


def filtro_tickets_visiveis(atendente: Atendente) -> Q:
    """Q over Ticket: the empresa for admins/supervisors; for an atendente, the tickets of the
    queues they belong to plus those assigned to them.  The queues are a subquery, not a join:
    no row is repeated, so lists need no DISTINCT (which sorted every visible ticket before
    the first page could be read)."""
    if atendente.gerencia_empresa:
        return Q(empresa_id=atendente.empresa_id)
    filas = AtendenteFila.objects.filter(atendente_id=atendente.id).values("fila_id")
    return Q(empresa_id=atendente.empresa_id) & (
        Q(fila_id__in=filas) | Q(atendente_id=atendente.id)
    )


def tickets_visiveis(atendente: Atendente) -> QuerySet[Ticket]:
    return Ticket.objects.filter(filtro_tickets_visiveis(atendente))


def ticket_visivel(atendente: Atendente, ticket: Ticket) -> bool:
    if ticket.empresa_id != atendente.empresa_id:
        return False
    if atendente.gerencia_empresa or ticket.atendente_id == atendente.id:
        return True
    if ticket.fila_id is None:
        return False
    return atendente.membros_fila.filter(fila_id=ticket.fila_id).exists()


def ticket_obter(*, atendente: Atendente, ticket_id: uuid.UUID | str) -> Ticket:
    try:
        return tickets_visiveis(atendente).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Ticket não encontrado.")) from None


def da_empresa(queryset: QuerySet, atendente: Atendente) -> QuerySet:
    """Rows of ``queryset`` that belong to the atendente's empresa (every model but Empresa)."""
    return queryset.filter(empresa_id=atendente.empresa_id)


def obter_da_empresa(
    queryset: QuerySet, *, atendente: Atendente, pk: uuid.UUID | str | None, mensagem: str
):
    """One row of the atendente's empresa; missing, malformed or another empresa's id is
    NaoEncontrado (404) with ``mensagem``."""
    try:
        return da_empresa(queryset, atendente).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(mensagem) from None
