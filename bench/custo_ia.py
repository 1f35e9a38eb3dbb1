"""CPU cost of the per-customer-message AI analysis (the ``ia`` worker's job), in process.

    .venv/bin/python bench/custo_ia.py [--conversas 200] [--mensagens 5] [--rodadas 2]
                                       [--perfil PASTA]

Load-independent figures for the ``ai-analysis`` side of ingest. On the ``bench`` profile's
embedded PostgreSQL/Redis, with an empresa, a WhatsApp channel and ``--conversas`` customers:
each customer writes ``--mensagens`` messages (real pt-BR texts of
``ia/dados/mensagens_medida.jsonl``, drawn at random with a fixed seed), stored and drained as
the web tier and the drain worker do; then the analyses those messages queued are run the way
the ``ia`` worker runs them (in this process; Celery's own per-task cost is not in the figure),
and this is repeated ``--rodadas`` times (the first round also opens the tickets).

Per round it prints the analyses run, this process's CPU and PostgreSQL's (every backend) per
analysis and per analysed customer message, the statements per analysis, the wall-clock rate
and the load average and other processes' CPU during the phase (so a figure can be read against
the machine's state). ``--perfil`` writes a cProfile of each analysis phase there. Figures
only, no thresholds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import uuid
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from bench.custo_ingest import Contador, _drenar, _fase, _postar  # noqa: E402
from bench.ingest import _env, _preparar, corpo_whatsapp  # noqa: E402


def _textos() -> list[str]:
    with (RAIZ / "ia" / "dados" / "mensagens_medida.jsonl").open(encoding="utf-8") as arquivo:
        return [json.loads(linha)["texto"] for linha in arquivo if linha.strip()]


def _corpo(wamid: str, wa_id: str, texto: str) -> bytes:
    dados = json.loads(corpo_whatsapp(wamid, wa_id))
    dados["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = texto
    return json.dumps(dados).encode()


def _analises_enfileiradas(cliente) -> list[tuple[str, list]]:
    """The analysis jobs the drain queued (task name and arguments of the Celery messages on
    ``ai-analysis``), taken off the queue."""
    jobs = []
    while corpo := cliente.lpop("ai-analysis"):
        mensagem = json.loads(corpo)
        jobs.append(
            (mensagem["headers"]["task"], json.loads(base64.b64decode(mensagem["body"]))[0])
        )
    return jobs


def _analisar(jobs: list[tuple[str, list]]) -> int:
    """Each job's body, as the ``ia`` worker runs it; returns the tickets analysed."""
    from conectcrm.celery import app
    from ia.models import AIInsight

    antes = AIInsight.objects.count()
    for nome, args in jobs:
        app.tasks[nome].run(*args)
    return AIInsight.objects.count() - antes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversas", type=int, default=200)
    parser.add_argument("--mensagens", type=int, default=5, help="per conversation and round")
    parser.add_argument("--rodadas", type=int, default=2)
    parser.add_argument("--perfil", default="", help="folder for cProfile .pstats files")
    parser.add_argument(
        "--textos",
        choices=("reais", "ingest"),
        default="reais",
        help="ingest: bench/ingest.py's short texts ('Olá, mensagem N') instead of real ones",
    )
    args = parser.parse_args()
    os.environ.update(_env(LOG_LEVEL="ERROR", IA_ESPERA_ANALISE_SEGUNDOS="0"))
    try:
        print(json.dumps(medir(args), indent=2, ensure_ascii=False))
    finally:
        from conectcrm import embedded

        embedded.parar(embedded.pasta_dados(_env()["CONECTCRM_PERFIL"]))


def medir(args) -> dict:
    empresa, _canal, _token, _dsn, settings = _preparar()
    from atendimento.realtime.publicar import aguardar_publicacoes
    from conectcrm import embedded
    from conectcrm.celery import app
    from conectcrm.wsgi import application

    with app.connection_for_write() as conexao:
        cliente = conexao.default_channel.client
        cliente.flushdb()
        pasta_pg = embedded.pasta_dados(settings.PERFIL_DEV) / "pg"
        marca = uuid.uuid4().hex[:6]
        empresa_id = str(empresa.pk)
        textos = _textos()
        sorteio = random.Random(13)  # the same texts in every run, no two windows alike
        from ia.local import nlp

        nlp.analisar("aquecer o modelo")  # loads the embedder and fits the classifiers
        contador = Contador()
        perfil = Path(args.perfil) if args.perfil else None
        if perfil:
            perfil.mkdir(parents=True, exist_ok=True)
        resultado: dict = {"maquina": {"nproc": os.cpu_count()}, "config": vars(args)}
        n = 0
        for rodada in range(args.rodadas):
            corpos = []
            for _ in range(args.mensagens):
                for c in range(args.conversas):
                    texto = (
                        sorteio.choice(textos)
                        if args.textos == "reais"
                        else f"Olá, mensagem {n:08d}"
                    )
                    corpos.append(_corpo(f"wamid.ia.{marca}.{n:08d}", f"55118{c:08d}", texto))
                    n += 1
            assert set(_postar(application, empresa_id, corpos, 4)) == {"200 OK"}
            _drenar(None)
            aguardar_publicacoes(60)
            ids = _analises_enfileiradas(cliente)

            def analisar(ids=ids) -> int:
                feitas = _analisar(ids)
                aguardar_publicacoes(60)
                return feitas

            fase = _fase(f"analise_{rodada}", analisar, pasta_pg, contador, perfil)
            fase["mensagens_cliente"] = len(corpos)
            fase["jobs_celery"] = len(ids)
            fase["cpu_ms_por_mensagem_processo"] = round(
                fase["cpu_ms_por_item_processo"] * fase["itens"] / len(corpos), 3
            )
            fase["cpu_ms_por_mensagem_postgres"] = round(
                fase["cpu_ms_por_item_postgres"] * fase["itens"] / len(corpos), 3
            )
            resultado[f"rodada_{rodada}"] = fase
    return resultado


if __name__ == "__main__":
    main()
