"""Shared by the LGPD commands: the contact named on the command line, inside its empresa."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from atendimento.models import Contato


def contato_do_comando(empresa_id: str, contato_id: str) -> Contato:
    try:
        return Contato.objects.get(empresa_id=empresa_id, pk=contato_id)
    except (Contato.DoesNotExist, ValidationError, ValueError) as exc:
        raise CommandError(f"contato {contato_id} não encontrado na empresa {empresa_id}") from exc
