"""Rebuild ia/local/sementes.npz: the embedder's vectors of the classifier's seed examples."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ia.local import nlp


class Command(BaseCommand):
    help = "Embed the seed examples of the offline sentiment/intent classifier (sementes.npz)."

    def handle(self, *args, **options) -> None:
        sementes = nlp.carregar_sementes()
        destino = nlp.construir_vetores(sementes)
        self.stdout.write(self.style.SUCCESS(f"{len(sementes)} sementes → {destino}"))
