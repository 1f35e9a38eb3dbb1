"""The supervisors' dashboard at scale: each of its aggregate queries and the whole page
(view, every query, template) on the ``bench/dados.py`` data set (by default 20 empresas,
100k tickets, 1M messages; generated once, then reused).

    .venv/bin/python bench/dashboard.py [--rodadas 20] [--tickets 100000 --mensagens 1000000]

Prints, for the periods of the last 30 and 90 days of one empresa, p50 and p95 in ms of each
query and of ``GET /dashboard/`` through Django's test client (in process: no HTTP server, so
no network or worker-pool time), and the whole data set's size. Figures only, no thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as hora
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.dados  # noqa: I001  (first: sets the bench profile up and Django)
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone

from atendimento.models import Empresa
from atendimento.painel.tabelas import TABELAS
from atendimento.selectors import painel


def _ms(funcao, rodadas: int) -> dict[str, float]:
    tempos = []
    funcao()  # warm-up (plans, caches)
    for _ in range(rodadas):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    tempos.sort()
    p95 = tempos[min(len(tempos) - 1, round(0.95 * (len(tempos) - 1)))]
    return {"p50": round(statistics.median(tempos), 1), "p95": round(p95, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rodadas", type=int, default=20)
    parser.add_argument("--empresas", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--mensagens", type=int, default=1_000_000)
    args = parser.parse_args()

    dados = bench.dados.garantir(
        empresas=args.empresas, tickets=args.tickets, mensagens=args.mensagens
    )
    alvo = dados.empresas[0]
    empresa = Empresa.objects.get(id=alvo.id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM atendimento_tickets")
        (n_tickets,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM atendimento_mensagens")
        (n_msgs,) = cursor.fetchone()
    carga = os.getloadavg()[0]
    print(f"dados: {n_tickets} tickets, {n_msgs} mensagens no banco; empresa medida: "
          f"{empresa.nome} ({alvo.tickets} tickets); load average {carga:.1f}")  # fmt: skip

    setup_test_environment()
    cliente = Client(HTTP_HOST="localhost")
    cliente.force_login(get_user_model().objects.get(username=alvo.supervisor))
    fuso = ZoneInfo(empresa.fuso_horario)
    hoje = timezone.localdate()
    resultado = {}
    for dias in (30, 90):
        de = hoje - timedelta(days=dias - 1)
        periodo = painel.Periodo.de(
            empresa,
            datetime.combine(de, hora.min, tzinfo=fuso),
            datetime.combine(hoje + timedelta(days=1), hora.min, tzinfo=fuso),
        )
        linhas = {}
        for nome, tabela in TABELAS.items():
            linhas[f"tabela {nome}"] = _ms(lambda t=tabela, p=periodo: t.linhas(p), args.rodadas)
        linhas["totais"] = _ms(lambda p=periodo: painel.totais(p), args.rodadas)
        linhas["situação agora"] = _ms(lambda: painel.situacao_agora(empresa.id), args.rodadas)
        url = f"/dashboard/?de={de.isoformat()}&ate={hoje.isoformat()}"

        def pagina(url=url):
            resposta = cliente.get(url)
            assert resposta.status_code == 200, resposta.status_code

        linhas["GET /dashboard/ (página inteira)"] = _ms(pagina, args.rodadas)
        linhas["GET /dashboard/ (atualização htmx)"] = _ms(
            lambda url=url: cliente.get(url, headers={"HX-Request": "true"}), args.rodadas
        )
        linhas["CSV atendentes"] = _ms(
            lambda de=de: cliente.get(
                f"/dashboard/csv/atendentes/?de={de.isoformat()}&ate={hoje.isoformat()}"
            ),
            args.rodadas,
        )
        resultado[f"{dias} dias"] = linhas
        print(f"\nperíodo: últimos {dias} dias ({args.rodadas} rodadas)")
        print(f"{'':42} {'p50 ms':>9} {'p95 ms':>9}")
        for nome, t in linhas.items():
            print(f"{nome:42} {t['p50']:>9} {t['p95']:>9}")
    print(json.dumps({"tickets": n_tickets, "mensagens": n_msgs, "resultado": resultado}))


if __name__ == "__main__":
    main()
