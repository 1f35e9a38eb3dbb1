"""E-mail tasks (``messages`` queue): baixar_inline."""

from __future__ import annotations

from celery import shared_task

__all__ = ["baixar_inline"]


@shared_task(name="canais.tasks.baixar_inline", acks_late=True, ignore_result=True)
def baixar_inline(mensagem_id: str) -> None:
    """Save the inline (``cid:``) images of an inbound e-mail as files of the message."""
    from atendimento.services.email_entrada import email_inline_baixar

    email_inline_baixar(mensagem_id=mensagem_id)
