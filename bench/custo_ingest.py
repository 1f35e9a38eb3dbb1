"""CPU cost of one acknowledged webhook and of one drained message, in process.

    .venv/bin/python bench/custo_ingest.py [--webhooks 3000] [--threads 8] [--conversas 200]
                                           [--lote 0] [--perfil PASTA]

Load-independent figures for the inbound path (the box is shared: wall-clock rates move with
everybody else's load, CPU time per item much less).  On the ``bench`` profile's embedded
PostgreSQL/Redis, with an empresa, a WhatsApp channel and ``--conversas`` customers, in this
order:

1. **first contact**: one webhook per customer is stored, then drained: each creates the
   contact and opens a ticket (the per-event path; the ack of these is not measured);
2. **ack path**: ``--webhooks`` signed WhatsApp text webhooks go through ``conectcrm.wsgi``'s
   application (the handler the web tier runs, group commit included) from ``--threads``
   threads at once, as the web tier's thread pool calls it (the HTTP server itself — uvicorn,
   a2wsgi — is not in this figure; ``bench/ingest.py`` gives the whole web process);
3. **drain**: the stored events (each customer has an open ticket now: the set-based path)
   are processed by ``eventos_webhook_processar_lote`` batches
   until none is left, the realtime publications included (sent to Redis by the process's
   publishing thread; nobody listens).

For each it prints this process's CPU (all threads) and PostgreSQL's (every backend) per item,
the wall-clock rate, the statements sent per item, and the load average and other processes'
CPU during the phase (so a figure can be read against the machine's state).  ``--perfil``
writes a cProfile of each phase there (``*.pstats``; the ack phase's worker threads are not in
it, the drain is).  Figures only, no thresholds.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RAIZ))

from bench.ingest import SEGREDO, _env, _ocupado_total, _preparar, corpo_whatsapp  # noqa: E402


def _cpu_pids(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(c) for c in campos[11:13]) / os.sysconf("SC_CLK_TCK")
    return total


def _postgres_pids(pasta_pg: Path) -> list[int]:
    """The postmaster and its children (backends, checkpointer, walwriter…)."""
    raiz = int((pasta_pg / "postmaster.pid").read_text().splitlines()[0])
    pids = [raiz]
    for entrada in Path("/proc").iterdir():
        if entrada.name.isdigit():
            try:
                ppid = int((entrada / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == raiz:
                pids.append(int(entrada.name))
    return pids


class Medida:
    """CPU of this process, of PostgreSQL and of the whole machine over a phase."""

    def __init__(self, pasta_pg: Path) -> None:
        self.pasta_pg = pasta_pg

    def __enter__(self) -> Medida:
        self.pg_pids = _postgres_pids(self.pasta_pg)
        self.carga_antes = os.getloadavg()
        self.t0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.pg0 = _cpu_pids(self.pg_pids)
        self.maquina0 = _ocupado_total()
        return self

    def __exit__(self, *exc) -> None:
        self.pg_pids = sorted(set(self.pg_pids) | set(_postgres_pids(self.pasta_pg)))
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        self.pg = _cpu_pids(self.pg_pids) - self.pg0  # backends started meanwhile: from 0
        self.maquina = _ocupado_total() - self.maquina0
        self.carga_depois = os.getloadavg()

    def resumo(self, n: int, consultas: int) -> dict:
        alheia = max(self.maquina - self.cpu - self.pg, 0.0)
        return {
            "itens": n,
            "por_s": round(n / self.wall, 1),
            "cpu_ms_por_item_processo": round(1000 * self.cpu / n, 3),
            "cpu_ms_por_item_postgres": round(1000 * self.pg / n, 3),
            "comandos_sql_por_item": round(consultas / n, 3),
            "nucleos_alheios_durante": round(alheia / self.wall, 2),
            "carga_media_antes_depois": [round(self.carga_antes[0], 2),
                                         round(self.carga_depois[0], 2)],
        }  # fmt: skip


class Contador:
    """Statements sent by every connection of this process, any thread (Django's cursor)."""

    def __init__(self) -> None:
        self.n = 0
        from django.db.backends.utils import CursorWrapper

        for nome in ("execute", "executemany"):
            original = getattr(CursorWrapper, nome)
            setattr(CursorWrapper, nome, self._contando(original))

    def _contando(self, original):
        def contado(cursor, *args, **kwargs):
            self.n += 1
            return original(cursor, *args, **kwargs)

        return contado


def _environ(empresa_id: str, corpo: bytes) -> dict:
    assinatura = "sha256=" + hmac.new(SEGREDO.encode(), corpo, hashlib.sha256).hexdigest()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/api/atendimento/webhooks/whatsapp/{empresa_id}/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(corpo)),
        "HTTP_X_HUB_SIGNATURE_256": assinatura,
        "wsgi.input": io.BytesIO(corpo),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _postar(aplicacao, empresa_id: str, corpos: list[bytes], threads: int) -> list[str]:
    def um(corpo: bytes) -> str:
        status = []
        partes = aplicacao(_environ(empresa_id, corpo), lambda s, h, e=None: status.append(s))
        b"".join(partes)
        getattr(partes, "close", lambda: None)()
        return status[0]

    with ThreadPoolExecutor(threads) as executor:
        return list(executor.map(um, corpos))


def _drenar(lote: int | None) -> int:
    from canais.webhooks_guardados import eventos_webhook_processar_lote

    feitos = 0
    while estados := eventos_webhook_processar_lote(limite=lote):
        feitos += len(estados)
    return feitos


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhooks", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--conversas", type=int, default=200)
    parser.add_argument("--lote", type=int, default=0, help="batch size (0: WEBHOOK_LOTE)")
    parser.add_argument("--perfil", default="", help="folder for cProfile .pstats files")
    args = parser.parse_args()
    os.environ.update(_env(LOG_LEVEL="ERROR"))
    try:
        print(json.dumps(medir(args), indent=2, ensure_ascii=False))
    finally:
        from conectcrm import embedded

        embedded.parar(embedded.pasta_dados(_env()["CONECTCRM_PERFIL"]))


def medir(args) -> dict:
    empresa, canal, _token, _dsn, settings = _preparar()
    from atendimento.models import EventoWebhook
    from atendimento.realtime.publicar import aguardar_publicacoes
    from conectcrm import embedded
    from conectcrm.wsgi import application

    with __import__("conectcrm.celery", fromlist=["app"]).app.connection_for_write() as c:
        c.default_channel.client.flushdb()  # the wake-ups queue drain tasks nobody runs
    pasta_pg = embedded.pasta_dados(settings.PERFIL_DEV) / "pg"
    rodada = uuid.uuid4().hex[:6]
    empresa_id = str(empresa.pk)

    def corpos(prefixo: str, n: int) -> list[bytes]:
        return [
            corpo_whatsapp(
                f"wamid.custo.{rodada}.{prefixo}.{i:08d}", f"55119{i % args.conversas:08d}"
            )
            for i in range(n)
        ]

    contador = Contador()
    perfil = Path(args.perfil) if args.perfil else None
    if perfil:
        perfil.mkdir(parents=True, exist_ok=True)
    lote = args.lote or None

    # first contact: every customer gets a contact and a new ticket (the per-event path)
    assert set(_postar(application, empresa_id, corpos("aquecer", args.conversas), 4)) == {"200 OK"}

    def primeiro_contato() -> int:
        feitos = _drenar(lote)
        aguardar_publicacoes(60)
        return feitos

    novos = _fase("primeiro_contato", primeiro_contato, pasta_pg, contador, perfil)
    resultado = {
        "maquina": {"nproc": os.cpu_count()},
        "config": vars(args) | {"WEBHOOK_LOTE": settings.WEBHOOK_LOTE},
    }
    carga = corpos("medir", args.webhooks)

    def postar() -> int:
        status = _postar(application, empresa_id, carga, args.threads)
        assert set(status) == {"200 OK"}, set(status)
        return len(carga)

    def drenar() -> int:
        feitos = _drenar(lote)
        aguardar_publicacoes(60)
        return feitos

    resultado["drenagem_primeiro_contato"] = novos
    resultado["ack"] = _fase("ack", postar, pasta_pg, contador, perfil)
    pendentes = EventoWebhook.objects.filter(canal=canal, status="recebido").count()
    resultado["drenagem"] = _fase("drenagem", drenar, pasta_pg, contador, perfil)
    resultado["drenagem"]["pendentes_antes"] = pendentes
    return resultado


def _fase(nome: str, funcao, pasta_pg: Path, contador: Contador, perfil: Path | None) -> dict:
    contador.n = 0
    perfilador = cProfile.Profile() if perfil else None
    with Medida(pasta_pg) as m:
        if perfilador:
            perfilador.enable()
        try:
            n = funcao()
        finally:
            if perfilador:
                perfilador.disable()
    if perfilador:
        perfilador.dump_stats(perfil / f"{nome}.pstats")
    return m.resumo(max(n, 1), contador.n)


if __name__ == "__main__":
    main()
