"""Knowledge-base indexing: an article is split into chunks, each embedded (offline e5) and
kept with its Portuguese full-text vector (a generated column) for hybrid retrieval."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from ia.embeddings import MODELO, embutir
from ia.models import ArtigoConhecimento, TrechoConhecimento

TAMANHO_TRECHO = 900  # characters; FAQ answers fit whole in one chunk


def trechos_do_texto(titulo: str, conteudo: str) -> list[str]:
    """Paragraphs packed into chunks of about TAMANHO_TRECHO characters, each prefixed by the
    title (a question reworded matches the title as well as the body)."""
    paragrafos = [p.strip() for p in re.split(r"\n\s*\n", conteudo or "") if p.strip()]
    trechos, atual = [], ""
    for paragrafo in paragrafos or [""]:
        if atual and len(atual) + len(paragrafo) > TAMANHO_TRECHO:
            trechos.append(atual)
            atual = ""
        atual = f"{atual}\n\n{paragrafo}".strip()
    if atual or not trechos:
        trechos.append(atual)
    return [f"{titulo}\n{t}".strip() for t in trechos]


@transaction.atomic
def artigo_indexar(artigo: ArtigoConhecimento) -> int:
    """(Re)build the article's chunks; an inactive article has none (never suggested)."""
    TrechoConhecimento.objects.filter(artigo=artigo).delete()
    if not artigo.ativo:
        ArtigoConhecimento.objects.filter(pk=artigo.pk).update(indexado_em=timezone.now())
        return 0
    textos = trechos_do_texto(artigo.titulo, artigo.conteudo)
    vetores = embutir(textos, tipo="passage")
    TrechoConhecimento.objects.bulk_create(
        [
            TrechoConhecimento(
                empresa_id=artigo.empresa_id,
                artigo=artigo,
                ordem=i,
                texto=texto,
                embedding=vetor.tolist(),
                modelo_embedding=MODELO,
            )
            for i, (texto, vetor) in enumerate(zip(textos, vetores, strict=True))
        ]
    )
    ArtigoConhecimento.objects.filter(pk=artigo.pk).update(indexado_em=timezone.now())
    return len(textos)


def _ao_salvar(sender, instance: ArtigoConhecimento, raw=False, **kwargs) -> None:
    if raw:
        return
    artigo_id = instance.pk
    transaction.on_commit(lambda: _indexar_por_id(artigo_id))


def _indexar_por_id(artigo_id) -> None:
    artigo = ArtigoConhecimento.objects.filter(pk=artigo_id).first()
    if artigo is not None:
        artigo_indexar(artigo)


def conectar() -> None:
    from django.db.models.signals import post_save

    post_save.connect(_ao_salvar, sender=ArtigoConhecimento, dispatch_uid="ia-indexar-artigo")
