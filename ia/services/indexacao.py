"""Knowledge-base indexing: an article is split into chunks, each embedded (e5 ``passage``)
and stored with its full-text vector; re-run on every save."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from ia.embeddings import MODELO, embutir
from ia.models import ArtigoConhecimento, TrechoConhecimento

#: Target chunk size in characters (~200-400 tokens of Portuguese); short articles and FAQ
#: entries stay whole.
TAMANHO_TRECHO = 1500


def dividir(titulo: str, conteudo: str) -> list[str]:
    """Chunks of an article, each prefixed with its title so it stands on its own: paragraphs are
    packed up to ``TAMANHO_TRECHO`` characters, never split inside a paragraph unless it alone is
    longer (then on sentence ends)."""
    paragrafos = [p.strip() for p in re.split(r"\n\s*\n", conteudo or "") if p.strip()]
    pedacos: list[str] = []
    for paragrafo in paragrafos:
        if len(paragrafo) <= TAMANHO_TRECHO:
            pedacos.append(paragrafo)
            continue
        atual = ""
        for frase in re.split(r"(?<=[.!?])\s+", paragrafo):
            if atual and len(atual) + len(frase) + 1 > TAMANHO_TRECHO:
                pedacos.append(atual)
                atual = ""
            atual = f"{atual} {frase}".strip()
        if atual:
            pedacos.append(atual)
    trechos: list[str] = []
    atual = ""
    for pedaco in pedacos:
        if atual and len(atual) + len(pedaco) + 2 > TAMANHO_TRECHO:
            trechos.append(atual)
            atual = ""
        atual = f"{atual}\n\n{pedaco}".strip()
    if atual or not trechos:
        trechos.append(atual)
    return [f"{titulo.strip()}: {t}" if t else titulo.strip() for t in trechos]


def indexar_artigo(artigo: ArtigoConhecimento) -> int:
    """Replace ``artigo``'s chunks with freshly embedded ones; returns how many were written."""
    textos = dividir(artigo.titulo, artigo.conteudo)
    vetores = embutir(textos, tipo="passage")
    with transaction.atomic():
        TrechoConhecimento.objects.filter(empresa_id=artigo.empresa_id, artigo=artigo).delete()
        TrechoConhecimento.objects.bulk_create(
            TrechoConhecimento(
                empresa_id=artigo.empresa_id,
                artigo=artigo,
                ordem=i,
                texto=texto,
                embedding=vetor,
                modelo_embedding=MODELO,
            )
            for i, (texto, vetor) in enumerate(zip(textos, vetores, strict=True))
        )
        ArtigoConhecimento.objects.filter(pk=artigo.pk).update(indexado_em=timezone.now())
    return len(textos)
