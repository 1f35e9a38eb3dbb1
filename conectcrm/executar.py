"""``make run``: migrate, load the demo once, then serve web + websocket (uvicorn, one port),
three Celery workers (``worker``: the drain of stored webhooks; ``tarefas``: outbound
messages and notifications; ``ia``: AI analysis, at a lower CPU priority) and beat under one
supervisor (``conectcrm.supervisor``) until Ctrl-C or SIGTERM, which stop every child and,
when they were started here, the embedded PostgreSQL and Redis.  A child that crashes is
restarted with backoff, and so are the embedded servers.

The workers run without gossip, mingle and heartbeat: nothing here consumes worker events,
and the heartbeat's event dispatcher is what crashed the worker on a broker reconnection
(``AttributeError: 'NoneType' object has no attribute 'hostname'``: a timer publishing on the
connection closed by the reconnect)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from conectcrm.prioridade import Prioridade

RAIZ = Path(__file__).resolve().parent.parent
#: the drain of stored webhooks has a worker of its own (one process: batches of one drain
#: never wait on another's ticket locks); everything else shares the other one.  With one
#: worker for all queues, a burst of SLA alerts and the first AI analyses (importing a
#: provider SDK takes seconds) held both of its processes while webhooks waited: 0 messages
#: stored during a 15 s benchmark (bench/README.md).
FILAS_ENTRADA = "webhooks"
FILAS_TAREFAS = "messages,notifications"
#: AI analysis (CPU-bound, advisory, debounced per ticket) runs at a lower CPU priority: on a
#: busy box it waits for the acknowledgements and the drain instead of competing with them
FILAS_IA = "ai-analysis"

#: CPU priority of each background child (``<PAPEL>_NICE``, ``<PAPEL>_SCHED`` override it;
#: conectcrm/prioridade.py).  The web tier keeps the default priority: an acknowledgement
#: waiting for a core must get it before background work (bench/README.md, "ack").  The AI
#: worker runs on idle CPU only; outbound messages, notifications and beat's sweeps at nice
#: 10; the drain (the end-to-end bottleneck) at the default: at nice 5 it lost the CPU to the
#: web tier and to other sessions in closed-loop and busy-box runs (bench/README.md, "ack").
PRIORIDADES = {
    "worker": Prioridade(),
    "tarefas": Prioridade(nice=10),
    "ia": Prioridade(nice=19, politica="idle"),
    "beat": Prioridade(nice=10),
}


def prioridade(papel: str, env=None) -> Prioridade:
    """The role's default priority, or ``<PAPEL>_NICE`` / ``<PAPEL>_SCHED`` when set."""
    padrao = PRIORIDADES[papel]
    return Prioridade.do_ambiente(papel.upper(), padrao.nice, padrao.politica, env)


#: websockets: uvicorn's protocol with the direct-write extension of the real-time fan-out
#: (conectcrm/protocolo_ws.py), without permessage-deflate: the desk's frames are small JSON,
#: and compressing each one per socket cost ~12 µs of CPU per delivery and ~34 KB of memory
#: per socket (bench/README.md, ``fanout.py``).  The Procfile and the tests' uvicorn use the
#: same options.
OPCOES_WS = [
    "--ws",
    "conectcrm.protocolo_ws:ProtocoloWebsocket",
    "--ws-per-message-deflate",
    "false",
]


def comando_web(bin_: Path, host: str, porta: str) -> list[str]:
    """HTTP and websockets on one port (ASGI): uvicorn with ``WEB_WORKERS`` processes (2)
    sharing the port, so acknowledgements use both cores; daphne serves one process per port.
    Measured with bench/ingest.py (bench/README.md)."""
    return [str(bin_ / "uvicorn"), "conectcrm.asgi:application", "--host", host, "--port", porta,
            "--workers", os.environ.get("WEB_WORKERS", "2"), "--proxy-headers",
            "--no-access-log", *OPCOES_WS]  # fmt: skip


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")
    embutido = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from conectcrm import embedded
    from conectcrm.supervisor import Filho, Servico, Supervisor

    host = os.environ.get("HOST", "127.0.0.1")
    porta = os.environ.get("PORT", "8000")
    env = dict(os.environ, DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("CONN_MAX_AGE", "600")  # persistent connections for the served processes
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("carregar_demo")
        pasta = embedded.pasta_dados(settings.PERFIL_DEV)
        bin_ = Path(sys.executable).parent
        print(f"\n  Inbox:  http://{host}:{porta}/inbox/\n  Admin:  http://{host}:{porta}/admin/\n")  # noqa: T201
        sys.stdout.flush()
        servicos = []
        if embutido:
            servicos = [
                Servico(
                    "redis",
                    lambda: embedded._redis_vivo(pasta / "redis.sock"),
                    lambda: embedded.garantir_redis(pasta),
                ),
                Servico(
                    "postgres",
                    lambda: embedded._postmaster(pasta / "pg") is not None,
                    lambda: embedded.garantir_postgres(pasta),
                ),
            ]
        comum = {"env": env, "cwd": str(RAIZ)}
        celery = [str(bin_ / "celery"), "-A", "conectcrm"]
        sem_eventos = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        worker = [*celery, "worker", "-Q", FILAS_ENTRADA, "-c", "1", "-l", "info", *sem_eventos]
        tarefas = [*celery, "worker", "-Q", FILAS_TAREFAS, "-c", "2", "-l", "info", *sem_eventos]
        tarefas += ["-n", "tarefas@%h"]  # workers on one host need distinct node names
        ia = [*celery, "worker", "-Q", FILAS_IA, "-c", "1", "-l", "info", *sem_eventos]
        ia += ["-n", "ia@%h"]
        beat = [*celery, "beat", "-l", "info", "-s", str(pasta / "celerybeat-schedule")]
        supervisor = Supervisor(
            [
                Filho("web", comando_web(bin_, host, porta), **comum),
                Filho("worker", worker, prioridade=prioridade("worker"), **comum),
                Filho("tarefas", tarefas, prioridade=prioridade("tarefas"), **comum),
                Filho("ia", ia, prioridade=prioridade("ia"), **comum),
                Filho("beat", beat, prioridade=prioridade("beat"), **comum),
            ],
            servicos,
        )
        return supervisor.rodar()
    finally:
        if embutido:
            embedded.parar(embedded.pasta_dados(settings.PERFIL_DEV))


if __name__ == "__main__":
    sys.exit(main())
