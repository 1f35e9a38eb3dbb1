"""bench/ai_eval.py runs end to end on a tiny subset (a benchmark: figures are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

RAIZ = Path(__file__).resolve().parents[2]


def test_ai_eval_roda_num_subconjunto():
    saida = subprocess.run(
        [sys.executable, "bench/ai_eval.py", "--limite", "12", "--erros", "--sem-busca"],
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "tune (seeds, in-sample)" in saida
    assert "measure (held out)" in saida
    assert "analysis latency per message (n=24)" in saida
    assert "measure set, intencao:" in saida


def _modulo():
    sys.path.insert(0, str(RAIZ / "bench"))
    try:
        import ai_eval
    finally:
        sys.path.remove(str(RAIZ / "bench"))
    return ai_eval


def test_metricas_e_percentil():
    ai_eval = _modulo()
    acuracia, macro_f1 = ai_eval.metricas(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert acuracia == 0.75
    # F1(a) = 2/3, F1(b) = 0.8
    assert abs(macro_f1 - (2 / 3 + 0.8) / 2) < 1e-9
    assert ai_eval.percentil([5, 1, 4, 2, 3], 50) == 3
    assert ai_eval.percentil(list(range(1, 101)), 95) == 95
    assert [linha["id"] for linha in ai_eval._amostra([{"id": i} for i in range(10)], 5)] == [
        0,
        2,
        4,
        6,
        8,
    ]


def test_metricas_de_busca():
    ai_eval = _modulo()
    assert ai_eval.posicao(["kb2", "kb1", "kb3"], {"kb1", "kb9"}) == 2
    assert ai_eval.posicao(["kb2"], {"kb1"}) is None
    m = ai_eval.metricas_busca([1, 2, None, 4])
    assert (m["n"], m["r1"], m["r3"]) == (4, 0.25, 0.5)
    assert abs(m["mrr"] - (1 + 1 / 2 + 1 / 4) / 4) < 1e-9


@pytest.mark.django_db
def test_avaliacao_da_busca_nas_duas_metades_e_desfeita():
    """Recall is measured per half of the question set with the product's search; nothing stays."""
    from ia.models import ArtigoConhecimento

    ai_eval = _modulo()
    perguntas = ai_eval.ler("kb_perguntas.jsonl", 6)
    r = ai_eval.avaliar_busca(perguntas, ai_eval.ler("kb_artigos.jsonl"))
    assert r["ajuste"]["n"] + r["medida"]["n"] == r["todas"]["n"] == 6
    assert r["ajuste"]["n"] == r["medida"]["n"] == 3
    assert 0 <= r["todas"]["r1"] <= r["todas"]["r3"] <= 1
    assert r["todas"]["r3"] > 0  # the real articles are found for their own questions
    assert not ArtigoConhecimento.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_escala_da_base_e_desfeita():
    """The padded knowledge base is committed, vacuumed, timed and deleted: no chunk, article or
    empresa stays, not even those an interrupted run left behind."""
    from atendimento.models import Empresa
    from ia.models import ArtigoConhecimento, TrechoConhecimento

    ai_eval = _modulo()
    antes = (Empresa.objects.count(), ArtigoConhecimento.objects.count())
    esquecida = Empresa.objects.create(nome="Interrompida", slug=f"{ai_eval.PREFIXO_ESCALA}9")
    ArtigoConhecimento.objects.create(
        empresa=esquecida, titulo="Sobra", conteudo="De outra rodada."
    )
    r = ai_eval.medir_escala(
        200,
        ai_eval.ler("kb_perguntas.jsonl", 3),
        ai_eval.ler("kb_artigos.jsonl"),
        empresas=2,
        explicar=1,
        rodadas=2,
    )
    assert (r["trechos"], r["empresas"], r["n"]) == (200, 2, 6)
    assert r["frio"][0] > 0
    assert r["shared_buffers"]
    assert r["busca"][0] > 0
    assert r["cpu_ms"][1] >= 0  # CPU per search of this process (the backend's: NaN if remote)
    assert "vizinhos" in r["explicado"][0]  # EXPLAIN ANALYZE per phase of the search
    assert r["vazias"] == 0  # every empresa's padded chunks are found by its own searches
    # how each phase reads the chunks (on 200 rows the planner may choose any scan)
    fases = dict(parte.split(": ") for parte in r["plano"].split("; "))
    assert set(fases) == {"vector", "text", "scoring"}
    assert "-" not in fases.values()
    assert (Empresa.objects.count(), ArtigoConhecimento.objects.count()) == antes
    assert not TrechoConhecimento.objects.exists()
    with connection.cursor() as cursor:  # the dropped indexes are back
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = %s "
            "AND (indexdef ILIKE '%%using hnsw%%' OR indexdef ILIKE '%%using gin%%')",
            [TrechoConhecimento._meta.db_table],
        )
        assert cursor.fetchone()[0] >= 2
