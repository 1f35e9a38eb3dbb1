"""Retention housekeeping (daily, Celery beat)."""

from __future__ import annotations

from celery import shared_task

from atendimento.services.retencao import eventos_podar

__all__ = ["podar_eventos_webhook"]


@shared_task(name="canais.tasks.podar_eventos_webhook", ignore_result=True)
def podar_eventos_webhook() -> int:
    return eventos_podar()
