"""Offline AI layer, measured on the labelled pt-BR sets of ``ia/dados/``.

    .venv/bin/python bench/ai_eval.py [--limite N] [--erros]

Prints, for the local classifiers of ``ia/local/nlp.py``:

* sentiment and intent accuracy and macro-F1 on the tune set (``mensagens_ajuste.jsonl``: the seed
  examples themselves, so an in-sample figure) and on the measure-only set
  (``mensagens_medida.jsonl``: the honest figure), with the confusion of the measure set;
* per-message analysis latency p50/p95 (one message per call, sentiment + intent, embedder
  included, nothing cached).

The knowledge-base retrieval part (recall@1/@3, MRR, latency) joins when the hybrid search
lands.

Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
DADOS = RAIZ / "ia" / "dados"
ALVOS = {"sentimento": 0.85, "intencao": 0.80, "p95_ms": 100.0, "r1": 0.85, "r3": 0.95}


def ler(nome: str, limite: int = 0) -> list[dict]:
    with (DADOS / nome).open(encoding="utf-8") as arquivo:
        linhas = [json.loads(linha) for linha in arquivo if linha.strip()]
    return _amostra(linhas, limite)


def _amostra(linhas: list[dict], limite: int) -> list[dict]:
    """Every k-th row (all labels stay represented), or all of them."""
    if not limite or limite >= len(linhas):
        return linhas
    passo = len(linhas) / limite
    return [linhas[int(i * passo)] for i in range(limite)]


def percentil(valores: list[float], p: float) -> float:
    ordenados = sorted(valores)
    if not ordenados:
        return float("nan")
    indice = min(
        len(ordenados) - 1, max(0, math.ceil(p / 100 * len(ordenados)) - 1)
    )  # nearest rank
    return ordenados[indice]


def metricas(verdade: list[str], previsto: list[str]) -> tuple[float, float]:
    """(accuracy, macro-F1 over the labels present in either list)."""
    acertos = sum(v == p for v, p in zip(verdade, previsto, strict=True))
    f1s = []
    for rotulo in sorted(set(verdade) | set(previsto)):
        vp = sum(v == p == rotulo for v, p in zip(verdade, previsto, strict=True))
        fp = sum(p == rotulo != v for v, p in zip(verdade, previsto, strict=True))
        fn = sum(v == rotulo != p for v, p in zip(verdade, previsto, strict=True))
        f1s.append(2 * vp / (2 * vp + fp + fn) if vp else 0.0)
    return acertos / len(verdade), sum(f1s) / len(f1s)


def _confusao(verdade: list[str], previsto: list[str], rotulos: tuple[str, ...]) -> str:
    contagem = Counter(zip(verdade, previsto, strict=True))
    largura = max(map(len, rotulos)) + 1
    linhas = [" " * largura + "".join(r[:6].rjust(7) for r in rotulos) + "   (rows: truth)"]
    for v in rotulos:
        linhas.append(v.ljust(largura) + "".join(str(contagem[v, p]).rjust(7) for p in rotulos))
    return "\n".join(linhas)


def avaliar_classificadores(limite: int = 0) -> dict:
    from ia.local import nlp

    inicio = time.perf_counter()
    modelo = nlp.modelo()
    carga_s = time.perf_counter() - inicio
    resultado: dict = {"carga_s": carga_s}
    latencias: list[float] = []
    for nome, arquivo in (
        ("ajuste", "mensagens_ajuste.jsonl"),
        ("medida", "mensagens_medida.jsonl"),
    ):
        linhas = ler(arquivo, limite)
        analises = []
        for linha in linhas:
            t0 = time.perf_counter()
            analises.append(nlp.analisar_lote([linha["texto"]], modelo)[0])
            latencias.append((time.perf_counter() - t0) * 1000)
        por_tarefa = {}
        for tarefa, rotulos in (("sentimento", nlp.SENTIMENTOS), ("intencao", nlp.INTENCOES)):
            verdade = [linha[tarefa] for linha in linhas]
            previsto = [getattr(analise, tarefa) for analise in analises]
            acc, f1 = metricas(verdade, previsto)
            por_tarefa[tarefa] = {
                "acuracia": acc,
                "macro_f1": f1,
                "confusao": _confusao(verdade, previsto, rotulos),
                "erros": [
                    (linha["texto"], linha[tarefa], p)
                    for linha, p in zip(linhas, previsto, strict=True)
                    if linha[tarefa] != p
                ],
            }
        resultado[nome] = {"n": len(linhas), **por_tarefa}
    resultado["latencia_ms"] = {
        "n": len(latencias),
        "p50": percentil(latencias, 50),
        "p95": percentil(latencias, 95),
        "media": statistics.fmean(latencias),
    }
    return resultado


def imprimir_classificadores(r: dict, detalhes: bool) -> None:
    print(f"\n== Offline sentiment / intent (ia/local/nlp.py; model fit in {r['carga_s']:.2f} s)")
    print(f"{'set':28} {'n':>4} {'sent acc':>9} {'sent F1':>8} {'int acc':>8} {'int F1':>7}")
    for nome, rotulo in (("ajuste", "tune (seeds, in-sample)"), ("medida", "measure (held out)")):
        s, i = r[nome]["sentimento"], r[nome]["intencao"]
        print(
            f"{rotulo:28} {r[nome]['n']:>4} {s['acuracia']:>9.1%} {s['macro_f1']:>8.3f} "
            f"{i['acuracia']:>8.1%} {i['macro_f1']:>7.3f}"
        )
    print(
        f"targets (measure set): sentiment >= {ALVOS['sentimento']:.0%}, "
        f"intent >= {ALVOS['intencao']:.0%}"
    )
    lat = r["latencia_ms"]
    print(
        f"analysis latency per message (n={lat['n']}): p50 {lat['p50']:.1f} ms, "
        f"p95 {lat['p95']:.1f} ms, mean {lat['media']:.1f} ms (target p95 <= {ALVOS['p95_ms']:.0f})"
    )
    for tarefa in ("sentimento", "intencao"):
        print(f"\nmeasure set, {tarefa}:\n{r['medida'][tarefa]['confusao']}")
        if detalhes:
            for texto, v, p in r["medida"][tarefa]["erros"]:
                print(f"  {v:>12} -> {p:<12} {texto}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limite", type=int, default=0, help="rows per set (0: all)")
    parser.add_argument("--erros", action="store_true", help="list the measure-set errors")
    args = parser.parse_args()
    sys.path.insert(0, str(RAIZ))
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    imprimir_classificadores(avaliar_classificadores(args.limite), args.erros)


if __name__ == "__main__":
    main()
