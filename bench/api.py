"""Reads at scale from outside: the ticket list / detail / search API and the inbox pages on
the ``bench/dados.py`` data set (by default 20 empresas, 100k tickets, 1M messages; generated
once, then reused), served by ``make run`` as shipped (``python -m conectcrm.executar``:
uvicorn with 2 processes on one port, worker, beat under its supervisor) and requested over HTTP.

    .venv/bin/python bench/api.py [--rodadas 60] [--conexoes 1] [--linhas busca,inbox]
                                  [--tickets 100000 ...]

For each request it prints p50 / p95 / p99 in ms (``--rodadas`` requests after 3 warm-ups,
``--conexoes`` clients in a closed loop; the detail requests walk over different tickets) and
the number of SQL queries the request runs (counted once per request in this process with
Django's test client and ``CaptureQueriesContext``: the embedded PostgreSQL ships no
``pg_stat_statements``) with its median time there ("proc ms": the code's own cost, without
the server, the ASGI bridge and the network) and its median CPU time there ("proc cpu": what
the request costs this process whatever the machine's load), the CPU per request of the served
side measured from ``/proc`` during the line ("web cpu": ``make run``'s uvicorn processes —
server, ASGI bridge, Django; "pg cpu": the whole PostgreSQL server, so the worker's periodic
queries during the line count there too), and "alheia": the cores other processes
of the machine used meanwhile (other work on a shared box slows every figure). Target: p95 ≤ 50
ms.
Figures only; the process exits 0 either way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.dados  # noqa: I001  (first: sets the bench profile up and Django)
import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment
from rest_framework_simplejwt.tokens import AccessToken

from atendimento.models import Ticket
from bench.ingest import (
    _cpu_por_papel,
    _ocupado_total,
    _papeis_do_executar,
    _servicos_do_bench,
)

RAIZ = Path(__file__).resolve().parent.parent
ALVO_P95_MS = 50.0


def _porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _esperar_porta(porta: int, limite: float) -> None:
    fim = time.monotonic() + limite
    while time.monotonic() < fim:
        try:
            with socket.create_connection(("127.0.0.1", porta), 0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"porta {porta} não abriu")


def _cpu_da_arvore(raizes: list[int]) -> float:
    """CPU seconds used so far by ``raizes`` and their live descendants."""
    return _cpu_por_papel({"arvore": raizes})["arvore"]


def _p(valores: list[float], q: float) -> float:
    valores = sorted(valores)
    return round(valores[min(len(valores) - 1, round(q * (len(valores) - 1)))], 1)


def _sessao(username: str) -> str:
    """A logged-in session cookie for ``username`` (no login form: no throttling)."""
    cliente = Client()
    cliente.force_login(get_user_model().objects.get(username=username))
    return cliente.cookies[settings.SESSION_COOKIE_NAME].value


def _pedidos(dados, empresa_idx: int) -> tuple[list[dict], dict[str, str]]:
    """What is measured: (name, paths to cycle through, auth) for one empresa."""
    alvo = dados.empresas[empresa_idx]
    usuarios = get_user_model().objects.in_bulk(
        [alvo.supervisor, alvo.atendentes[0]], field_name="username"
    )
    jwt = {u: str(AccessToken.for_user(usuarios[u])) for u in usuarios}
    ids = list(
        Ticket.objects.filter(empresa_id=alvo.id)
        .order_by("-ultima_mensagem_em")
        .values_list("id", flat=True)[:2000]
    )
    random.Random(7).shuffle(ids)
    detalhes = [str(i) for i in ids[:200]]
    contato = (
        Ticket.objects.filter(empresa_id=alvo.id).select_related("contato").first().contato.nome
    )
    api = "/api/atendimento/tickets/"
    sup, agente = alvo.supervisor, alvo.atendentes[0]
    pedidos = [
        {"nome": "API lista (supervisor)", "caminhos": [api], "jwt": sup},
        {"nome": "API lista status=aberto", "caminhos": [f"{api}?status=aberto"], "jwt": sup},
        {"nome": "API lista página 100", "caminhos": [f"{api}?page=100"], "jwt": sup},
        {"nome": "API lista (atendente)", "caminhos": [api], "jwt": agente},
        {"nome": "API detalhe", "caminhos": [f"{api}{i}/" for i in detalhes], "jwt": sup},
        {
            "nome": "API mensagens do ticket",
            "caminhos": [f"{api}{i}/mensagens/" for i in detalhes],
            "jwt": sup,
        },
        {"nome": "API busca q=boleto", "caminhos": [f"{api}?q=boleto"], "jwt": sup},
        {
            "nome": "API busca q=<nome do contato>",
            "caminhos": [f"{api}?q={contato.split()[0]}"],
            "jwt": sup,
        },
        {"nome": "inbox página", "caminhos": ["/inbox/?aba=todos"], "sessao": sup},
        {"nome": "inbox página (atendente)", "caminhos": ["/inbox/"], "sessao": agente},
        {
            "nome": "inbox lista fechados (htmx)",
            "caminhos": ["/inbox/?aba=todos&status=fechados"],
            "sessao": sup,
            "htmx": True,
        },
        {
            "nome": "inbox ticket (htmx)",
            "caminhos": [f"/inbox/tickets/{i}/" for i in detalhes],
            "sessao": sup,
            "htmx": True,
        },
    ]
    return pedidos, jwt


def _cabecalhos(pedido: dict, jwt: dict, sessoes: dict) -> tuple[dict, dict]:
    cabecalhos, cookies = {}, {}
    if "jwt" in pedido:
        cabecalhos["Authorization"] = f"Bearer {jwt[pedido['jwt']]}"
    else:
        cookies[settings.SESSION_COOKIE_NAME] = sessoes[pedido["sessao"]]
    if pedido.get("htmx"):
        cabecalhos["HX-Request"] = "true"
    return cabecalhos, cookies


def _medir(
    base: str,
    pedido: dict,
    jwt,
    sessoes,
    rodadas: int,
    conexoes: int,
    nossos: list[int],
    papeis: dict[str, list[int]],
) -> dict:
    cabecalhos, cookies = _cabecalhos(pedido, jwt, sessoes)
    caminhos = pedido["caminhos"]
    tempos: list[float] = []
    erros: list[int] = []
    trava = threading.Lock()
    contador = iter(range(rodadas))

    def cliente() -> None:
        with httpx.Client(base_url=base, headers=cabecalhos, cookies=cookies, timeout=30) as c:
            for k in range(3):  # warm-up (plans, caches, connections)
                c.get(caminhos[k % len(caminhos)])
            while True:
                with trava:
                    n = next(contador, None)
                if n is None:
                    return
                inicio = time.perf_counter()
                r = c.get(caminhos[n % len(caminhos)])
                ms = (time.perf_counter() - inicio) * 1000
                with trava:
                    tempos.append(ms)
                    if r.status_code != 200:
                        erros.append(r.status_code)

    threads = [threading.Thread(target=cliente) for _ in range(conexoes)]
    cpu_maquina, cpu_nossa = _ocupado_total(), _cpu_da_arvore(nossos)
    cpu_papeis = _cpu_por_papel(papeis)
    inicio = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duracao = time.perf_counter() - inicio
    cpu_maquina = _ocupado_total() - cpu_maquina
    cpu_nossa = _cpu_da_arvore(nossos) - cpu_nossa
    # warm-ups included: they are requests the served side handled during the line too
    pedidos_feitos = len(tempos) + 3 * conexoes
    cpu_por_pedido = {
        papel: round((cpu - cpu_papeis[papel]) * 1000 / pedidos_feitos, 1)
        for papel, cpu in _cpu_por_papel(papeis).items()
    }
    return {
        "web_cpu_ms": cpu_por_pedido["web"],
        "pg_cpu_ms": cpu_por_pedido["pg"],
        "p50": _p(tempos, 0.5),
        "p95": _p(tempos, 0.95),
        "p99": _p(tempos, 0.99),
        "req_s": round(len(tempos) / duracao, 1),
        "erros": len(erros),
        # cores used meanwhile by processes that are not this benchmark's (other work)
        "alheia": round(max(cpu_maquina - cpu_nossa, 0) / duracao, 2),
        "status_erros": sorted(set(erros)),
    }


def _consultas(pedido: dict, jwt, rodadas: int = 15) -> tuple[int, float, float]:
    """SQL queries of one request, and the median ms and CPU ms of the request in process (test
    client: the same code and data without the HTTP server, the ASGI bridge or the network)."""
    cliente = Client(HTTP_HOST="localhost")
    cabecalhos = {}
    if "jwt" in pedido:
        cabecalhos["Authorization"] = f"Bearer {jwt[pedido['jwt']]}"
    else:
        cliente.force_login(get_user_model().objects.get(username=pedido["sessao"]))
    if pedido.get("htmx"):
        cabecalhos["HX-Request"] = "true"
    caminho = pedido["caminhos"][0]
    cliente.get(caminho, headers=cabecalhos)  # warm-up: first-use queries (content types…)
    with CaptureQueriesContext(connection) as capturadas:
        resposta = cliente.get(caminho, headers=cabecalhos)
    assert resposta.status_code == 200, (caminho, resposta.status_code)
    n_consultas = len(capturadas)  # now: each request clears the connection's query log
    tempos, cpu = [], []
    for n in range(rodadas):
        inicio, inicio_cpu = time.perf_counter(), time.process_time()
        cliente.get(pedido["caminhos"][n % len(pedido["caminhos"])], headers=cabecalhos)
        tempos.append((time.perf_counter() - inicio) * 1000)
        cpu.append((time.process_time() - inicio_cpu) * 1000)
    return n_consultas, _p(tempos, 0.5), _p(cpu, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rodadas", type=int, default=60, help="requests per line")
    parser.add_argument("--conexoes", type=int, default=1, help="concurrent clients")
    parser.add_argument("--empresas", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--mensagens", type=int, default=1_000_000)
    parser.add_argument(
        "--linhas",
        default="",
        help="only the lines whose name contains one of these comma-separated words "
        "(e.g. 'busca,inbox ticket'); every line by default",
    )
    args = parser.parse_args()

    inicio = time.perf_counter()
    dados = bench.dados.garantir(
        empresas=args.empresas, tickets=args.tickets, mensagens=args.mensagens
    )
    print(f"dados: {dados.tickets} tickets, {dados.mensagens} mensagens, "
          f"{len(dados.empresas)} empresas (prontos em {time.perf_counter() - inicio:.1f} s)",
          flush=True)  # fmt: skip
    setup_test_environment()
    pedidos, jwt = _pedidos(dados, 0)
    if args.linhas:
        palavras = [p.strip() for p in args.linhas.split(",") if p.strip()]
        pedidos = [p for p in pedidos if any(w in p["nome"] for w in palavras)]
    sessoes = {p["sessao"]: _sessao(p["sessao"]) for p in pedidos if "sessao" in p}
    consultas = {p["nome"]: _consultas(p, jwt) for p in pedidos}
    connection.close()

    porta = _porta_livre()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        PORT=str(porta),
        LOG_LEVEL="WARNING",
    )
    resultado: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as pasta:
        log = open(Path(pasta) / "executar.log", "w")  # noqa: SIM115
        servidor = subprocess.Popen(
            [sys.executable, "-m", "conectcrm.executar"],
            env=env,
            cwd=RAIZ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _esperar_porta(porta, 180)
            base = f"http://127.0.0.1:{porta}"
            from conectcrm import embedded

            servicos = _servicos_do_bench(embedded.pasta_dados(os.environ["CONECTCRM_PERFIL"]))
            nossos = [os.getpid(), servidor.pid, *servicos]
            # the served side: make run's web processes (uvicorn: not its worker or beat), and
            # PostgreSQL (its postmaster's tree: the worker's periodic queries count there too)
            papeis = {"web": _papeis_do_executar(servidor.pid).get("web", []), "pg": servicos[:1]}
            carga = os.getloadavg()[0]
            print(f"`make run` na porta {porta}; {args.rodadas} pedidos por linha, "
                  f"{args.conexoes} cliente(s); load average {carga:.1f}\n")  # fmt: skip
            print(f"{'pedido':34} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6} "
                  f"{'SQL':>4} {'proc ms':>7} {'proc cpu':>8} {'web cpu':>7} {'pg cpu':>6} "
                  f"{'p95≤50':>7} {'alheia':>7}")  # fmt: skip
            for pedido in pedidos:
                linha = _medir(
                    base, pedido, jwt, sessoes, args.rodadas, args.conexoes, nossos, papeis
                )
                (linha["consultas"], linha["em_processo_p50"],
                 linha["em_processo_cpu_p50"]) = consultas[pedido["nome"]]  # fmt: skip
                resultado[pedido["nome"]] = linha
                ok = "sim" if linha["p95"] <= ALVO_P95_MS and not linha["erros"] else "NÃO"
                extra = f"  erros {linha['erros']} {linha['status_erros']}" * bool(linha["erros"])
                print(f"{pedido['nome']:34} {linha['p50']:>7} {linha['p95']:>7} "
                      f"{linha['p99']:>7} {linha['req_s']:>6} {linha['consultas']:>4} "
                      f"{linha['em_processo_p50']:>7} {linha['em_processo_cpu_p50']:>8} "
                      f"{linha['web_cpu_ms']:>7} {linha['pg_cpu_ms']:>6} "
                      f"{ok:>7} {linha['alheia']:>7}{extra}", flush=True)  # fmt: skip
        finally:
            servidor.terminate()
            try:
                servidor.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(servidor.pid, 9)
                servidor.wait()
    print(json.dumps({"tickets": dados.tickets, "mensagens": dados.mensagens,
                      "alvo_p95_ms": ALVO_P95_MS, "resultado": resultado}))  # fmt: skip


if __name__ == "__main__":
    main()
