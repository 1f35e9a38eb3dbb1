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
        [sys.executable, "bench/ai_eval.py", "--limite", "12", "--erros"],
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


@pytest.mark.django_db
def test_escala_da_base_e_desfeita():
    """The padded knowledge base is timed and rolled back: no chunk, article or empresa stays."""
    from atendimento.models import Empresa
    from ia.models import ArtigoConhecimento, TrechoConhecimento

    ai_eval = _modulo()
    antes = (Empresa.objects.count(), ArtigoConhecimento.objects.count())
    r = ai_eval.medir_escala(
        200, ai_eval.ler("kb_perguntas.jsonl", 3), ai_eval.ler("kb_artigos.jsonl")
    )
    assert r["trechos"] == 200
    assert r["n"] == 3
    assert r["vetor"][0] > 0
    assert r["texto"][0] > 0
    assert (Empresa.objects.count(), ArtigoConhecimento.objects.count()) == antes
    assert not TrechoConhecimento.objects.exists()
    with connection.cursor() as cursor:  # the dropped indexes are back
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = %s "
            "AND (indexdef ILIKE '%%using hnsw%%' OR indexdef ILIKE '%%using gin%%')",
            [TrechoConhecimento._meta.db_table],
        )
        assert cursor.fetchone()[0] >= 2
