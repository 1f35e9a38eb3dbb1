"""Websocket fan-out on `make run` as shipped: 2,000 agents' sockets, one event to all of them.

    .venv/bin/python bench/fanout.py [--sockets 2000] [--web-workers 2] [--taxas 1,2]
                                     [--segundos 10] [--repouso 10]

On the ``bench`` profile's embedded PostgreSQL/Redis it creates an empresa, one queue, one
ticket and ``--sockets`` agents of that queue (already ``online``, so connecting publishes no
presence change), starts ``python -m conectcrm.executar`` (uvicorn with ``--web-workers``
processes on one port, the Celery worker and beat: what `make run` serves), and connects one
real websocket per agent (``/ws/atendimento/?token=…``) from a separate client process.
Which server process holds each socket is read from the presence keys (each socket's channel
name carries its process's prefix), so the figures are given per process and in total.

For each offered rate R (publications/s) it publishes ``nova_mensagem`` of the ticket for
``--segundos`` through the product's own path (``publicar`` → the per-process publishing loop →
``CamadaRedis.group_send_lote``), from this orchestrator process as a Celery worker would:
every publication reaches every socket through the queue's group, so the offered load is
R x sockets deliveries/s.  Printed per rate, per server process and in total: deliveries/s,
latency (publish call → frame received by the client) p50/p95/p99/max, deliveries missing,
``ressincronizar`` frames received and *silent* losses (a socket missing a publication without
having been told to resync — must be 0), the CPU used by each role, the CPU time per delivered
frame (servers: uvicorn workers + Redis; and the client) — a measure that holds on a busy box —
and the 1-minute load average.  Before the scenarios it measures the servers' CPU at rest for
``--repouso`` seconds (the sockets' upkeep: heartbeats, presence, pings), so the CPU per
delivery is also given above that (``servidor_marginal``), and the uvicorn workers' memory
before and after the sockets connect (KB per socket).

Everything runs on this one machine, the client included (it is one asyncio process with
2,000 sockets: on 2 cores it competes with the servers).  Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from bench.ingest import _env, _esperar_porta, _ocupado_total, _p, _porta_livre  # noqa: E402


def _subir_limite_de_arquivos() -> int:
    """Two thousand sockets on each side: raise the soft file-descriptor limit to the hard one."""
    _, duro = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (duro, duro))
    return duro


# ------------------------------------------------------------------------------- client process
class _Socket(asyncio.Protocol):
    """One client websocket on websockets' sans-I/O protocol, driven straight from the event
    loop's ``data_received`` (no task, no queue, no ``recv()`` per frame): the load generator
    shares the box's two cores with the servers it measures, so it spends as little as it can
    (an ``asyncio`` ``websockets`` client with a ``recv()`` per frame cost ~80-130 µs per frame;
    this one a fraction of it).  It offers no permessage-deflate (``make run`` serves none).
    Pings are answered by the protocol itself."""

    def __init__(self, i: int, url: str, origem: str, quadros) -> None:
        from websockets.client import ClientProtocol
        from websockets.typing import Origin
        from websockets.uri import parse_uri

        self.i = i
        self.conn = ClientProtocol(parse_uri(url), origin=Origin(origem), max_size=None)
        self.quadros = quadros  # callback(i, bytes, when)
        self.aberto: asyncio.Future = asyncio.get_running_loop().create_future()
        self.fechado: asyncio.Future = asyncio.get_running_loop().create_future()
        self.fechando = False
        self.quando = 0.0  # when the connection was lost
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.conn.send_request(self.conn.connect())
        self._escrever()

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        self.conn.receive_data(data)
        agora = time.time()
        for evento in self.conn.events_received():
            if isinstance(evento, Response):
                if not self.aberto.done():
                    if evento.status_code == 101 and self.conn.handshake_exc is None:
                        self.aberto.set_result(None)
                    else:
                        self.aberto.set_exception(RuntimeError(f"HTTP {evento.status_code}"))
            elif evento.opcode is Opcode.TEXT:
                self.quadros(self.i, evento.data, agora)
        self._escrever()

    def _escrever(self) -> None:
        saida = self.conn.data_to_send()
        if saida and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(saida))
        if self.conn.close_expected() and self.transport is not None:
            self.transport.close()

    def fechar(self) -> None:
        self.fechando = True
        with contextlib.suppress(Exception):
            self.conn.send_close(1000)
            self._escrever()

    def connection_lost(self, exc) -> None:
        if not self.aberto.done():
            self.aberto.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.fechado.done():
            self.quando = time.time()
            self.fechado.set_result(exc)


async def _clientes(args) -> None:
    from urllib.parse import urlsplit

    _subir_limite_de_arquivos()
    tokens = json.loads(await asyncio.to_thread(Path(args.tokens).read_text))
    registros: list[list] = []  # [socket, cenario, n, latencia_ms]
    ressincronizacoes: list[list] = []  # [socket, perdidos, quando]
    falhas: list[str] = []
    fechados: list[list] = []  # [socket, quando]: closed by the server or the network
    limite = asyncio.Semaphore(64)
    origem = args.ws.replace("ws://", "http://")
    endereco = urlsplit(args.ws)
    loop = asyncio.get_running_loop()

    def quadro(i: int, texto: bytes, agora: float) -> None:
        dados = json.loads(texto)
        if dados.get("evento") == "nova_mensagem":
            marca = dados["dados"].get("bench")
            if marca:
                registros.append([i, marca["c"], marca["n"], (agora - marca["t"]) * 1000])
        elif dados.get("evento") == "ressincronizar":
            ressincronizacoes.append([i, dados["dados"].get("perdidos"), agora])

    async def um(i: int, token: str) -> _Socket | None:
        url = f"{args.ws}/ws/atendimento/?token={token}"
        try:
            async with limite:
                _, socket = await loop.create_connection(
                    lambda: _Socket(i, url, origem, quadro), endereco.hostname, endereco.port
                )
                await asyncio.wait_for(socket.aberto, 60)
        except Exception as exc:  # counted and printed; the run goes on with the others
            falhas.append(repr(exc))
            return None
        return socket

    sockets = [s for s in await asyncio.gather(*(um(i, t) for i, t in enumerate(tokens))) if s]
    conectados = len(sockets)
    estado = json.dumps({"conectados": conectados, "falhas": falhas[:5]})
    await asyncio.to_thread(Path(args.pronto).write_text, estado)
    progresso, fim = Path(args.parar + ".n"), Path(args.parar)
    while not await asyncio.to_thread(fim.exists):
        await asyncio.to_thread(progresso.write_text, str(len(registros)))
        await asyncio.sleep(0.25)
    for socket in sockets:  # closed by the server or the network before the end
        if socket.fechado.done():
            fechados.append([socket.i, socket.quando])
            falhas.append(f"socket {socket.i}: {socket.fechado.result()!r}")
    for socket in sockets:
        socket.fechar()
    await asyncio.wait([s.fechado for s in sockets], timeout=30)
    texto = json.dumps(
        {
            "registros": registros,
            "ressincronizacoes": ressincronizacoes,
            "falhas": falhas,
            "fechados": fechados,
        }
    )
    await asyncio.to_thread(Path(args.saida).write_text, texto)


# ------------------------------------------------------------------------------- orchestrator
def _preparar(n: int):
    os.environ.update(_env())
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from rest_framework_simplejwt.tokens import AccessToken

    from atendimento.models import Atendente, AtendenteFila
    from tests.factories import (
        CanalFactory,
        EmpresaFactory,
        FilaFactory,
        MensagemFactory,
        TicketFactory,
    )

    marca = uuid.uuid4().hex[:8]
    empresa = EmpresaFactory(nome=f"Fan-out {marca}", slug=f"fanout-{marca}")
    fila = FilaFactory(empresa=empresa, nome="Fan-out")
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    mensagem = MensagemFactory(ticket=ticket)
    Usuario = get_user_model()
    usuarios = Usuario.objects.bulk_create(
        [Usuario(username=f"fan-{marca}-{i}", password="!") for i in range(n)]
    )
    atendentes = Atendente.objects.bulk_create(
        [
            Atendente(
                empresa=empresa,
                usuario=u,
                nome=f"Agente {i}",
                status=Atendente.Status.ONLINE,  # connecting then changes nothing (no O(n²))
            )
            for i, u in enumerate(usuarios)
        ]
    )
    AtendenteFila.objects.bulk_create(
        [AtendenteFila(empresa=empresa, atendente=a, fila=fila) for a in atendentes]
    )
    tokens = [str(AccessToken.for_user(u)) for u in usuarios]
    return tokens, [str(a.pk) for a in atendentes], ticket, mensagem


def _processo_de_cada_socket(atendentes: list[str]) -> list[str]:
    """The server process of each socket: its channel name's prefix (``specific.<id>!``)."""
    from atendimento.realtime.conexoes import _chave
    from atendimento.realtime.redis import cliente_sync

    r = cliente_sync()
    nomes: dict[str, str] = {}
    saida = []
    for atendente_id in atendentes:
        canais = [c.decode() for c in r.zrange(_chave(atendente_id), 0, -1)]
        prefixo = canais[0].split("!", 1)[0] if canais else "?"
        saida.append(nomes.setdefault(prefixo, f"web{len(nomes) + 1}" if canais else "?"))
    return saida


def _cpu(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
    return total


def _rss_web(raiz: int) -> int:
    """Resident memory of the uvicorn worker processes, in bytes."""
    import psutil

    total = 0
    for p in psutil.Process(raiz).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "spawn_main" in " ".join(p.cmdline()):
                total += p.memory_info().rss
    return total


def _papeis(raiz: int, cliente: int) -> dict[str, list[int]]:
    """CPU roles: each uvicorn worker, the rest of `make run` (supervisor, Celery), Redis,
    PostgreSQL, the websocket client and this publisher."""
    import psutil

    papeis: dict[str, list[int]] = defaultdict(list)
    for p in psutil.Process(raiz).children(recursive=True):
        try:
            linha = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if "multiprocessing" in linha and "spawn_main" in linha:
            papeis[f"uvicorn_worker_{p.pid}"].append(p.pid)
        else:
            papeis["make_run_resto"].append(p.pid)
    papeis["make_run_resto"].append(raiz)
    for p in psutil.process_iter(["cmdline"]):
        linha = " ".join(p.info["cmdline"] or [])
        if ".devdata/bench/" in linha and "redis-server" in linha:
            papeis["redis"].append(p.pid)
        elif ".devdata/bench/pg" in linha:
            papeis["postgres"].append(p.pid)
    papeis["cliente_ws"] = [cliente]
    papeis["publicador"] = [os.getpid()]
    return dict(papeis)


def orquestrar(args) -> dict:
    limite_fd = _subir_limite_de_arquivos()
    tokens, atendentes, ticket, mensagem = _preparar(args.sockets)
    from django.conf import settings

    from atendimento.realtime.eventos import dados_mensagem
    from atendimento.realtime.grupos import grupos_que_veem_ticket
    from atendimento.realtime.publicar import aguardar_publicacoes, publicar

    dados_base = json.loads(json.dumps(dados_mensagem(mensagem)))
    grupos = grupos_que_veem_ticket(ticket)
    env = _env(DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    porta = _porta_livre()
    resultado: dict = {}
    with tempfile.TemporaryDirectory() as pasta:
        pasta = Path(pasta)
        processos: list[subprocess.Popen] = []
        try:
            env_run = dict(env, PORT=str(porta), WEB_WORKERS=str(args.web_workers))
            env_run["LOG_LEVEL"] = "WARNING"
            log = open(pasta / "executar.log", "w")  # noqa: SIM115
            executar = subprocess.Popen([sys.executable, "-m", "conectcrm.executar"],
                                        env=env_run, cwd=RAIZ, stdout=log,
                                        stderr=subprocess.STDOUT)  # fmt: skip
            processos.append(executar)
            _esperar_porta(porta, 120)
            time.sleep(2)  # every uvicorn worker up
            rss_antes = _rss_web(executar.pid)
            (pasta / "tokens.json").write_text(json.dumps(tokens))
            pronto, parar = pasta / "pronto", pasta / "parar"
            inicio_conexao = time.time()
            log_c = open(pasta / "clientes.log", "w")  # noqa: SIM115
            cliente = subprocess.Popen(
                [sys.executable, __file__, "--papel", "clientes", "--ws", f"ws://127.0.0.1:{porta}",
                 "--tokens", str(pasta / "tokens.json"), "--pronto", str(pronto),
                 "--parar", str(parar), "--saida", str(pasta / "clientes.json")],
                env=env, cwd=RAIZ, stdout=log_c, stderr=subprocess.STDOUT,
            )  # fmt: skip
            processos.append(cliente)
            fim = time.monotonic() + 120
            while not pronto.exists():
                if time.monotonic() > fim or cliente.poll() is not None:
                    raise RuntimeError((pasta / "clientes.log").read_text()[-3000:])
                time.sleep(0.2)
            estado = json.loads(pronto.read_text())
            resultado["conexao_s"] = round(time.time() - inicio_conexao, 1)
            resultado["sockets_conectados"] = estado["conectados"]
            rss = _rss_web(executar.pid)
            resultado["memoria_web_mb"] = {
                "antes": round(rss_antes / 2**20, 1),
                "conectados": round(rss / 2**20, 1),
                "kb_por_socket": round((rss - rss_antes) / max(estado["conectados"], 1) / 1024, 1),
            }
            resultado["falhas_de_conexao"] = estado["falhas"]
            time.sleep(1)
            processo_do_socket = _processo_de_cada_socket(atendentes)
            resultado["sockets_por_processo"] = {
                p: processo_do_socket.count(p) for p in sorted(set(processo_do_socket))
            }
            papeis = _papeis(executar.pid, cliente.pid)
            progresso = Path(str(parar) + ".n")
            # at rest: the sockets' upkeep (heartbeats, presence, pings) with nothing published
            servidores = [pid for k, v in papeis.items() if _servidor(k) for pid in v]
            cpu0, t0 = _cpu(servidores), time.monotonic()
            time.sleep(args.repouso)
            repouso = (_cpu(servidores) - cpu0) / (time.monotonic() - t0)
            resultado["repouso_cpu_nucleos_servidor"] = round(repouso, 4)

            def recebidos() -> int:
                with contextlib.suppress(OSError, ValueError):
                    return int(progresso.read_text() or 0)
                return 0

            cenarios = []
            esperado_total = 0
            for taxa in args.taxas:
                nome = f"{taxa:g}/s"
                n_pub = max(int(taxa * args.segundos), 1)
                cpu0 = {k: _cpu(v) for k, v in papeis.items()}
                maquina0 = _ocupado_total()
                inicio = time.time()
                for k in range(n_pub):
                    alvo = inicio + k / taxa
                    espera = alvo - time.time()
                    if espera > 0:
                        time.sleep(espera)
                    dados = dict(dados_base, bench={"c": nome, "n": k, "t": time.time()})
                    publicar("nova_mensagem", dados, grupos, ticket=ticket)
                aguardar_publicacoes(60)
                esperado_total += n_pub * estado["conectados"]
                # wait while frames keep arriving (at most 60 s after the last publication)
                visto, parado_desde, limite = -1, time.monotonic(), time.monotonic() + 60
                while time.monotonic() < limite and time.monotonic() - parado_desde < 10:
                    atual = recebidos()
                    if atual >= esperado_total:
                        break
                    if atual != visto:
                        visto, parado_desde = atual, time.monotonic()
                    time.sleep(0.25)
                duracao = time.time() - inicio
                cpu = {k: round((_cpu(v) - cpu0[k]) / duracao, 2) for k, v in papeis.items()}
                maquina = (_ocupado_total() - maquina0) / duracao
                cenarios.append(
                    {
                        "nome": nome,
                        "publicacoes": n_pub,
                        "inicio": inicio,
                        "duracao_s": duracao,
                        "carga_media_1min": round(os.getloadavg()[0], 2),
                        "cpu_nucleos_por_papel": cpu,
                        "cpu_alheia_nucleos": round(max(maquina - sum(cpu.values()), 0.0), 2),
                    }
                )
            parar.write_text("fim")
            cliente.wait(60)
            saida = json.loads((pasta / "clientes.json").read_text())
        finally:
            for p in reversed(processos):
                if p.poll() is None:
                    p.terminate()
            for p in processos:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
    for c, seguinte in zip(cenarios, [*cenarios[1:], None], strict=True):
        c["fim"] = seguinte["inicio"] if seguinte else float("inf")
    resultado["cenarios"] = [
        _resumo(c, saida, processo_do_socket, estado["conectados"], repouso) for c in cenarios
    ]
    resultado["falhas_dos_sockets"] = {
        "total": len(saida["falhas"]),
        "exemplos": saida["falhas"][:3],
    }
    cpu_modelo = next(
        (linha.split(":", 1)[1].strip() for linha in Path("/proc/cpuinfo").read_text().splitlines()
         if linha.startswith("model name")), "?",
    )  # fmt: skip
    resultado["maquina"] = {"nproc": os.cpu_count(), "cpu": cpu_modelo, "limite_fd": limite_fd}
    resultado["config"] = {
        "sockets": args.sockets,
        "web_workers": args.web_workers,
        "segundos": args.segundos,
        "capacidade_da_camada": settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"],
    }
    return resultado


def _resumo(
    cenario: dict, saida: dict, processo_do_socket: list[str], conectados: int, repouso: float
) -> dict:
    nome, n_pub = cenario["nome"], cenario["publicacoes"]
    registros = [r for r in saida["registros"] if r[1] == nome]
    # a resync counts for this scenario when it arrived before the next one started
    ressinc = [r for r in saida["ressincronizacoes"] if cenario["inicio"] <= r[2] < cenario["fim"]]
    avisados = {r[0] for r in ressinc}
    por_socket: dict[int, set[int]] = defaultdict(set)
    for i, _, n, _ in registros:
        por_socket[i].add(n)
    duplicadas = len(registros) - sum(len(v) for v in por_socket.values())
    fechados = {i for i, _ in saida["fechados"]}
    sockets_ativos = [i for i, p in enumerate(processo_do_socket) if p != "?"]
    faltando = {i: n_pub - len(por_socket.get(i, ())) for i in sockets_ativos}
    # missing on a socket that stayed open and was never told to resync
    silenciosas = sum(f for i, f in faltando.items() if f and i not in avisados | fechados)

    def medidas(indices: set[int] | None) -> dict:
        lat = [r[3] for r in registros if indices is None or r[0] in indices]
        ultimo = max((r[3] for r in registros if indices is None or r[0] in indices), default=0.0)
        janela = (n_pub - 1) / float(nome.split("/")[0]) + ultimo / 1000 if lat else 0
        return {
            "entregas": len(lat),
            "entregas_por_s": round(len(lat) / janela, 1) if janela else 0.0,
            "latencia_ms_p50": round(_p(lat, 0.50), 1),
            "latencia_ms_p95": round(_p(lat, 0.95), 1),
            "latencia_ms_p99": round(_p(lat, 0.99), 1),
            "latencia_ms_max": round(max(lat, default=0.0), 1),
        }

    por_processo = {}
    for processo in sorted(set(processo_do_socket) - {"?"}):
        indices = {i for i, p in enumerate(processo_do_socket) if p == processo}
        por_processo[processo] = {"sockets": len(indices)} | medidas(indices)
    return {
        "cenario": nome,
        "publicacoes": n_pub,
        "entregas_oferecidas": n_pub * conectados,
        "oferecidas_por_s": round(n_pub * conectados / (n_pub / float(nome.split("/")[0])), 1),
        "total": medidas(None),
        "por_processo": por_processo,
        "entregas_faltando": sum(faltando.values()),
        "faltando_em_sockets_fechados": sum(faltando[i] for i in fechados if i in faltando),
        "sockets_fechados_ate_o_fim": len(fechados),
        "duplicadas": duplicadas,
        "ressincronizar_recebidos": len(ressinc),
        "sockets_avisados": len(avisados),
        "perdas_silenciosas": silenciosas,
        "cpu_nucleos_por_papel": cenario["cpu_nucleos_por_papel"],
        # load-independent: CPU time per delivered frame (servers: the uvicorn workers + Redis)
        "cpu_us_por_entrega": _cpu_por_entrega(cenario, len(registros), repouso),
        "cpu_alheia_nucleos": cenario["cpu_alheia_nucleos"],
        "carga_media_1min": cenario["carga_media_1min"],
    }


def _servidor(papel: str) -> bool:
    return papel.startswith("uvicorn_worker") or papel == "redis"


def _cpu_por_entrega(cenario: dict, entregas: int, repouso: float) -> dict:
    """Server CPU per delivered frame: all of it, and the part above the CPU the same
    servers use at rest with the sockets connected (``marginal``: what a delivery itself
    costs; the rest is the sockets' upkeep, spread over the scenario's deliveries)."""
    if not entregas:
        return {}
    segundos = {k: v * cenario["duracao_s"] for k, v in cenario["cpu_nucleos_por_papel"].items()}
    servidor = sum(v for k, v in segundos.items() if _servidor(k))
    marginal = servidor - repouso * cenario["duracao_s"]
    return {
        "servidor": round(servidor / entregas * 1e6, 1),
        "servidor_marginal": round(marginal / entregas * 1e6, 1),
        "cliente_ws": round(segundos.get("cliente_ws", 0.0) / entregas * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papel", default="orquestrador")
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument(
        "--web-workers", type=int, default=2, help="uvicorn processes (make run: 2)"
    )
    parser.add_argument("--taxas", default="1,2", help="publications/s, comma separated")
    parser.add_argument("--segundos", type=float, default=10)
    parser.add_argument(
        "--repouso", type=float, default=10, help="seconds of server CPU measured at rest"
    )
    parser.add_argument("--ws", default="")
    parser.add_argument("--tokens", default="")
    parser.add_argument("--pronto", default="")
    parser.add_argument("--parar", default="")
    parser.add_argument("--saida", default="")
    args = parser.parse_args()
    if args.papel == "clientes":
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        asyncio.run(_clientes(args))
        return
    args.taxas = [float(t) for t in args.taxas.split(",")]
    try:
        print(json.dumps(orquestrar(args), indent=2, ensure_ascii=False))
    finally:
        from conectcrm import embedded

        embedded.parar(embedded.pasta_dados(_env()["CONECTCRM_PERFIL"]))


if __name__ == "__main__":
    main()
