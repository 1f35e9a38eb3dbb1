"""Channels group names (letters, digits, '-', '_', '.'; under 100 characters)."""

from __future__ import annotations


def grupo_supervisores(empresa_id) -> str:
    return f"empresa.{empresa_id}.supervisores"


def grupo_fila(fila_id) -> str:
    return f"fila.{fila_id}"


def grupo_atendente(atendente_id) -> str:
    return f"atendente.{atendente_id}"


def grupo_ticket(ticket_id) -> str:
    return f"ticket.{ticket_id}"


def grupo_empresa(empresa_id) -> str:
    """Everybody of an empresa (agent presence)."""
    return f"empresa.{empresa_id}"


def grupos_que_veem_ticket(ticket) -> list[str]:
    """Sockets that may receive events of ``ticket`` (the consumer re-checks on delivery)."""
    grupos = [grupo_supervisores(ticket.empresa_id), grupo_ticket(ticket.id)]
    if ticket.fila_id:
        grupos.append(grupo_fila(ticket.fila_id))
    if ticket.atendente_id:
        grupos.append(grupo_atendente(ticket.atendente_id))
    return grupos
