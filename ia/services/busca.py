"""Hybrid knowledge-base retrieval: pgvector HNSW cosine + Portuguese full-text search, fused
per article with weighted Reciprocal Rank Fusion. Both halves are filtered by empresa inside the
index query.

One statement in phases (``MATERIALIZED`` CTEs, so the planner cannot merge them): the index scans
fetch a few candidate chunks with a ``LIMIT``, and everything else works on those rows only. A
tenant holding 100k chunks costs about what a small one does.

* The question is expanded first (``ia/services/expansao.py``: "net" → "internet", ...).
* Vector candidates: the ``CANDIDATOS_VETOR`` nearest chunks of the empresa, a bare
  ``ORDER BY embedding <=> q LIMIT n`` (HNSW with ``hnsw.iterative_scan``, so the empresa filter
  never starves it, or an exact scan of a small empresa's rows, as the planner prices them).
* Full-text candidates: the question's stems are OR-ed and ANDed with the empresa's lexeme
  (``ia.models.LexemaEmpresa``: the GIN scan returns this empresa's matches only). Only the rarest
  stems fetch candidates — while their estimated matches (the planner's own statistics,
  ``lexemas_frequentes``) stay within ``ORCAMENTO_TEXTO`` rows — because a bitmap of a frequent
  word's matches costs as much as the table; at most ``LIMITE_TEXTO`` matches are ranked with
  ``ts_rank_cd`` on every stem and the best ``CANDIDATOS_TEXTO`` chunks name articles.
* Scoring, on every chunk of the candidate articles that are active (read through the
  ``(empresa, artigo)`` index, never ordered by distance, so HNSW cannot be chosen for it): an
  article's vector score is the sum of its two most similar chunks (sections, title, sentence
  windows: ``ia/services/indexacao.py``), its text score the ``ts_rank_cd`` of its best chunk over
  every stem of the question; the section quoted is its section closest to the question.
* Fusion: ``1/(K_RRF + rank_vetor) + PESO_TEXTO/(K_RRF + rank_texto)``.

The constants were chosen on the tune half of ``ia/dados/kb_perguntas.jsonl`` only (the vectors
are the stronger half there, so the text half weighs a quarter); ``bench/ai_eval.py`` reports the
measure half.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

from django.db import connection, transaction

from ia.embeddings import embutir
from ia.models import TrechoConhecimento
from ia.services.expansao import expandir

#: RRF constant (Cormack, Clarke & Büttcher use 60 for many long runs; with a few dozen candidate
#: articles a smaller constant keeps the top ranks apart).
K_RRF = 10
#: Weight of the full-text half in the fusion (the vector half weighs 1).
PESO_TEXTO = 0.25
#: Nearest chunks that name the vector half's candidate articles.
CANDIDATOS_VETOR = 20
#: Best full-text chunks kept for the text half.
CANDIDATOS_TEXTO = 20
#: At most this many matching chunks are ranked by ``ts_rank_cd``.
LIMITE_TEXTO = 500
#: Full-text candidates are fetched with the question's rarest stems only, while their estimated
#: matches (``pg_stats`` of the chunks' ``busca`` column) add up to at most this many rows.
ORCAMENTO_TEXTO = 2000
#: Seconds the lexeme frequencies read from ``pg_stats`` are reused.
VALIDADE_FREQUENCIAS = 300.0
#: HNSW search breadth (pgvector's ``hnsw.ef_search``; default 40), no less than
#: ``CANDIDATOS_VETOR``. At 100k chunks 20 halves the scan's CPU (about 2.1 → 1.1 ms per search)
#: and left every question's first article unchanged against 200 (``bench/ai_eval.py --trechos``).
EF_SEARCH = 20

_SQL = """
WITH termos AS MATERIALIZED (
    SELECT w, coalesce(f.linhas, 0) AS linhas
    FROM unnest(tsvector_to_array(
        to_tsvector('pt_unaccent', ia_sem_acento(%(pergunta)s)))) AS w
    LEFT JOIN unnest(%(lexemas)s::text[], %(linhas)s::float8[]) AS f(lexema, linhas)
        ON f.lexema = w
    WHERE w !~ '[''\\\\]'
),
consulta AS MATERIALIZED (
    SELECT (SELECT string_agg(quote_literal(w), ' | ')::tsquery FROM termos) AS q,
           (SELECT string_agg(quote_literal(w), ' | ')::tsquery
            FROM (SELECT w, sum(linhas) OVER (ORDER BY linhas, w) AS acumulado FROM termos) r
            WHERE acumulado <= %(orcamento_texto)s) AS qc,
           ('e' || replace((%(empresa)s)::text, '-', ''))::tsquery AS dona
),
vizinhos AS MATERIALIZED (
    SELECT t.artigo_id
    FROM atendimento_base_conhecimento_trechos t
    WHERE t.empresa_id = %(empresa)s AND t.embedding IS NOT NULL
    ORDER BY t.embedding <=> %(vetor)s::vector
    LIMIT %(candidatos_vetor)s
),
casados AS MATERIALIZED (
    SELECT x.artigo_id
    FROM consulta c
    CROSS JOIN LATERAL (
        SELECT t.id, t.artigo_id, t.busca
        FROM atendimento_base_conhecimento_trechos t
        WHERE c.qc IS NOT NULL AND t.busca @@ (c.qc && c.dona) AND t.empresa_id = %(empresa)s
        LIMIT %(limite_texto)s
    ) x
    ORDER BY ts_rank_cd(x.busca, c.q) DESC, x.id
    LIMIT %(candidatos_texto)s
),
candidatos AS MATERIALIZED (
    SELECT u.artigo_id
    FROM (SELECT artigo_id FROM vizinhos UNION SELECT artigo_id FROM casados) u
    CROSS JOIN LATERAL (
        SELECT 1 FROM atendimento_base_conhecimento a
        WHERE a.id = u.artigo_id AND a.empresa_id = %(empresa)s AND a.ativo
        LIMIT 1
    ) ativo
),
notas AS MATERIALIZED (
    SELECT t.artigo_id, t.id, t.tipo,
           1 - (t.embedding <=> %(vetor)s::vector) AS similaridade,
           CASE WHEN t.busca @@ c.q THEN ts_rank_cd(t.busca, c.q) ELSE 0 END AS nota
    FROM candidatos k
    JOIN atendimento_base_conhecimento_trechos t
        ON t.empresa_id = %(empresa)s AND t.artigo_id = k.artigo_id
    CROSS JOIN consulta c
    WHERE t.embedding IS NOT NULL
),
artigos AS (
    SELECT artigo_id,
           max(similaridade) AS similaridade,
           max(similaridade) + coalesce(max(similaridade) FILTER (WHERE ordem = 2),
                                        max(similaridade)) AS nota_vetor,
           max(nota) AS nota_texto,
           coalesce((array_agg(id ORDER BY similaridade DESC, id)
                         FILTER (WHERE tipo = 'secao'))[1],
                    (array_agg(id ORDER BY similaridade DESC, id))[1]) AS secao
    FROM (SELECT n.*, row_number() OVER (
              PARTITION BY n.artigo_id ORDER BY n.similaridade DESC, n.id) AS ordem
          FROM notas n) o
    GROUP BY artigo_id
),
posicoes AS (
    SELECT a.*,
           row_number() OVER (ORDER BY nota_vetor DESC, artigo_id) AS pos_vetor,
           CASE WHEN nota_texto > 0 THEN row_number() OVER (
               ORDER BY nota_texto DESC, nota_vetor DESC, artigo_id) END AS pos_texto
    FROM artigos a
),
fundido AS (
    SELECT p.*,
           1.0 / (%(k_rrf)s + pos_vetor)
               + %(peso_texto)s * coalesce(1.0 / (%(k_rrf)s + pos_texto), 0) AS rrf
    FROM posicoes p
    ORDER BY rrf DESC, similaridade DESC, artigo_id
    LIMIT %(k)s
)
SELECT f.artigo_id, a.titulo, t.texto, f.rrf, f.pos_vetor, f.pos_texto, f.similaridade
FROM fundido f
JOIN atendimento_base_conhecimento a ON a.id = f.artigo_id
JOIN atendimento_base_conhecimento_trechos t ON t.id = f.secao
ORDER BY f.rrf DESC, f.similaridade DESC, f.artigo_id
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
    pergunta = pergunta_da_busca(pergunta)
    if not pergunta or k <= 0 or not tem_conhecimento(empresa):
        return []
    return consultar(empresa, pergunta, embutir([pergunta], tipo="query")[0], k)


def pergunta_da_busca(pergunta: str) -> str:
    """The text the search embeds for ``pergunta``: trimmed, at most 2,000 characters, slang
    expanded (``ia.services.expansao``); "" for a blank one. The offline classifiers read the
    same text, so an analysis embeds it once (``ia.embeddings`` keeps recent ones)."""
    pergunta = (pergunta or "").strip()
    return expandir(pergunta[:2000]) if pergunta else ""


def tem_conhecimento(empresa) -> bool:
    """The empresa has at least one indexed chunk of an active article: without one every search
    is empty, so the question is not embedded (an embedding costs ~1 ms of CPU per token, most of
    an offline analysis of a ticket whose empresa keeps no knowledge base)."""
    empresa_id = getattr(empresa, "pk", empresa)
    return TrechoConhecimento.objects.filter(
        empresa_id=empresa_id, artigo__empresa_id=empresa_id, artigo__ativo=True
    ).exists()


def consultar(empresa, pergunta: str, vetor, k: int = 5) -> list[Trecho]:
    """The search itself, for an already expanded question and its embedding (the bench times
    this part alone)."""
    with transaction.atomic(), connection.cursor() as cursor:
        preparar(cursor)
        cursor.execute(_SQL, parametros(empresa, pergunta, vetor, k))
        linhas = cursor.fetchall()
    return [Trecho(*linha[:3], float(linha[3]), linha[4], linha[5], linha[6]) for linha in linhas]


def preparar(cursor) -> None:
    """Transaction-local settings of the search: filtered HNSW scans keep going until enough rows
    of this empresa are found."""
    cursor.execute(
        "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('hnsw.ef_search', %s, true)",
        [str(EF_SEARCH)],
    )


def parametros(empresa, pergunta: str, vetor, k: int) -> dict:
    """The parameters of ``_SQL`` (also used by the bench to EXPLAIN it)."""
    lexemas, linhas = lexemas_frequentes()
    return {
        "vetor": "[" + ",".join(f"{x:.6f}" for x in vetor.tolist()) + "]",
        "empresa": getattr(empresa, "pk", empresa),
        "pergunta": pergunta,
        "lexemas": lexemas,
        "linhas": linhas,
        "orcamento_texto": ORCAMENTO_TEXTO,
        "candidatos_vetor": CANDIDATOS_VETOR,
        "candidatos_texto": CANDIDATOS_TEXTO,
        "limite_texto": LIMITE_TEXTO,
        "k_rrf": K_RRF,
        "peso_texto": PESO_TEXTO,
        "k": k,
    }


_frequencias: dict = {"ate": 0.0, "valor": ("{}", "{}")}


def esquecer_frequencias() -> None:
    """Drop the cached lexeme frequencies (after a bulk load and ``ANALYZE``)."""
    _frequencias["ate"] = 0.0


def lexemas_frequentes() -> tuple[str, str]:
    """The chunks' frequent lexemes and their estimated number of rows, from the planner's own
    statistics of the ``busca`` column (``ANALYZE``, kept current by autovacuum), as two
    PostgreSQL array literals (``text[]``, ``float8[]``: one short parameter each instead of
    hundreds), cached for ``VALIDADE_FREQUENCIAS`` seconds. Only lexemes that could weigh on
    ``ORCAMENTO_TEXTO`` are kept; an unanalysed table gives none (every stem of a question then
    fetches candidates)."""
    agora = time.monotonic()
    if agora < _frequencias["ate"]:
        return _frequencias["valor"]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples
            FROM pg_class c
            JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname
            WHERE c.oid = to_regclass(%s) AND s.attname = 'busca'
            """,
            [TrechoConhecimento._meta.db_table],
        )
        linha = cursor.fetchone()
    lexemas: list[str] = []
    linhas: list[str] = []
    if linha and linha[0]:
        minimo = ORCAMENTO_TEXTO / 50
        for lexema, frequencia in zip(linha[0], linha[1], strict=False):
            estimadas = float(frequencia) * max(float(linha[2]), 0.0)
            if estimadas >= minimo:
                lexemas.append('"' + lexema.replace("\\", "\\\\").replace('"', '\\"') + '"')
                linhas.append(f"{estimadas:.0f}")
    valor = ("{" + ",".join(lexemas) + "}", "{" + ",".join(linhas) + "}")
    _frequencias.update(ate=agora + VALIDADE_FREQUENCIAS, valor=valor)
    return valor
