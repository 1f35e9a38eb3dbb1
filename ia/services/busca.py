"""Hybrid knowledge-base retrieval: pgvector HNSW cosine + Portuguese full-text search, fused
per article with weighted Reciprocal Rank Fusion. Both halves are filtered by empresa inside the
index query.

* The question is expanded first (``ia/services/expansao.py``: "net" → "internet", ...).
* Vector half: the nearest chunks (HNSW, iterative scan so the empresa filter never starves it)
  name the candidate articles; each candidate is then scored exactly by the sum of its two most
  similar chunks (sections, title, sentence windows: ``ia/services/indexacao.py``).
* Text half: accent-insensitive Portuguese stems of the question OR-ed and ANDed with the
  empresa's lexeme (``ia.models.LexemaEmpresa``: the GIN scan returns this empresa's matches
  only), ``ts_rank_cd`` over at most ``LIMITE_TEXTO`` matching chunks (a frequent word in a huge
  knowledge base must not make the ranking read every row), best chunk per article.
* Fusion: ``1/(K_RRF + rank_vetor) + PESO_TEXTO/(K_RRF + rank_texto)``.

The constants were chosen on the tune half of ``ia/dados/kb_perguntas.jsonl`` only (the vectors
are the stronger half there, so the text half weighs a quarter); ``bench/ai_eval.py`` reports the
measure half.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import connection, transaction

from ia.embeddings import embutir
from ia.services.expansao import expandir

#: RRF constant (Cormack, Clarke & Büttcher use 60 for many long runs; with ~20 candidates per
#: half a smaller constant keeps the top ranks apart).
K_RRF = 10
#: Weight of the full-text half in the fusion (the vector half weighs 1).
PESO_TEXTO = 0.25
#: Nearest chunks that name the vector half's candidate articles.
CANDIDATOS_VETOR = 60
#: Best full-text chunks kept for the text half.
CANDIDATOS_TEXTO = 50
#: At most this many matching chunks are ranked by ``ts_rank_cd``.
LIMITE_TEXTO = 1000
#: HNSW search breadth (pgvector's ``hnsw.ef_search``; default 40).
EF_SEARCH = 80

_SQL = """
WITH vizinhos AS (
    SELECT t.artigo_id
    FROM atendimento_base_conhecimento_trechos t
    JOIN atendimento_base_conhecimento a ON a.id = t.artigo_id AND a.empresa_id = t.empresa_id
    WHERE t.empresa_id = %(empresa)s AND a.ativo AND t.embedding IS NOT NULL
    ORDER BY t.embedding <=> %(vetor)s::vector
    LIMIT %(candidatos_vetor)s
),
notas AS (
    SELECT t.artigo_id, t.id, 1 - (t.embedding <=> %(vetor)s::vector) AS similaridade
    FROM atendimento_base_conhecimento_trechos t
    WHERE t.empresa_id = %(empresa)s AND t.embedding IS NOT NULL
      AND t.artigo_id IN (SELECT DISTINCT artigo_id FROM vizinhos)
),
ordenadas AS (
    SELECT n.*, row_number() OVER (
        PARTITION BY n.artigo_id ORDER BY n.similaridade DESC, n.id) AS ordem
    FROM notas n
),
vetor AS (
    SELECT artigo_id, max(similaridade) AS similaridade,
           row_number() OVER (ORDER BY
               max(similaridade) + coalesce(max(similaridade) FILTER (WHERE ordem = 2),
                                            max(similaridade)) DESC,
               artigo_id) AS pos
    FROM ordenadas
    GROUP BY artigo_id
),
consulta AS (
    SELECT to_tsquery('pt_unaccent', NULLIF(replace(
        plainto_tsquery('pt_unaccent', ia_sem_acento(%(pergunta)s))::text, '&', '|'), '')) AS q,
        ('e' || replace((%(empresa)s)::text, '-', ''))::tsquery AS dona
),
casados AS (
    SELECT t.id, t.artigo_id, t.busca
    FROM atendimento_base_conhecimento_trechos t
    CROSS JOIN consulta c
    WHERE t.empresa_id = %(empresa)s AND c.q IS NOT NULL AND t.busca @@ (c.q && c.dona)
    LIMIT %(limite_texto)s
),
melhores AS (
    SELECT x.id, x.artigo_id, ts_rank_cd(x.busca, c.q) AS nota
    FROM casados x CROSS JOIN consulta c
    ORDER BY nota DESC, x.id
    LIMIT %(candidatos_texto)s
),
texto AS (
    SELECT m.artigo_id, row_number() OVER (ORDER BY max(m.nota) DESC, m.artigo_id) AS pos
    FROM melhores m
    JOIN atendimento_base_conhecimento a ON a.id = m.artigo_id AND a.empresa_id = %(empresa)s
    WHERE a.ativo
    GROUP BY m.artigo_id
),
fundido AS (
    SELECT coalesce(v.artigo_id, x.artigo_id) AS artigo_id,
           coalesce(1.0 / (%(k_rrf)s + v.pos), 0)
               + %(peso_texto)s * coalesce(1.0 / (%(k_rrf)s + x.pos), 0) AS rrf,
           v.pos AS pos_vetor, x.pos AS pos_texto, v.similaridade
    FROM vetor v FULL OUTER JOIN texto x ON x.artigo_id = v.artigo_id
    ORDER BY rrf DESC, v.similaridade DESC NULLS LAST, artigo_id
    LIMIT %(k)s
)
SELECT f.artigo_id, a.titulo, s.texto, f.rrf, f.pos_vetor, f.pos_texto, f.similaridade
FROM fundido f
JOIN atendimento_base_conhecimento a ON a.id = f.artigo_id
CROSS JOIN LATERAL (
    SELECT t.texto FROM atendimento_base_conhecimento_trechos t
    WHERE t.empresa_id = %(empresa)s AND t.artigo_id = f.artigo_id AND t.tipo = 'secao'
    ORDER BY t.embedding <=> %(vetor)s::vector NULLS LAST, t.ordem
    LIMIT 1
) s
ORDER BY f.rrf DESC, f.similaridade DESC NULLS LAST, f.artigo_id
"""


@dataclass(frozen=True)
class Trecho:
    """One retrieved article, best first: ``artigo_id`` is the id to cite, ``texto`` the
    article's section closest to the question (what an answer quotes), ``pos_vetor`` /
    ``pos_texto`` the article's rank in each half (None: not among that half's candidates)."""

    artigo_id: UUID
    titulo: str
    texto: str
    rrf: float
    pos_vetor: int | None
    pos_texto: int | None
    similaridade: float | None


def buscar(empresa, pergunta: str, k: int = 5) -> list[Trecho]:
    """The ``k`` best of ``empresa``'s active articles for ``pergunta``, one entry per article,
    best first."""
    pergunta = (pergunta or "").strip()
    if not pergunta or k <= 0:
        return []
    pergunta = expandir(pergunta[:2000])
    return consultar(empresa, pergunta, embutir([pergunta], tipo="query")[0], k)


def consultar(empresa, pergunta: str, vetor, k: int = 5) -> list[Trecho]:
    """The search itself, for an already expanded question and its embedding (the bench times
    this part alone)."""
    parametros = {
        "vetor": "[" + ",".join(f"{x:.6f}" for x in vetor.tolist()) + "]",
        "empresa": getattr(empresa, "pk", empresa),
        "pergunta": pergunta,
        "candidatos_vetor": CANDIDATOS_VETOR,
        "candidatos_texto": CANDIDATOS_TEXTO,
        "limite_texto": LIMITE_TEXTO,
        "k_rrf": K_RRF,
        "peso_texto": PESO_TEXTO,
        "k": k,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Filtered HNSW scans keep going until enough rows of this empresa are found.
        cursor.execute(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
            "set_config('hnsw.ef_search', %s, true)",
            [str(EF_SEARCH)],
        )
        cursor.execute(_SQL, parametros)
        linhas = cursor.fetchall()
    return [Trecho(*linha[:3], float(linha[3]), linha[4], linha[5], linha[6]) for linha in linhas]
