"""Offline AI layer, measured on the labelled pt-BR sets of ``ia/dados/``.

    .venv/bin/python bench/ai_eval.py [--limite N] [--erros] [--sem-busca]
                                      [--trechos 100000 [--empresas 1] [--explicar 3]]

Prints, for the local classifiers of ``ia/local/nlp.py``:

* sentiment and intent accuracy and macro-F1 on the tune set (``mensagens_ajuste.jsonl``: the
  classifier's own seed examples, so an in-sample figure) and on the measure-only set
  (``mensagens_medida.jsonl``: the honest figure), with the confusion of the measure set;
* per-message analysis latency p50/p95 (one message per call, sentiment + intent, embedder
  included, nothing cached).

Then, on the ``bench`` profile's embedded PostgreSQL (skipped with ``--sem-busca``), the product's
hybrid search (``ia.services.busca.buscar``) on ``kb_perguntas.jsonl``: recall@1, recall@3 and MRR
for the tune half and the measure half (the honest figure) of the questions, and the search latency
per question.

With ``--trechos N`` (``make bench``: 100,000) throwaway empresas of the ``bench`` profile's
embedded PostgreSQL (``--empresas``, default 100; 1: one empresa holds them all) are padded to N
knowledge-base chunks (synthetic texts from the KB's vocabulary, vectors near the real articles'),
committed and ``VACUUM ANALYZE``d like any knowledge base that is searched, and the product's
search statement is timed for each KB question: a cold pass, then three warm ones (wall time with
the load average, and the CPU it cost the PostgreSQL backend and this process, which does not grow
with the load); ``--explicar N`` prints EXPLAIN ANALYZE per phase for the first N questions. Then
the throwaway empresas are deleted and the embedded servers are stopped.

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


# ------------------------------------------------------------------------ retrieval quality

#: ``kb_perguntas.jsonl`` is split in two halves (field ``conjunto``: odd-numbered questions tune,
#: even-numbered ones only measure); every article is asked about in both.
CONJUNTOS_BUSCA = (("ajuste", "tune half"), ("medida", "measure half (held out)"))


def posicao(achados: list, certos: set) -> int | None:
    """1-based rank of the first retrieved article that answers the question (None: not found)."""
    for i, artigo in enumerate(achados, start=1):
        if artigo in certos:
            return i
    return None


def metricas_busca(posicoes: list[int | None]) -> dict:
    """recall@1, recall@3 and MRR of a list of first-hit ranks (None counts as a miss)."""
    n = len(posicoes)
    if not n:
        return {"n": 0, "r1": float("nan"), "r3": float("nan"), "mrr": float("nan")}
    return {
        "n": n,
        "r1": sum(p == 1 for p in posicoes) / n,
        "r3": sum(p is not None and p <= 3 for p in posicoes) / n,
        "mrr": sum(1 / p for p in posicoes if p) / n,
    }


def avaliar_busca(perguntas: list[dict], artigos: list[dict], k: int = 10) -> dict:
    """The product's hybrid search (``ia.services.busca.buscar``) on the KB questions: the
    articles are saved and indexed for a throwaway empresa inside one transaction, every question
    is asked once (timed: query embedding + SQL), then everything is rolled back."""
    from django.db import transaction

    from ia.models import ArtigoConhecimento
    from ia.services.busca import buscar
    from ia.services.indexacao import indexar_artigo
    from tests.factories import EmpresaFactory

    r: dict = {}
    try:
        with transaction.atomic():
            empresa = EmpresaFactory(nome="Bench IA (busca)", slug=f"bench-busca-{os.getpid()}")
            rotulo = {}
            t0 = time.perf_counter()
            for artigo in artigos:
                salvo = ArtigoConhecimento.objects.create(
                    empresa=empresa,
                    titulo=artigo["titulo"],
                    conteudo=artigo["conteudo"],
                    categoria=artigo["categoria"],
                )
                indexar_artigo(salvo)  # after-commit indexing never fires inside this transaction
                rotulo[salvo.id] = artigo["id"]
            r["indexacao_s"] = time.perf_counter() - t0
            latencias: list[float] = []
            por_conjunto: dict = {nome: [] for nome, _ in CONJUNTOS_BUSCA}
            erros: list = []
            for pergunta in perguntas:
                t0 = time.perf_counter()
                achados = buscar(empresa, pergunta["pergunta"], k=k)
                latencias.append((time.perf_counter() - t0) * 1000)
                ids = [rotulo[t.artigo_id] for t in achados]
                pos = posicao(ids, set(pergunta["artigos"]))
                por_conjunto[pergunta["conjunto"]].append(pos)
                if pergunta["conjunto"] == "ajuste" and pos != 1:
                    erros.append((pergunta["pergunta"], pergunta["artigos"], ids[:3]))
            r.update({nome: metricas_busca(pos) for nome, pos in por_conjunto.items()})
            r["todas"] = metricas_busca([p for pos in por_conjunto.values() for p in pos])
            r["latencia_ms"] = (percentil(latencias, 50), percentil(latencias, 95))
            r["erros_ajuste"] = erros
            raise _Desfazer
    except _Desfazer:
        pass
    return r


def imprimir_busca(r: dict, detalhes: bool) -> None:
    print(
        f"\n== Retrieval: hybrid search (ia.services.busca.buscar) on kb_perguntas.jsonl "
        f"({r['todas']['n']} questions, 30 articles indexed in {r['indexacao_s']:.1f} s)"
    )
    print(f"{'set':28} {'n':>4} {'recall@1':>9} {'recall@3':>9} {'MRR':>6}")
    for nome, rotulo in (*CONJUNTOS_BUSCA, ("todas", "both halves")):
        m = r[nome]
        print(f"{rotulo:28} {m['n']:>4} {m['r1']:>9.3f} {m['r3']:>9.3f} {m['mrr']:>6.3f}")
    print(
        f"targets (measure half): recall@1 >= {ALVOS['r1']:.2f}, recall@3 >= {ALVOS['r3']:.2f}; "
        f"tuning looked only at the tune half"
    )
    p50, p95 = r["latencia_ms"]
    print(
        f"search latency per question (embedding + SQL, 30 articles): p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms"
    )
    if detalhes:
        print("tune-half questions not answered first (question, expected, top 3):")
        for pergunta, certos, top in r["erros_ajuste"]:
            print(f"  {'/'.join(certos):>9} -> {','.join(top):<16} {pergunta}")


# ------------------------------------------------------------------------ knowledge base at scale


def _django() -> None:
    os.environ.setdefault("CONECTCRM_PERFIL", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class _Desfazer(Exception):
    """Raised at the end of the retrieval evaluation: its transaction rolls back."""


def _vocabulario(artigos: list[dict]) -> list[str]:
    import re

    return sorted(
        {p for a in artigos for p in re.findall(r"\w+", a["conteudo"].lower()) if len(p) > 3}
    )


def _copiar_trechos(empresa, artigos_ids: list, vetores, textos: list[str]) -> None:
    """COPY the synthetic chunks (the model's own columns and defaults; far faster than INSERTs)."""
    import uuid

    from django.db import connection

    from ia.models import TrechoConhecimento

    modelo = TrechoConhecimento(empresa=empresa, texto="", modelo_embedding="sintetico")
    campos = [f for f in TrechoConhecimento._meta.concrete_fields if not f.generated]
    fixos = {}
    for campo in campos:
        valor = campo.pre_save(modelo, add=True)
        fixos[campo.attname] = campo.get_db_prep_save(valor, connection)
    colunas = ", ".join(connection.ops.quote_name(c.column) for c in campos)
    tabela = connection.ops.quote_name(TrechoConhecimento._meta.db_table)
    tipos = [c for c, _ in TrechoConhecimento.Tipo.choices]
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {tabela} ({colunas}) FROM STDIN") as copy,
    ):
        for i, texto in enumerate(textos):
            linha = dict(fixos)
            linha.update(
                id=uuid.uuid4(),
                artigo_id=artigos_ids[i // 10],
                ordem=i % 10,
                tipo=tipos[min(i % 10, 2)],  # like a real article: sections, title, windows
                texto=texto,
                embedding="[" + ",".join(map(str, vetores[i].round(5).tolist())) + "]",
            )
            copy.write_row([linha[c.attname] for c in campos])


def _plano(empresa, pergunta: str, vetor) -> str:
    """How each phase of the product's search reads the chunks (EXPLAIN, same settings as
    ``buscar``): the scans under the nearest-chunk, full-text and per-article phases."""
    from django.db import connection, transaction

    from ia.services import busca

    with transaction.atomic(), connection.cursor() as cursor:
        busca.preparar(cursor)
        cursor.execute(
            "EXPLAIN (FORMAT JSON) " + busca._SQL, busca.parametros(empresa, pergunta, vetor, 5)
        )
        plano = cursor.fetchone()[0][0]["Plan"]
    tabela = "atendimento_base_conhecimento_trechos"

    def varreduras(no: dict):
        if "Index Name" in no and no.get("Relation Name", tabela) == tabela:
            yield no["Index Name"]  # a bitmap index scan names no relation
        elif no.get("Relation Name") == tabela and "Index Name" not in no:
            yield no["Node Type"].lower()
        for filho in no.get("Plans", []):
            yield from varreduras(filho)

    def fase(no: dict, nome: str):
        if no.get("Subplan Name") == f"CTE {nome}":
            return no
        for filho in no.get("Plans", []):
            achado = fase(filho, nome)
            if achado:
                return achado
        return None

    partes = []
    for nome, rotulo in (("vizinhos", "vector"), ("casados", "text"), ("notas", "scoring")):
        no = fase(plano, nome)
        usados = sorted(set(varreduras(no))) if no else []
        partes.append(f"{rotulo}: {', '.join(usados) or '-'}")
    return "; ".join(partes)


def _explicar(empresa, pergunta: str, vetor) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the product's search: planning and execution time, and for
    each phase (CTE) its time and the buffers it touched (shared hits + reads, cumulative; a read
    is a page that was not in ``shared_buffers``)."""
    from django.db import connection, transaction

    from ia.services import busca

    with transaction.atomic(), connection.cursor() as cursor:
        busca.preparar(cursor)
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + busca._SQL,
            busca.parametros(empresa, pergunta, vetor, 5),
        )
        plano = cursor.fetchone()[0][0]

    def fases(no: dict):
        if no.get("Subplan Name", "").startswith("CTE "):
            yield no["Subplan Name"][4:], no
        for filho in no.get("Plans", []):
            yield from fases(filho)

    partes = [f"plan {plano['Planning Time']:.1f} ms, run {plano['Execution Time']:.1f} ms"]
    for nome, no in fases(plano["Plan"]):
        lidos = no.get("Shared Read Blocks", 0)
        blocos = no.get("Shared Hit Blocks", 0) + lidos
        partes.append(f"{nome} {no['Actual Total Time']:.1f} ms/{blocos} buffers ({lidos} read)")
    return "; ".join(partes)


def _cpu_do_servidor():
    """A function giving the CPU milliseconds used so far by this connection's PostgreSQL backend
    (user + system, from ``/proc``; the embedded server runs on this machine), or NaN when the
    backend's process cannot be read (a remote server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    por_tique = 1000 / os.sysconf("SC_CLK_TCK")

    def ler() -> float:
        try:
            campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(campos[11]) + int(campos[12])) * por_tique

    return ler


#: Slug prefix of the throwaway empresas of the padded run (any left by an interrupted run are
#: removed at the start of the next one).
PREFIXO_ESCALA = "bench-ia-escala-"


def _apagar_empresas_escala() -> int:
    """Delete the throwaway empresas of the padded run with their articles and chunks (plain
    SQL: the ORM's cascade would load 100k chunks), then VACUUM the two tables."""
    from django.db import connection

    from atendimento.models import Empresa
    from ia.models import ArtigoConhecimento, TrechoConhecimento

    ids = list(Empresa.objects.filter(slug__startswith=PREFIXO_ESCALA).values_list("pk", flat=True))
    if not ids:
        return 0
    with connection.cursor() as cursor:
        for modelo in (TrechoConhecimento, ArtigoConhecimento):
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(modelo._meta.db_table)} "
                "WHERE empresa_id = ANY(%s)",
                [ids],
            )
    Empresa.objects.filter(pk__in=ids).delete()
    with connection.cursor() as cursor:
        for modelo in (TrechoConhecimento, ArtigoConhecimento):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(modelo._meta.db_table)}")
    return len(ids)


def medir_escala(
    total: int,
    perguntas: list[dict],
    artigos: list[dict],
    empresas: int = 1,
    explicar: int = 0,
    rodadas: int = 3,
) -> dict:
    """Pad ``empresas`` throwaway empresas to ``total`` knowledge-base chunks in all (one
    transaction, indexes dropped while loading and rebuilt, as a bulk import would), commit and
    ``VACUUM ANALYZE`` them (what autovacuum does to a knowledge base that is searched), then time
    the product's search query (``ia.services.busca.consultar``: both index scans, the per-article
    re-scoring and the fusion; the question's embedding is computed beforehand and timed apart)
    for each question against one of the empresas in turn: one cold pass, reported apart, then
    ``rodadas`` warm passes. The throwaway empresas are deleted at the end, whatever happens."""
    import numpy as np
    from django.db import connection, transaction

    from ia.embeddings import embutir
    from ia.models import ArtigoConhecimento, TrechoConhecimento
    from ia.services.busca import consultar, esquecer_frequencias
    from ia.services.expansao import expandir
    from tests.factories import EmpresaFactory

    rng = np.random.default_rng(7)
    base = embutir([f"{a['titulo']}: {a['conteudo']}" for a in artigos], tipo="passage")
    expandidas = [expandir(p["pergunta"]) for p in perguntas]
    t0 = time.perf_counter()
    consultas = embutir(expandidas, tipo="query")
    embutir_ms = (time.perf_counter() - t0) * 1000 / max(1, len(perguntas))
    vocabulario = _vocabulario(artigos)
    tabela = TrechoConhecimento._meta.db_table
    r: dict = {"trechos": total, "empresas": empresas, "embedding_ms": embutir_ms}
    _apagar_empresas_escala()  # left by an interrupted run
    try:
        t0 = time.perf_counter()
        with transaction.atomic():
            donas = [
                EmpresaFactory(nome=f"Bench IA (escala) {i}", slug=f"{PREFIXO_ESCALA}{i}")
                for i in range(empresas)
            ]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND (indexdef ILIKE '%%using hnsw%%' OR indexdef ILIKE '%%using gin%%')",
                    [tabela],
                )
                indices = cursor.fetchall()
                for nome, _ in indices:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(nome)}")
            por_empresa = total // empresas
            for numero, empresa in enumerate(donas):
                n_empresa = por_empresa + (total % empresas if numero == 0 else 0)
                artigos_ids = [
                    a.id
                    for a in ArtigoConhecimento.objects.bulk_create(
                        (
                            ArtigoConhecimento(
                                empresa=empresa, titulo=f"Sintetico {i}", conteudo="-"
                            )
                            for i in range((n_empresa + 9) // 10)
                        ),
                        batch_size=2000,
                    )
                ]
                for inicio in range(0, n_empresa, 10000):
                    n = min(10000, n_empresa - inicio)
                    vetores = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.04, (n, 384))
                    vetores /= np.linalg.norm(vetores, axis=1, keepdims=True)
                    palavras = rng.integers(0, len(vocabulario), (n, 40))
                    textos = [" ".join(vocabulario[j] for j in linha) for linha in palavras]
                    _copiar_trechos(empresa, artigos_ids[inicio // 10 :], vetores, textos)
            r["carga_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for _, definicao in indices:
                    cursor.execute(definicao)
            r["indices_s"] = time.perf_counter() - t0
        with connection.cursor() as cursor:
            for modelo in (TrechoConhecimento, ArtigoConhecimento):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(modelo._meta.db_table)}")
            cursor.execute("SHOW shared_buffers")
            r["shared_buffers"] = cursor.fetchone()[0]
        esquecer_frequencias()  # the search reads the new statistics, not the small KB's
        pares = list(enumerate(zip(expandidas, consultas, strict=True)))
        frio = []
        for i, (pergunta, consulta) in pares:  # cold pass: pages still on disk or in the kernel
            t0 = time.perf_counter()
            consultar(donas[i % len(donas)], pergunta, consulta, 5)
            frio.append((time.perf_counter() - t0) * 1000)
        r["frio"] = (percentil(frio, 50), percentil(frio, 95))
        busca_ms, vazias = [], 0
        cpu_servidor = _cpu_do_servidor()
        cpu_antes, cliente_antes = cpu_servidor(), time.process_time()
        for _ in range(rodadas):
            for i, (pergunta, consulta) in pares:
                t0 = time.perf_counter()
                achados = consultar(donas[i % len(donas)], pergunta, consulta, 5)
                busca_ms.append((time.perf_counter() - t0) * 1000)
                vazias += not achados
        r["n"] = len(busca_ms)
        r["vazias"] = vazias
        r["busca"] = (percentil(busca_ms, 50), percentil(busca_ms, 95))
        r["cpu_ms"] = (
            (cpu_servidor() - cpu_antes) / len(busca_ms),
            (time.process_time() - cliente_antes) * 1000 / len(busca_ms),
        )
        r["carga"] = os.getloadavg()[0]
        r["plano"] = _plano(donas[0], expandidas[0], consultas[0])
        r["explicado"] = [
            _explicar(donas[i % len(donas)], expandidas[i], consultas[i])
            for i in range(min(explicar, len(expandidas)))
        ]
    finally:
        _apagar_empresas_escala()
    return r


def imprimir_escala(r: dict) -> None:
    print(
        f"\n== Knowledge base at {r['trechos']:,} chunks over {r['empresas']} empresa(s) "
        f"(synthetic chunks near the real articles' vectors; loaded in {r['carga_s']:.0f} s, "
        f"indexes built in {r['indices_s']:.0f} s, committed and VACUUM ANALYZEd, deleted at "
        f"the end; shared_buffers {r['shared_buffers']})"
    )
    busca = r["busca"]
    print(
        f"  search query (buscar's SQL: HNSW + full text + per-article scoring + fusion), "
        f"{r['n']} searches (warm): p50 {busca[0]:.1f} ms, p95 {busca[1]:.1f} ms "
        f"(target p95 <= 10 ms) at load average {r['carga']:.1f}; first (cold) pass: "
        f"p50 {r['frio'][0]:.1f} ms, p95 {r['frio'][1]:.1f} ms; chunks read by {r['plano']}; "
        f"empty answers: {r['vazias']}"
    )
    servidor, cliente = r["cpu_ms"]
    print(
        f"  CPU per search (does not grow with the load): PostgreSQL backend {servidor:.1f} ms, "
        f"this process {cliente:.1f} ms (10 ms clock ticks, averaged over the warm searches)"
    )
    print(f"  + the question's embedding (e5, once per search): {r['embedding_ms']:.1f} ms mean")
    for linha in r.get("explicado", []):
        print(f"  EXPLAIN ANALYZE (cumulative per phase): {linha}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limite", type=int, default=0, help="rows per set (0: all)")
    parser.add_argument("--erros", action="store_true", help="list the measure-set errors")
    parser.add_argument(
        "--trechos", type=int, default=0, help="also time the KB index scans at N chunks (0: skip)"
    )
    parser.add_argument(
        "--empresas",
        type=int,
        default=100,
        help="empresas the --trechos chunks are spread over (1: one empresa holds them all)",
    )
    parser.add_argument(
        "--explicar",
        type=int,
        default=0,
        help="with --trechos: EXPLAIN ANALYZE the search for the first N questions",
    )
    parser.add_argument(
        "--sem-busca",
        action="store_true",
        help="classifiers only (no database: skips retrieval quality and --trechos)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(RAIZ))
    carga = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}; "
        f"load average {carga} (other work on the box inflates every latency below)"
    )
    imprimir_classificadores(avaliar_classificadores(args.limite), args.erros)
    if args.sem_busca:
        return
    try:
        _django()
        perguntas, artigos = ler("kb_perguntas.jsonl", args.limite), ler("kb_artigos.jsonl")
        imprimir_busca(avaliar_busca(perguntas, artigos), args.erros)
        if args.trechos:
            imprimir_escala(
                medir_escala(args.trechos, perguntas, artigos, args.empresas, args.explicar)
            )
    finally:
        from conectcrm import embedded

        embedded.parar(embedded.pasta_dados(os.environ["CONECTCRM_PERFIL"]))


if __name__ == "__main__":
    main()
