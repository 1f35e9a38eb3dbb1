"""Hybrid retrieval over the empresa's knowledge base: pgvector cosine (HNSW) and PostgreSQL
full-text search in Portuguese with OR semantics, fused by reciprocal rank (RRF, k=60); the
empresa filter is inside both index queries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from ia.embeddings import embutir

RRF_K = 60
CANDIDATOS = 20
_PALAVRA = re.compile(r"\w{3,}", re.UNICODE)


@dataclass(frozen=True)
class Achado:
    artigo_id: str
    titulo: str
    trecho: str
    pontuacao: float  # fused RRF score
    similaridade: float  # cosine similarity of the best chunk (0 when only lexical)
    lexical: bool  # the full-text search found it too


def _tsquery(pergunta: str) -> str:
    palavras = sorted({p.lower() for p in _PALAVRA.findall(pergunta)})
    return " | ".join(palavras)


def buscar(empresa_id, pergunta: str, k: int = 3) -> list[Achado]:
    pergunta = (pergunta or "").strip()
    if not pergunta:
        return []
    vetor = embutir([pergunta], tipo="query")[0].tolist()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.artigo_id, 1 - (t.embedding <=> %s::vector) AS similaridade, t.texto
            FROM atendimento_base_conhecimento_trechos t
            JOIN atendimento_base_conhecimento a ON a.id = t.artigo_id AND a.ativo
            WHERE t.empresa_id = %s AND t.embedding IS NOT NULL
            ORDER BY t.embedding <=> %s::vector
            LIMIT %s
            """,
            [str(vetor), str(empresa_id), str(vetor), CANDIDATOS],
        )
        vetoriais = cursor.fetchall()
        lexicais = []
        consulta = _tsquery(pergunta)
        if consulta:
            cursor.execute(
                """
                SELECT t.artigo_id, ts_rank(t.busca, q) AS rank, t.texto
                FROM atendimento_base_conhecimento_trechos t
                JOIN atendimento_base_conhecimento a ON a.id = t.artigo_id AND a.ativo,
                     to_tsquery('portuguese', %s) q
                WHERE t.empresa_id = %s AND t.busca @@ q
                ORDER BY rank DESC
                LIMIT %s
                """,
                [consulta, str(empresa_id), CANDIDATOS],
            )
            lexicais = cursor.fetchall()
    pontos: dict[str, float] = {}
    melhor: dict[str, tuple[float, str]] = {}
    achado_lexical: set[str] = set()
    for posicao, (artigo_id, similaridade, texto) in enumerate(vetoriais):
        chave = str(artigo_id)
        pontos[chave] = pontos.get(chave, 0) + 1 / (RRF_K + posicao + 1)
        if chave not in melhor or similaridade > melhor[chave][0]:
            melhor[chave] = (float(similaridade), texto)
    for posicao, (artigo_id, _rank, texto) in enumerate(lexicais):
        chave = str(artigo_id)
        pontos[chave] = pontos.get(chave, 0) + 1 / (RRF_K + posicao + 1)
        achado_lexical.add(chave)
        melhor.setdefault(chave, (0.0, texto))
    ordem = sorted(pontos, key=lambda c: pontos[c], reverse=True)[:k]
    if not ordem:
        return []
    from ia.models import ArtigoConhecimento

    titulos = dict(ArtigoConhecimento.objects.filter(pk__in=ordem).values_list("pk", "titulo"))
    return [
        Achado(
            artigo_id=chave,
            titulo=titulos.get(_uuid(chave), ""),
            trecho=melhor[chave][1],
            pontuacao=pontos[chave],
            similaridade=melhor[chave][0],
            lexical=chave in achado_lexical,
        )
        for chave in ordem
    ]


def _uuid(valor: str):
    import uuid

    return uuid.UUID(valor)
