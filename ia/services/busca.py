"""Hybrid knowledge-base retrieval: pgvector HNSW cosine + Portuguese full-text search, fused with
Reciprocal Rank Fusion (k=60). Both halves are filtered by empresa inside the index query."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import connection

from ia.embeddings import embutir

#: RRF constant (Cormack, Clarke & Büttcher, SIGIR 2009).
K_RRF = 60
#: Candidates taken from each half before fusing.
CANDIDATOS = 20

_SQL = """
WITH vetor AS (
    SELECT t.id, row_number() OVER (ORDER BY t.embedding <=> %(vetor)s::vector) AS pos,
           1 - (t.embedding <=> %(vetor)s::vector) AS similaridade
    FROM atendimento_base_conhecimento_trechos t
    JOIN atendimento_base_conhecimento a ON a.id = t.artigo_id AND a.empresa_id = t.empresa_id
    WHERE t.empresa_id = %(empresa)s AND a.ativo AND t.embedding IS NOT NULL
    ORDER BY t.embedding <=> %(vetor)s::vector
    LIMIT %(candidatos)s
),
consulta AS (
    SELECT to_tsquery('pt_unaccent', NULLIF(replace(
        plainto_tsquery('pt_unaccent', ia_sem_acento(%(pergunta)s))::text, '&', '|'), '')) AS q
),
texto AS (
    SELECT t.id, row_number() OVER (ORDER BY ts_rank_cd(t.busca, c.q) DESC, t.id) AS pos
    FROM atendimento_base_conhecimento_trechos t
    JOIN atendimento_base_conhecimento a ON a.id = t.artigo_id AND a.empresa_id = t.empresa_id
    CROSS JOIN consulta c
    WHERE t.empresa_id = %(empresa)s AND a.ativo AND c.q IS NOT NULL AND t.busca @@ c.q
    ORDER BY ts_rank_cd(t.busca, c.q) DESC, t.id
    LIMIT %(candidatos)s
),
fundido AS (
    SELECT coalesce(v.id, x.id) AS id,
           coalesce(1.0 / (%(k)s + v.pos), 0) + coalesce(1.0 / (%(k)s + x.pos), 0) AS rrf,
           v.pos AS pos_vetor, x.pos AS pos_texto, v.similaridade
    FROM vetor v FULL OUTER JOIN texto x ON x.id = v.id
)
SELECT t.artigo_id, a.titulo, t.texto, f.rrf, f.pos_vetor, f.pos_texto, f.similaridade
FROM fundido f
JOIN atendimento_base_conhecimento_trechos t ON t.id = f.id
JOIN atendimento_base_conhecimento a ON a.id = t.artigo_id
ORDER BY f.rrf DESC, f.similaridade DESC NULLS LAST
"""


@dataclass(frozen=True)
class Trecho:
    """One retrieved chunk, best first; ``artigo_id`` is the article's id to cite."""

    artigo_id: UUID
    titulo: str
    texto: str
    rrf: float
    pos_vetor: int | None
    pos_texto: int | None
    similaridade: float | None


def buscar(empresa, pergunta: str, k: int = 5) -> list[Trecho]:
    """The ``k`` best chunks of ``empresa``'s active articles for ``pergunta``, at most one per
    article (its best chunk), best first."""
    pergunta = (pergunta or "").strip()
    if not pergunta or k <= 0:
        return []
    vetor = embutir([pergunta], tipo="query")[0]
    parametros = {
        "vetor": "[" + ",".join(f"{x:.6f}" for x in vetor.tolist()) + "]",
        "empresa": getattr(empresa, "pk", empresa),
        "pergunta": pergunta[:2000],
        "candidatos": CANDIDATOS,
        "k": K_RRF,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQL, parametros)
        linhas = cursor.fetchall()
    vistos: set = set()
    resultado: list[Trecho] = []
    for linha in linhas:
        if linha[0] in vistos:
            continue
        vistos.add(linha[0])
        resultado.append(Trecho(*linha[:3], float(linha[3]), linha[4], linha[5], linha[6]))
        if len(resultado) == k:
            break
    return resultado
