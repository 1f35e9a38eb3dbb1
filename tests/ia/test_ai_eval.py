"""bench/ai_eval.py runs end to end on a tiny subset (a benchmark: figures are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_metricas_e_percentil():
    sys.path.insert(0, str(RAIZ / "bench"))
    try:
        import ai_eval
    finally:
        sys.path.remove(str(RAIZ / "bench"))
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
