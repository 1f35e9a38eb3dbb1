"""Periodic work of the desk that runs itself: SLA alerts, the distribution sweep, automatic
closing, unanswered first-contact menus.  Thin: each calls a service; each is idempotent (a
re-run does nothing twice)."""

from __future__ import annotations

from celery import shared_task

__all__ = ["alerta_sla", "distribuir_pendentes", "expirar_menus", "fechar_inativos"]


@shared_task(name="atendimento.tasks.alerta_sla", acks_late=True, ignore_result=True)
def alerta_sla() -> dict[str, int]:
    from atendimento.services.alertas_sla import alertar

    return alertar()


@shared_task(name="atendimento.tasks.distribuir_pendentes", acks_late=True, ignore_result=True)
def distribuir_pendentes() -> dict[str, int]:
    from atendimento.services.distribuicao import distribuir_pendentes as varrer

    return varrer()


@shared_task(name="atendimento.tasks.fechar_inativos", acks_late=True, ignore_result=True)
def fechar_inativos() -> int:
    from atendimento.services.automacoes import fechar_inativos as fechar

    return fechar()


@shared_task(name="atendimento.tasks.expirar_menus", acks_late=True, ignore_result=True)
def expirar_menus() -> int:
    """Tickets whose first-contact menu went unanswered go to the channel's default queue."""
    from atendimento.services.menu_inicial import expirar

    return expirar()
