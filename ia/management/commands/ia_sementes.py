"""Rebuild ia/local/sementes.npz: the embedder's vectors of the classifier's seed examples."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from ia.local import nlp


class Command(BaseCommand):
    help = "Embed the seed examples of the offline sentiment/intent classifier (sementes.npz)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--saida", type=Path, default=nlp.ARQUIVO_VETORES, help="where to write the .npz"
        )

    def handle(self, *args, **options) -> None:
        sementes = nlp.carregar_sementes()
        destino = nlp.construir_vetores(sementes, options["saida"])
        self.stdout.write(self.style.SUCCESS(f"{len(sementes)} sementes -> {destino}"))
