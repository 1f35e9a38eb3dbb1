"""Inbound pipeline benchmark on the real stack.

    .venv/bin/python bench/ingest.py [--segundos 20] [--conexoes 32] [--servidores 2]
                                     [--workers 1] [--concorrencia 2] [--conversas 200]

On the embedded PostgreSQL/Redis of its own data folder (``CONECTCRM_PERFIL=bench``) it starts
``--servidores`` daphne processes serving ``conectcrm.asgi:application`` (HTTP goes through
a2wsgi into Django's WSGI handler; the load is spread over them as a load balancer would) and
``--workers`` Celery workers (prefork, ``--concorrencia`` each) on the ``webhooks`` queue.  It
creates an empresa, a WhatsApp channel and a supervisor, connects ONE real websocket as that
supervisor (``/ws/atendimento/?token=…``), then a separate load process fires signed WhatsApp
text webhooks (each a new message, spread over ``--conversas`` customers) for ``--segundos``
over ``--conexoes`` keep-alive connections.  It then waits for the pipeline to drain and prints:

* acknowledged webhooks/s and ack latency p50/p99 (HTTP 200 seen by the sender);
* end-to-end messages/s and latency p50/p99: webhook sent → message stored → ``nova_mensagem``
  received on the websocket;
* lost (acknowledged but never stored) and duplicated (stored or delivered twice) counts;
* the raw ceiling of the same PostgreSQL, measured in the same run: single-row durable INSERT
  commits/s from 2 psycopg client processes, and our ack rate as a ratio of it;
* the machine (nproc, CPU model);
* with ``--servidor executar`` (``make run``, whose ``ia`` worker analyses every customer
  message): after the load it waits up to ``--esperar-ia`` seconds until the last message of
  every conversation has its ``AIInsight``, then prints (``ia``) the analyses run and per
  conversation, that worker's CPU from the start of the load per analysis and per customer
  message (Celery included), and the insight delay (last message sent → its insight stored).

Everything runs on this one machine, the load generator included.  Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import hashlib
import hmac
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PNID = "990000000000001"
CONFIG = ("segundos", "conexoes", "taxa", "servidor", "servidores", "workers", "pool",
          "concorrencia", "conversas", "aquecer")  # fmt: skip
SEGREDO = "segredo-do-bench"


#: ASGI servers that run several worker processes on ONE port (HTTP + websockets)
SERVIDORES_ASGI = {
    "uvicorn": lambda porta, n: [
        str(BIN / "uvicorn"), "conectcrm.asgi:application", "--host", "127.0.0.1",
        "--port", str(porta), "--workers", str(n), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ],
    "granian": lambda porta, n: [
        str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port",
        str(porta), "--workers", str(n), "--loop", "uvloop", "--log-level", "warning",
        "conectcrm.asgi:application",
    ],
}  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CONECTCRM_PERFIL", "bench")
    env.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")
    env.setdefault("CONN_MAX_AGE", "600")  # persistent DB connections, as in production
    env.setdefault("LOG_LEVEL", "WARNING")
    env.update(extra)
    return env


# ------------------------------------------------------------------------------- load process
def corpo_whatsapp(wamid: str, wa_id: str) -> bytes:
    dados = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": PNID,
                            },
                            "contacts": [
                                {"profile": {"name": f"Cliente {wa_id[-4:]}"}, "wa_id": wa_id}
                            ],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": f"Olá, mensagem {wamid[-8:]}"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(dados).encode()


class _ConexaoCrua:
    """One keep-alive HTTP/1.1 connection speaking just what the load needs: a POST written
    in one piece, the status line, the headers and the body (``Content-Length`` or chunked)
    read back.  aiohttp's client cost ~0.45 ms of CPU per request here — at 1,000
    webhooks/s a third of a core of the 2 the server shares with it; this is a few times
    less, and the requests on the wire are the same."""

    def __init__(self, host: str, porta: int) -> None:
        self.host, self.porta = host, porta
        self.leitor: asyncio.StreamReader | None = None
        self.escritor: asyncio.StreamWriter | None = None

    async def post(self, pedido: bytes) -> int:
        if self.escritor is None:
            self.leitor, self.escritor = await asyncio.open_connection(self.host, self.porta)
        try:
            self.escritor.write(pedido)
            cabeca = await self.leitor.readuntil(b"\r\n\r\n")
            status = int(cabeca[9:12])
            tamanho, pedacos, fechar = 0, False, False
            for linha in cabeca.lower().split(b"\r\n")[1:]:
                nome, _, valor = linha.partition(b":")
                if nome == b"content-length":
                    tamanho = int(valor)
                elif nome == b"transfer-encoding" and b"chunked" in valor:
                    pedacos = True
                elif nome == b"connection" and b"close" in valor:
                    fechar = True
            if pedacos:
                while tamanho := int((await self.leitor.readuntil(b"\r\n")).split(b";")[0], 16):
                    await self.leitor.readexactly(tamanho + 2)
                await self.leitor.readuntil(b"\r\n")  # no trailers are sent
            elif tamanho:
                await self.leitor.readexactly(tamanho)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.fechar()
            raise
        if fechar:
            self.fechar()
        return status

    def fechar(self) -> None:
        if self.escritor is not None:
            self.escritor.close()
        self.leitor = self.escritor = None


async def _carga(args) -> list[tuple[str, float, float, int]]:
    from urllib.parse import urlsplit

    destinos = [urlsplit(base) for base in args.base]
    caminho = f"/api/atendimento/webhooks/whatsapp/{args.empresa}/"
    registros: list[tuple[str, float, float, int]] = []
    fim = time.monotonic() + args.segundos
    contador = 0

    inicio = time.monotonic()

    async def conexao(n: int) -> None:
        nonlocal contador
        destino = destinos[n % len(destinos)]
        cliente = _ConexaoCrua(destino.hostname, destino.port)
        hospedeiro = destino.netloc.encode()
        while time.monotonic() < fim:
            contador += 1
            i = contador  # taken before any await: each request has its own number
            if args.taxa:  # open loop: request i leaves at inicio + i / taxa
                espera = inicio + i / args.taxa - time.monotonic()
                if espera > 0:
                    await asyncio.sleep(espera)
            wamid = f"wamid.bench.{args.rodada}.{i:08d}"
            wa_id = f"55119{i % args.conversas:08d}"
            corpo = corpo_whatsapp(wamid, wa_id)
            assinatura = "sha256=" + hmac.new(SEGREDO.encode(), corpo, hashlib.sha256).hexdigest()
            pedido = (
                b"POST " + caminho.encode() + b" HTTP/1.1\r\nHost: " + hospedeiro
                + b"\r\nContent-Type: application/json\r\nX-Hub-Signature-256: "
                + assinatura.encode() + b"\r\nContent-Length: " + str(len(corpo)).encode()
                + b"\r\n\r\n" + corpo
            )  # fmt: skip
            enviado = time.time()
            try:
                status = await cliente.post(pedido)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = 0
            registros.append((wamid, enviado, time.time() - enviado, status))
        cliente.fechar()

    await asyncio.gather(*(conexao(n) for n in range(args.conexoes)))
    return registros


# ------------------------------------------------------------------------------- websocket listener
async def _ouvinte(args) -> list[tuple[str, float]]:
    from websockets.asyncio.client import connect

    recebidos: list[tuple[str, float]] = []
    url = f"{args.ws}/ws/atendimento/?token={args.token}"
    origem = args.ws.replace("ws://", "http://")
    async with connect(url, origin=origem, max_queue=None) as ws:
        await asyncio.to_thread(Path(args.pronto).write_text, "ok")
        parar = Path(args.parar)
        progresso, escrito = Path(args.parar + ".n"), 0.0
        while not await asyncio.to_thread(parar.exists):
            if time.monotonic() - escrito > 0.5:  # how many so far, for the orchestrator
                await asyncio.to_thread(progresso.write_text, str(len(recebidos)))
                escrito = time.monotonic()
            try:
                quadro = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            dados = json.loads(quadro)
            if dados.get("evento") == "nova_mensagem":
                recebidos.append((dados["dados"].get("id_externo") or "", time.time()))
            elif dados.get("evento") == "ressincronizar":  # frames dropped for this socket
                recebidos.append(("#ressincronizar", time.time()))
    return recebidos


# ------------------------------------------------------------------------------- AI analyses
def _esperar_analises(
    args, canal, pids_ia: list[int], cpu_ia_antes: float, inicio: float, envio: dict, n: int
) -> dict:
    """``make run``'s ``ia`` worker after the load: waits (up to ``--esperar-ia`` s) until the
    latest customer message of every conversation has its ``AIInsight`` (each new message must
    lead to an up-to-date analysis), then reports what the analyses cost that worker from the
    start of the load (its CPU, Celery included, per analysis and per customer message — ``n``:
    the load's accepted webhooks plus the warm-up's messages), how many analyses each
    conversation got and the insight delay (the conversation's last message sent → the
    ``AIInsight`` of that message stored; the debounce, ``IA_ESPERA_ANALISE_SEGUNDOS``, is part
    of it by design)."""
    from django.conf import settings
    from django.db.models import Count, Min

    from atendimento.models import Mensagem
    from ia.models import AIInsight

    ultimas = dict(
        Mensagem.objects.filter(canal=canal, direcao=Mensagem.Direcao.ENTRADA)
        .order_by("ticket_id", "-data", "-criado_em")
        .distinct("ticket_id")
        .values_list("id", "id_externo")
    )
    limite = time.monotonic() + args.esperar_ia
    while True:
        analisadas = dict(
            AIInsight.objects.filter(mensagem_id__in=ultimas)
            .values("mensagem_id")
            .annotate(primeiro=Min("criado_em"))
            .values_list("mensagem_id", "primeiro")
        )
        if len(analisadas) >= len(ultimas) or time.monotonic() >= limite:
            break
        time.sleep(1)
    cpu_ia = _cpu_por_papel({"ia": pids_ia})["ia"] - cpu_ia_antes
    desde = datetime.datetime.fromtimestamp(inicio, tz=datetime.UTC)
    por_ticket = list(
        AIInsight.objects.filter(empresa_id=canal.empresa_id, criado_em__gte=desde)
        .values("ticket_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    analises = sum(por_ticket)
    atrasos = [
        quando.timestamp() - envio[ultimas[mensagem_id]]
        for mensagem_id, quando in analisadas.items()
        if ultimas[mensagem_id] in envio
    ]
    return {
        "espera_analise_s": settings.IA_ESPERA_ANALISE_SEGUNDOS,
        "conversas": len(ultimas),
        "conversas_com_insight_da_ultima_mensagem": len(analisadas),
        "analises": analises,
        "analises_por_conversa_media_max": [
            round(analises / max(len(por_ticket), 1), 2), max(por_ticket, default=0)
        ],
        "mensagens_cliente": n,
        "cpu_ia_s_desde_a_carga": round(cpu_ia, 2),
        "cpu_ia_ms_por_analise": round(1000 * cpu_ia / analises, 1) if analises else None,
        "cpu_ia_ms_por_mensagem": round(1000 * cpu_ia / max(n, 1), 2),
        "atraso_insight_s_p50_p95_max": [
            round(_p(atrasos, 0.50), 1), round(_p(atrasos, 0.95), 1),
            round(max(atrasos, default=0), 1),
        ],
    }  # fmt: skip


# ------------------------------------------------------------------------------- raw ceiling
def _teto(args) -> None:
    import psycopg

    with psycopg.connect(args.dsn, autocommit=True) as conexao:
        inseridos = 0
        fim = time.monotonic() + args.segundos
        while time.monotonic() < fim:
            conexao.execute(
                "INSERT INTO bench_teto (corpo, criado_em) VALUES (%s, now())",
                ("x" * 200,),
                prepare=True,
            )
            inseridos += 1
    Path(args.saida).write_text(str(inseridos))


def medir_teto(dsn: str, segundos: float = 5.0, clientes: int = 2) -> float:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conexao:
        conexao.execute("DROP TABLE IF EXISTS bench_teto")
        conexao.execute(
            "CREATE TABLE bench_teto (id bigserial PRIMARY KEY, corpo text, criado_em timestamptz)"
        )
        sincrono = conexao.execute("SHOW synchronous_commit").fetchone()[0]
    saidas = [tempfile.mktemp(suffix=".teto") for _ in range(clientes)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--papel", "teto", "--dsn", dsn, "--saida", s,
             "--segundos", str(segundos)],
            env=_env(),
        )
        for s in saidas
    ]  # fmt: skip
    for p in procs:
        p.wait()
    total = sum(int(Path(s).read_text()) for s in saidas)
    with psycopg.connect(dsn, autocommit=True) as conexao:
        conexao.execute("DROP TABLE bench_teto")
    print(f"  (synchronous_commit={sincrono})")
    return total / segundos


# ------------------------------------------------------------------------------- CPU accounting
def _ocupado_total() -> float:
    """Busy CPU seconds of the whole machine so far (all cores)."""
    campos = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ocioso = campos[3] + campos[4]
    return (sum(campos[:8]) - ocioso) / os.sysconf("SC_CLK_TCK")


def _filhos() -> dict[int, list[int]]:
    filhos: dict[int, list[int]] = {}
    for entrada in Path("/proc").iterdir():
        if entrada.name.isdigit():
            try:
                ppid = int((entrada / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            filhos.setdefault(ppid, []).append(int(entrada.name))
    return filhos


def _cpu_do_processo(pid: int, *, filhos_esperados: bool = False) -> float:
    """CPU seconds of one process (plus, optionally, of its children already waited for)."""
    campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    fim = 15 if filhos_esperados else 13
    return sum(int(c) for c in campos[11:fim]) / os.sysconf("SC_CLK_TCK")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _papeis_do_executar(pid: int) -> dict[str, list[int]]:
    """The supervisor's children by role (web, worker, tarefas, ia, beat) from their command
    lines."""
    papeis: dict[str, list[int]] = {"executar": [pid]}
    for filho in _filhos().get(pid, []):
        linha = _cmdline(filho)
        if "uvicorn" in linha or "daphne" in linha:
            nome = "web"
        elif " beat" in linha:
            nome = "beat"
        elif "-Q webhooks" in linha:
            nome = "worker"  # the drain
        elif "-Q ai-analysis" in linha:
            nome = "ia"  # make run's AI worker (lower CPU priority)
        elif " worker" in linha:
            nome = "tarefas"  # make run's other worker (messages, notifications)
        else:
            nome = "executar_outros"
        papeis.setdefault(nome, []).append(filho)
    return papeis


def _cpu_por_papel(papeis: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds per role; a role's tree excludes the pids of the other roles (the
    supervisor's own figure is then only its own)."""
    excluir = {pid for pids in papeis.values() for pid in pids}
    filhos, resultado = _filhos(), {}
    for nome, raizes in papeis.items():
        total, pendentes = 0.0, list(raizes)
        while pendentes:
            pid = pendentes.pop()
            pendentes.extend(f for f in filhos.get(pid, []) if f not in excluir)
            try:
                campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(c) for c in campos[11:15]) / os.sysconf("SC_CLK_TCK")
        resultado[nome] = total
    return resultado


def _servicos_do_bench(pasta_dados: Path) -> list[int]:
    pids = []
    for arquivo, linha in (
        (pasta_dados / "pg" / "postmaster.pid", 0),
        (pasta_dados / "redis.pid", 0),
    ):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pids.append(int(arquivo.read_text().splitlines()[linha]))
    return pids


# ------------------------------------------------------------------------------- orchestration
def _p(valores: list[float], q: float) -> float:
    if not valores:
        return float("nan")
    valores = sorted(valores)
    return valores[min(len(valores) - 1, int(q * len(valores)))]


def _esperar_porta(porta: int, limite: float = 60) -> None:
    import socket

    fim = time.monotonic() + limite
    while time.monotonic() < fim:
        try:
            with socket.create_connection(("127.0.0.1", porta), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"porta {porta} não abriu")


def _porta_livre() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _preparar():
    """Django on the bench profile: migrate, one empresa + fila + WhatsApp channel + supervisor."""
    os.environ.update(_env())
    sys.path.insert(0, str(RAIZ))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings
    from rest_framework_simplejwt.tokens import AccessToken

    from atendimento.models import Atendente, Canal
    from tests.factories import AtendenteFactory, EmpresaFactory, FilaFactory

    Canal.objects.filter(identificador=PNID).update(identificador="", ativo=False)
    marca = uuid.uuid4().hex[:8]
    empresa = EmpresaFactory(nome=f"Bench {marca}", slug=f"bench-{marca}")
    fila = FilaFactory(empresa=empresa, nome="Bench")
    canal = Canal.objects.create(
        empresa=empresa,
        tipo="whatsapp",
        nome="WhatsApp bench",
        ativo=True,
        config={"phone_number_id": PNID, "api_base_url": "http://127.0.0.1:9"},
        segredos={"app_secret": SEGREDO, "access_token": "x", "verify_token": "y"},
        identificador=PNID,
        fila_padrao=fila,
    )
    supervisor = AtendenteFactory(
        empresa=empresa,
        papel=Atendente.Papel.SUPERVISOR,
        usuario__username=f"bench-{marca}",
    )
    token = str(AccessToken.for_user(supervisor.usuario))
    return empresa, canal, token, settings.DATABASE_URL, settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papel", default="orquestrador")
    parser.add_argument("--segundos", type=float, default=20)
    parser.add_argument("--conexoes", type=int, default=32)
    parser.add_argument(
        "--servidor",
        choices=("daphne", "gunicorn", "executar", *SERVIDORES_ASGI),
        default="daphne",
        help="executar: `make run` as shipped (python -m conectcrm.executar), from outside",
    )
    parser.add_argument("--servidores", type=int, default=2, help="HTTP processes")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concorrencia", type=int, default=2)
    parser.add_argument("--conversas", type=int, default=200)
    parser.add_argument("--taxa", type=float, default=0, help="offered webhooks/s (0: max)")
    parser.add_argument("--pool", default="prefork", help="Celery pool: prefork|threads|solo")
    parser.add_argument(
        "--aquecer",
        action="store_true",
        help="one message per conversation first (contacts and tickets exist: steady state)",
    )
    parser.add_argument("--drenar", type=float, default=120, help="max seconds to drain")
    parser.add_argument(
        "--esperar-ia",
        type=float,
        default=180,
        help="executar: max seconds to wait for the AI analyses of the load (0: do not wait)",
    )
    parser.add_argument("--base", action="append", default=[])
    parser.add_argument("--empresa", default="")
    parser.add_argument("--rodada", default="")
    parser.add_argument("--saida", default="")
    parser.add_argument("--ws", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--pronto", default="")
    parser.add_argument("--parar", default="")
    parser.add_argument("--dsn", default="")
    args = parser.parse_args()
    if args.papel == "carga":
        with contextlib.suppress(ImportError):  # uvicorn[standard]'s event loop, if installed
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        Path(args.saida).write_text(json.dumps(asyncio.run(_carga(args))))
    elif args.papel == "ouvinte":
        Path(args.saida).write_text(json.dumps(asyncio.run(_ouvinte(args))))
    elif args.papel == "teto":
        _teto(args)
    else:
        if importlib.util.find_spec("factory") is None:
            sys.exit("factory-boy não está instalado: rode `make bench` (instala os extras dev).")
        try:
            orquestrar(args)
        finally:
            # the embedded PostgreSQL/Redis this run started (or reused): nothing stays up
            from conectcrm import embedded

            embedded.parar(embedded.pasta_dados(_env()["CONECTCRM_PERFIL"]))


def _aquecer(args, empresa, canal, porta: int) -> int:
    """--aquecer: one message per conversation before the load, processed and delivered, so
    the load measures conversations that already have a contact and an open ticket (the
    steady state) rather than ``--conversas`` first contacts at once.  Returns how many."""
    import http.client

    from atendimento.models import EventoWebhook, Mensagem

    for i in range(args.conversas):
        corpo = corpo_whatsapp(f"wamid.aquecer.{uuid.uuid4().hex}", f"55119{i:08d}")
        assinatura = "sha256=" + hmac.new(SEGREDO.encode(), corpo, hashlib.sha256).hexdigest()
        conexao = http.client.HTTPConnection("127.0.0.1", porta, timeout=30)
        conexao.request(
            "POST",
            f"/api/atendimento/webhooks/whatsapp/{empresa.id}/",
            corpo,
            {"Content-Type": "application/json", "X-Hub-Signature-256": assinatura},
        )
        assert conexao.getresponse().status == 200
        conexao.close()
    limite = time.monotonic() + 300
    while time.monotonic() < limite:
        feitas = Mensagem.objects.filter(canal=canal).count()
        pendentes = EventoWebhook.objects.filter(canal=canal, status="recebido").count()
        if feitas >= args.conversas and not pendentes:
            break
        time.sleep(0.5)
    time.sleep(3)  # their frames and the reactions after them
    return args.conversas


def _etapas(canal, envio: dict, ack: dict, chegada: dict, guardadas: list) -> dict:
    """p50 / p95 (ms) of each stage of a message's way, from the stored timestamps: the
    event's ``recebido_em`` (set by the web process), the message's ``criado_em`` (built by
    the drain after its claim), the event's ``processado_em`` (just before the batch commits)
    and the socket's arrival time.  One clock: everything runs on this machine."""
    from atendimento.models import EventoWebhook

    criada = {id_externo: criado.timestamp() for id_externo, criado in guardadas}
    eventos = {}
    for corpo, recebido, processado in EventoWebhook.objects.filter(
        canal=canal, processado_em__isnull=False
    ).values_list("corpo", "recebido_em", "processado_em"):
        dados = json.loads(bytes(corpo))
        for entrada in dados.get("entry", []):
            for mudanca in entrada.get("changes", []):
                for mensagem in mudanca.get("value", {}).get("messages", []):
                    eventos[mensagem["id"]] = (recebido.timestamp(), processado.timestamp())
    faixas: dict[str, list[float]] = {
        "envio_ack": [], "ack_reivindicacao": [], "reivindicacao_commit": [], "commit_socket": []
    }  # fmt: skip
    for id_externo, (recebido, processado) in eventos.items():
        if id_externo not in envio or id_externo not in criada:
            continue
        faixas["envio_ack"].append(ack[id_externo] - envio[id_externo])
        faixas["ack_reivindicacao"].append(criada[id_externo] - recebido)
        faixas["reivindicacao_commit"].append(processado - criada[id_externo])
        if id_externo in chegada:
            faixas["commit_socket"].append(chegada[id_externo] - processado)
    return {
        nome: [round(_p(v, 0.5) * 1000, 1), round(_p(v, 0.95) * 1000, 1)]
        for nome, v in faixas.items()
    }


def orquestrar(args) -> None:
    empresa, canal, token, dsn, settings = _preparar()
    from conectcrm import embedded

    pasta_dados = embedded.pasta_dados(os.environ["CONECTCRM_PERFIL"])
    from atendimento.models import EventoWebhook, Mensagem

    env = _env(DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    with tempfile.TemporaryDirectory() as pasta:
        pasta = Path(pasta)
        processos: list[subprocess.Popen] = []
        papeis: dict[str, list[int]] = {}

        def iniciar(cmd: list[str], nome: str) -> subprocess.Popen:
            log = open(pasta / f"{nome}.log", "w")  # noqa: SIM115
            p = subprocess.Popen(cmd, env=env, cwd=RAIZ, stdout=log, stderr=subprocess.STDOUT)
            processos.append(p)
            papeis.setdefault(nome.rstrip("0123456789"), []).append(p.pid)
            return p

        try:
            with __import__("conectcrm.celery", fromlist=["app"]).app.connection_for_write() as c:
                c.default_channel.client.flushdb()  # no stale tasks from an earlier run
            porta_ws = _porta_livre()
            if args.servidor == "executar":  # `make run` as shipped: web, worker and beat
                portas = [porta_ws]
                env_executar = dict(env, PORT=str(porta_ws), LOG_LEVEL="WARNING")
                log = open(pasta / "executar.log", "w")  # noqa: SIM115
                p = subprocess.Popen([sys.executable, "-m", "conectcrm.executar"], env=env_executar,
                                     cwd=RAIZ, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
                processos.append(p)
                papeis["executar"] = [p.pid]
                _esperar_porta(porta_ws, 120)
                args.workers = 0  # its own worker
            elif args.servidor in SERVIDORES_ASGI:  # HTTP and websockets on one port, N workers
                portas = [porta_ws]
                iniciar(SERVIDORES_ASGI[args.servidor](porta_ws, args.servidores), args.servidor)
            else:  # websockets on daphne; webhooks on daphne too, or on gunicorn (WSGI)
                iniciar([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(porta_ws), "-v", "0",
                         "conectcrm.asgi:application"], "daphne")  # fmt: skip
            if args.servidor in SERVIDORES_ASGI or args.servidor == "executar":
                pass
            elif args.servidor == "gunicorn":
                portas = [_porta_livre()]
                iniciar([str(BIN / "gunicorn"), "-w", str(args.servidores), "-k", "gthread",
                         "--threads", "4", "-b", f"127.0.0.1:{portas[0]}", "--keep-alive", "30",
                         "conectcrm.wsgi:application"], "gunicorn")  # fmt: skip
            else:
                portas = [porta_ws] + [_porta_livre() for _ in range(args.servidores - 1)]
                for n, porta in enumerate(portas[1:]):
                    iniciar([str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(porta), "-v", "0",
                             "conectcrm.asgi:application"], f"daphne{n}")  # fmt: skip
            for n in range(args.workers):
                iniciar([str(BIN / "celery"), "-A", "conectcrm", "worker", "-Q", "webhooks",
                         "-P", args.pool, "-c", str(args.concorrencia), "-l", "warning",
                         "--without-gossip", "--without-mingle", "--without-heartbeat",
                         "-n", f"bench{n}-{os.getpid()}@%h"], f"worker{n}")  # fmt: skip
            for porta in {porta_ws, *portas}:
                _esperar_porta(porta)
            pronto, parar = pasta / "pronto", pasta / "parar"
            ouvinte = [sys.executable, __file__, "--papel", "ouvinte", "--ws",
                       f"ws://127.0.0.1:{porta_ws}", "--token", token, "--pronto", str(pronto),
                       "--parar", str(parar), "--saida", str(pasta / "ouvinte.json")]  # fmt: skip
            iniciar(ouvinte, "ouvinte")
            fim = time.monotonic() + 60
            while not pronto.exists():
                assert time.monotonic() < fim, (pasta / "ouvinte.log").read_text()
                time.sleep(0.1)
            time.sleep(3)  # worker pool up

            rodada = uuid.uuid4().hex[:6]
            aquecidas = _aquecer(args, empresa, canal, portas[0]) if args.aquecer else 0
            pg, rd = _servicos_do_bench(pasta_dados)
            papeis |= {"postgres": [pg], "redis": [rd]}
            if "executar" in papeis:
                papeis |= _papeis_do_executar(papeis["executar"][0])
            cpu_papeis = cpu_papeis_antes = _cpu_por_papel(papeis)
            carga_media_antes = os.getloadavg()
            cpu_carga = _cpu_do_processo(os.getpid(), filhos_esperados=True)
            cpu_maquina = _ocupado_total()
            inicio = time.time()
            carga = subprocess.run(
                [sys.executable, __file__, "--papel", "carga", "--empresa", str(empresa.id),
                 "--rodada", rodada, "--segundos", str(args.segundos), "--conexoes",
                 str(args.conexoes), "--conversas", str(args.conversas), "--taxa", str(args.taxa),
                 "--saida", str(pasta / "carga.json"),
                 *[a for p in portas for a in ("--base", f"http://127.0.0.1:{p}")]],
                env=env, check=True,
            )  # fmt: skip
            duracao_carga = time.time() - inicio
            cpu_maquina = _ocupado_total() - cpu_maquina
            carga_media = os.getloadavg()
            cpu_depois = _cpu_por_papel(papeis)
            cpu_segundos = {nome: cpu_depois[nome] - cpu_papeis[nome] for nome in papeis}
            cpu_papeis = {nome: round(v / duracao_carga, 2) for nome, v in cpu_segundos.items()}
            cpu_papeis["gerador_de_carga"] = round(
                (_cpu_do_processo(os.getpid(), filhos_esperados=True) - cpu_carga) / duracao_carga,
                2,
            )
            # other sessions' processes on this machine during the load
            cpu_alheia = max(cpu_maquina - sum(cpu_papeis.values()) * duracao_carga, 0.0)
            registros = json.loads((pasta / "carga.json").read_text())
            aceitos = [r for r in registros if r[3] == 200]
            ids_aceitos = {r[0] for r in aceitos}

            limite = time.monotonic() + args.drenar
            while time.monotonic() < limite:
                guardadas = Mensagem.objects.filter(canal=canal).count() - aquecidas
                pendentes = EventoWebhook.objects.filter(canal=canal, status="recebido").count()
                if guardadas >= len(ids_aceitos) and not pendentes:
                    break
                time.sleep(0.5)
            # frames still on their way (a busy machine): wait while the socket keeps receiving
            progresso, visto, parado_desde = Path(str(parar) + ".n"), -1, time.monotonic()
            while time.monotonic() - parado_desde < 5 and time.monotonic() < limite + 60:
                with contextlib.suppress(OSError, ValueError):
                    atual = int(progresso.read_text() or 0)
                    if atual >= len(ids_aceitos) + aquecidas:
                        break
                    if atual != visto:
                        visto, parado_desde = atual, time.monotonic()
                time.sleep(0.5)
            ia = (
                _esperar_analises(args, canal, papeis["ia"], cpu_papeis_antes["ia"], inicio,
                                  {r[0]: r[1] for r in aceitos}, len(aceitos) + aquecidas)
                if "ia" in papeis and args.esperar_ia > 0 else None
            )  # fmt: skip
            parar.write_text("fim")
            processos[-1].wait(30)
            recebidos = json.loads((pasta / "ouvinte.json").read_text())
        finally:
            for p in reversed(processos):
                p.terminate()
            for p in processos:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        del carga

    guardadas = list(
        Mensagem.objects.filter(canal=canal)
        .exclude(id_externo__startswith="wamid.aquecer.")
        .values_list("id_externo", "criado_em")
    )
    ids_guardados = [g[0] for g in guardadas]
    perdidas = len(ids_aceitos - set(ids_guardados))
    duplicadas_banco = len(ids_guardados) - len(set(ids_guardados))
    envio = {r[0]: r[1] for r in aceitos}
    chegada: dict[str, float] = {}
    duplicadas_ws = 0
    ressincronizacoes = sum(1 for id_externo, _ in recebidos if id_externo == "#ressincronizar")
    recebidos = [r for r in recebidos if r[0] != "#ressincronizar"]
    for id_externo, quando in recebidos:
        if id_externo in chegada:
            duplicadas_ws += 1
        else:
            chegada[id_externo] = quando
    latencias_ack = [r[2] * 1000 for r in aceitos]
    e2e = [(chegada[i] - envio[i]) * 1000 for i in chegada if i in envio]
    ultimo = max((chegada[i] for i in chegada if i in envio), default=inicio)
    # CPU per acknowledged webhook / per message, load-independent (ms of CPU, during the
    # load; the drain may go on after it, so "per message" counts the messages stored by then)
    guardadas_na_carga = sum(
        1 for _, criado in guardadas if criado.timestamp() <= inicio + duracao_carga
    )
    cpu_ms = {}
    for nome, segundos in cpu_segundos.items():
        if segundos <= 0:
            continue
        cpu_ms[f"{nome}_por_ack"] = round(1000 * segundos / max(len(aceitos), 1), 2)
        if guardadas_na_carga:
            cpu_ms[f"{nome}_por_mensagem_guardada"] = round(1000 * segundos / guardadas_na_carga, 2)
    falhas = len(registros) - len(aceitos)
    etapas = _etapas(canal, envio, {r[0]: r[1] + r[2] for r in aceitos}, chegada, guardadas)
    eventos = EventoWebhook.objects.filter(canal=canal)
    falhos = eventos.filter(status="falhou").count()
    teto = medir_teto(dsn)

    cpu = next(
        (linha.split(":", 1)[1].strip() for linha in Path("/proc/cpuinfo").read_text().splitlines()
         if linha.startswith("model name")), "?",
    )  # fmt: skip
    taxa_ack = len(aceitos) / duracao_carga
    taxa_e2e = len(e2e) / (ultimo - inicio) if e2e else 0.0
    resultado = {
        "maquina": {"nproc": os.cpu_count(), "cpu": cpu},
        "config": {chave: getattr(args, chave) for chave in CONFIG}
        | {"conn_max_age": env["CONN_MAX_AGE"]},
        "webhooks_enviados": len(registros),
        "webhooks_aceitos": len(aceitos),
        "respostas_nao_200": falhas,
        "aceitos_por_s": round(taxa_ack, 1),
        "ack_ms_p50": round(_p(latencias_ack, 0.50), 1),
        "ack_ms_p95": round(_p(latencias_ack, 0.95), 1),
        "ack_ms_p99": round(_p(latencias_ack, 0.99), 1),
        "mensagens_guardadas": len(set(ids_guardados)),
        "eventos_falhos": falhos,
        "eventos_ws_recebidos": len(chegada),
        "ponta_a_ponta_por_s": round(taxa_e2e, 1),
        "ponta_a_ponta_ms_p50": round(_p(e2e, 0.50), 1),
        "ponta_a_ponta_ms_p95": round(_p(e2e, 0.95), 1),
        "ponta_a_ponta_ms_p99": round(_p(e2e, 0.99), 1),
        # where a message waits (p50 / p95 ms): sent → acknowledged → claimed by the drain (its
        # message row built) → batch committed (the event marked processed) → on the socket
        "etapas_ms_p50_p95": etapas,
        "perdidas": perdidas,
        "duplicadas_banco": duplicadas_banco,
        "duplicadas_ws": duplicadas_ws,
        "sem_evento_ws": len(ids_aceitos - set(chegada)),
        # the socket was told to re-fetch (its channel-layer buffer overflowed: a dropped frame
        # is never silent); "sem_evento_ws" then counts frames such a client re-fetches
        "ressincronizar_ws": ressincronizacoes,
        "cpu_maquina_nucleos_durante_carga": round(cpu_maquina / duracao_carga, 2),
        "cpu_alheia_nucleos_durante_carga": round(cpu_alheia / duracao_carga, 2),
        "cpu_nucleos_por_papel": cpu_papeis,
        "mensagens_guardadas_durante_carga": guardadas_na_carga,
        "cpu_ms": cpu_ms,
        "carga_media_1_5_15_antes_depois": [
            [round(x, 2) for x in carga_media_antes],
            [round(x, 2) for x in carga_media],
        ],
        "teto_insert_commits_por_s": round(teto, 1),
        "razao_ack_teto": round(taxa_ack / teto, 3) if teto else None,
        "razao_ponta_a_ponta_teto": round(taxa_e2e / teto, 3) if teto else None,
    }
    if ia is not None:
        resultado["ia"] = ia
    print(json.dumps(resultado, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
