"""The distribution step at scale: one automatic assignment (queue row lock, oldest waiting
ticket with SKIP LOCKED, the agent's lock and recount, ``ticket_atribuir`` with its history,
publication and notification) on the ``bench/dados.py`` data set (by default 20 empresas, 100k
tickets, 1M messages; generated once, then reused), and the periodic sweeps that look at every
open ticket (``distribuir_pendentes``, ``alerta_sla``).

    .venv/bin/python bench/distribuicao.py [--rodadas 200] [--tickets 100000 --mensagens 1000000]

One queue of the first empresa is switched to round robin with its members online; ``--rodadas``
waiting tickets are added and handed out one call at a time. Everything the benchmark changed is
put back at the end (the data set stays reusable). Prints p50 and p95 in ms. Figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.dados  # noqa: I001  (first: sets the bench profile up and Django)
from django.db import connection, transaction

from atendimento.models import Atendente, AtendenteFila, Canal, Contato, Fila, Ticket
from atendimento.services.alertas_sla import alertar
from atendimento.services.distribuicao import _distribuir_um, distribuir_pendentes


def _percentis(tempos: list[float]) -> dict[str, float]:
    tempos = sorted(tempos)
    p95 = tempos[min(len(tempos) - 1, round(0.95 * (len(tempos) - 1)))]
    return {"p50": round(statistics.median(tempos), 2), "p95": round(p95, 2), "n": len(tempos)}


def _medir(funcao, rodadas: int) -> dict[str, float]:
    tempos = []
    for _ in range(rodadas):
        inicio = time.perf_counter()
        funcao()
        tempos.append((time.perf_counter() - inicio) * 1000)
    return _percentis(tempos)


def _desfeito(funcao) -> None:
    with transaction.atomic():
        funcao()
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rodadas", type=int, default=200)
    parser.add_argument("--empresas", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--mensagens", type=int, default=1_000_000)
    args = parser.parse_args()

    dados = bench.dados.garantir(
        empresas=args.empresas, tickets=args.tickets, mensagens=args.mensagens
    )
    empresa_id = dados.empresas[0].id
    fila = Fila.objects.filter(empresa_id=empresa_id).order_by("nome").first()
    membros = list(AtendenteFila.objects.filter(fila=fila).values_list("atendente_id", flat=True))
    antes_fila = Fila.objects.filter(pk=fila.pk).values("distribuicao", "ativo").get()
    antes_agentes = list(
        Atendente.objects.filter(pk__in=membros).values("id", "status", "capacidade")
    )
    canal = Canal.objects.filter(empresa_id=empresa_id).values_list("id", flat=True)[0]
    contato_id = Contato.objects.filter(empresa_id=empresa_id).values_list("id", flat=True)[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM atendimento_tickets")
        (n_tickets,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM atendimento_tickets WHERE status <> 'fechado'")
        (n_abertos,) = cursor.fetchone()
    print(
        f"dados: {n_tickets} tickets ({n_abertos} não fechados); fila medida: {fila.nome} "
        f"({len(membros)} atendentes); load average {os.getloadavg()[0]:.1f}"
    )

    criados: list = []
    try:
        Fila.objects.filter(pk=fila.pk).update(distribuicao="round_robin", ativo=True)
        Atendente.objects.filter(pk__in=membros).update(
            status=Atendente.Status.ONLINE, capacidade=32000, ativo=True
        )
        with transaction.atomic():
            for _ in range(args.rodadas + 5):
                t = Ticket(
                    empresa_id=empresa_id,
                    canal_id=canal,
                    contato_id=contato_id,
                    fila=fila,
                    assunto="bench distribuição",
                )
                t.save(force_insert=True)
                criados.append(t.pk)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE atendimento_tickets")
        _distribuir_um(fila.pk)  # warm-up (plans, caches)
        passo = _medir(lambda: _distribuir_um(fila.pk), args.rodadas)
        # the sweeps act on the whole data set: each run is rolled back (same work every time,
        # and the data set stays as generated for the other benchmarks)
        varredura = _medir(lambda: _desfeito(distribuir_pendentes), 10)
        alerta = _medir(lambda: _desfeito(alertar), 5)
    finally:
        Ticket.objects.filter(pk__in=criados).delete()
        Fila.objects.filter(pk=fila.pk).update(**antes_fila)
        for a in antes_agentes:
            Atendente.objects.filter(pk=a["id"]).update(
                status=a["status"], capacidade=a["capacidade"]
            )

    linhas = {
        "uma atribuição automática (_distribuir_um)": passo,
        "varredura distribuir_pendentes": varredura,
        "alerta_sla (varredura inteira)": alerta,
    }
    print(f"{'':46} {'p50 ms':>9} {'p95 ms':>9} {'n':>5}")
    for nome, t in linhas.items():
        print(f"{nome:46} {t['p50']:>9} {t['p95']:>9} {t['n']:>5}")
    print(json.dumps({"tickets": n_tickets, "abertos": n_abertos, "resultado": linhas}))


if __name__ == "__main__":
    main()
