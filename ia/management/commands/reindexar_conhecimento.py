"""Re-index knowledge-base articles for retrieval (chunks, embeddings, full-text vectors).

    manage.py reindexar_conhecimento                      # every article of every empresa
    manage.py reindexar_conhecimento --empresa minha-loja # one empresa (slug or id)
    manage.py reindexar_conhecimento --artigo <id> ...    # some articles
    manage.py reindexar_conhecimento --pendentes          # never indexed, edited since, or
                                                          # indexed by another embedding model

Idempotent: an article's chunks are replaced as a whole, in one transaction per article, so
running it twice (or after an interruption) leaves every article indexed exactly once. Needed
after the chunking or the embedding model changes; saving an article already re-indexes it.
"""

from __future__ import annotations

import contextlib
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, F, OuterRef, Q
from tqdm import tqdm

from atendimento.models import Empresa
from ia.embeddings import MODELO
from ia.models import ArtigoConhecimento, TrechoConhecimento
from ia.services.indexacao import indexar_artigo


def _empresa(valor: str) -> Empresa:
    filtro = Q(slug=valor)
    with contextlib.suppress(ValueError):
        filtro |= Q(pk=uuid.UUID(valor))
    empresa = Empresa.objects.filter(filtro).first()
    if empresa is None:
        raise CommandError(f"Empresa not found: {valor!r} (give its slug or id).")
    return empresa


class Command(BaseCommand):
    help = "Re-index knowledge-base articles (all, one empresa's, or some) with a progress bar."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--empresa", help="only this empresa's articles (slug or id)")
        parser.add_argument(
            "--artigo", action="append", default=[], help="only this article (id; repeatable)"
        )
        parser.add_argument(
            "--pendentes",
            action="store_true",
            help="only articles never indexed, edited since, or indexed by another model",
        )

    def handle(self, *args, **options) -> None:
        artigos = ArtigoConhecimento.objects.all()
        if options["empresa"]:
            artigos = artigos.filter(empresa=_empresa(options["empresa"]))
        if options["artigo"]:
            try:
                ids = {uuid.UUID(valor) for valor in options["artigo"]}
            except ValueError as erro:
                raise CommandError(f"Invalid article id: {erro}") from erro
            encontrados = set(artigos.filter(pk__in=ids).values_list("pk", flat=True))
            if faltam := ids - encontrados:
                raise CommandError("Article(s) not found: " + ", ".join(sorted(map(str, faltam))))
            artigos = artigos.filter(pk__in=ids)
        if options["pendentes"]:
            outro_modelo = TrechoConhecimento.objects.filter(artigo=OuterRef("pk")).exclude(
                modelo_embedding=MODELO
            )
            artigos = artigos.filter(
                Q(indexado_em__isnull=True)
                | Q(indexado_em__lt=F("atualizado_em"))
                | Exists(outro_modelo)
            )
        ids = list(artigos.order_by("empresa_id", "criado_em", "pk").values_list("pk", flat=True))
        trechos = 0
        barra = tqdm(
            ids,
            desc="artigos",
            unit="artigo",
            file=self.stderr,
            disable=options["verbosity"] == 0,
        )
        for pk in barra:
            artigo = ArtigoConhecimento.objects.filter(pk=pk).first()
            if artigo is None:  # deleted meanwhile: its chunks went with it
                continue
            trechos += indexar_artigo(artigo)
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(f"{len(ids)} artigo(s) reindexado(s), {trechos} trecho(s).")
            )
