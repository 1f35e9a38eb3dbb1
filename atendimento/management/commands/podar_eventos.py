"""Delete finished webhook payloads older than the retention period (LGPD)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from atendimento.services.retencao import eventos_podar


class Command(BaseCommand):
    help = (
        "Apaga os eventos de webhook já processados (corpo bruto com dados dos clientes) mais "
        "antigos que RETENCAO_EVENTOS_DIAS (ou --dias)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dias", type=int, default=None)

    def handle(self, *args, dias: int | None = None, **opcoes) -> None:
        dias = settings.RETENCAO_EVENTOS_DIAS if dias is None else dias
        if dias < 0:
            self.stderr.write("--dias não pode ser negativo")
            raise SystemExit(2)
        total = eventos_podar(dias=dias)
        self.stdout.write(f"{total} evento(s) com mais de {dias} dia(s) apagado(s).")
