"""Knowledge-base indexing: an article is split into chunks, each embedded (e5 ``passage``)
and stored with its full-text vector; re-run on every save.

An article is stored at three granularities (``trechos``): its sections (paragraphs packed up to
``TAMANHO_TRECHO`` characters), its title alone, and windows of ``FRASES_JANELA`` consecutive
sentences. The search scores an article by its two best chunks, so a question that matches one
precise sentence and one that matches the article as a whole both find it (measured on the tune
half of ``ia/dados/kb_perguntas.jsonl``: vectors alone went from recall@1 0.75 with one chunk per
article to 0.82 with the three granularities)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from ia.embeddings import MODELO, embutir
from ia.models import ArtigoConhecimento, TrechoConhecimento

#: Target chunk size in characters (~200-400 tokens of Portuguese); short articles and FAQ
#: entries stay whole.
TAMANHO_TRECHO = 1500
#: Sentences per sliding window (step: one sentence).
FRASES_JANELA = 2

_FIM_DE_FRASE = re.compile(r"(?<=[.!?])\s+")


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
        for frase in _FIM_DE_FRASE.split(paragrafo):
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


def janelas(titulo: str, conteudo: str) -> list[str]:
    """Windows of ``FRASES_JANELA`` consecutive sentences of each paragraph (one sentence apart),
    each prefixed with the title."""
    resultado: list[str] = []
    for paragrafo in re.split(r"\n\s*\n", conteudo or ""):
        frases = [f for f in _FIM_DE_FRASE.split(paragrafo.strip()) if f]
        for inicio in range(max(1, len(frases) - FRASES_JANELA + 1)):
            janela = " ".join(frases[inicio : inicio + FRASES_JANELA])
            if janela:
                resultado.append(f"{titulo.strip()}: {janela}")
    return resultado


def trechos(titulo: str, conteudo: str) -> list[tuple[str, str]]:
    """Every chunk stored for an article as ``(tipo, texto)``: its sections, its title alone and
    its sentence windows, without repeats (an article with no text is its title alone)."""
    Tipo = TrechoConhecimento.Tipo
    vistos: dict[str, str] = {}
    for tipo, textos in (
        (Tipo.SECAO, dividir(titulo, conteudo)),
        (Tipo.TITULO, [titulo.strip()]),
        (Tipo.JANELA, janelas(titulo, conteudo)),
    ):
        for texto in textos:
            if texto:
                vistos.setdefault(texto, tipo)
    return [(tipo, texto) for texto, tipo in vistos.items()]


def indexar_artigo(artigo: ArtigoConhecimento) -> int:
    """Replace ``artigo``'s chunks with freshly embedded ones; returns how many were written.
    Idempotent: running it twice leaves the same chunks."""
    pares = trechos(artigo.titulo, artigo.conteudo)
    vetores = embutir([texto for _, texto in pares], tipo="passage")
    with transaction.atomic():
        TrechoConhecimento.objects.filter(empresa_id=artigo.empresa_id, artigo=artigo).delete()
        TrechoConhecimento.objects.bulk_create(
            TrechoConhecimento(
                empresa_id=artigo.empresa_id,
                artigo=artigo,
                ordem=i,
                tipo=tipo,
                texto=texto,
                embedding=vetor,
                modelo_embedding=MODELO,
            )
            for i, ((tipo, texto), vetor) in enumerate(zip(pares, vetores, strict=True))
        )
        ArtigoConhecimento.objects.filter(pk=artigo.pk).update(indexado_em=timezone.now())
    return len(pares)
