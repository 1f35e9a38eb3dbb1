"""The ``notifications`` queue's notice jobs: thin wrappers over ``services.avisos``. Each is
idempotent (the notification service sends once per person and event)."""

from __future__ import annotations

from celery import shared_task

from atendimento.services import avisos

__all__ = ["novo_ticket", "novos_tickets", "resumo_diario", "ticket_sem_resposta"]


@shared_task(name="atendimento.tasks.novo_ticket", acks_late=True)
def novo_ticket(ticket_id: str, exceto: str | None = None) -> int:
    """Tell the agents who may take the new (or reopened) ticket."""
    return avisos.avisar_novo_ticket(ticket_id, exceto=exceto)


@shared_task(name="atendimento.tasks.novos_tickets", acks_late=True)
def novos_tickets(ticket_ids: list[str], exceto: str | None = None) -> int:
    """:func:`novo_ticket` for every ticket a batch of inbound messages opened: one task per
    batch, not one per ticket (a burst of new conversations used to queue hundreds)."""
    return avisos.avisar_novos_tickets(ticket_ids, exceto=exceto)


@shared_task(name="atendimento.tasks.ticket_sem_resposta", acks_late=True)
def ticket_sem_resposta() -> int:
    """Periodic: customers waiting longer than their queue's (or empresa's) limit."""
    return avisos.avisar_sem_resposta()


@shared_task(name="atendimento.tasks.resumo_diario", acks_late=True)
def resumo_diario(data: str | None = None) -> int:
    """Daily: yesterday's figures (or ``data``'s, ISO date) to each agent and supervisor."""
    return avisos.enviar_resumos(data)
