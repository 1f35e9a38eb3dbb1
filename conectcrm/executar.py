"""``make run``: migrate, load the demo once, then serve web + websocket (daphne), a Celery
worker and beat under one supervisor (honcho) until Ctrl-C or SIGTERM, which stop every child
and, when they were started here, the embedded PostgreSQL and Redis."""

from __future__ import annotations

import os
import sys
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
FILAS = "webhooks,messages,notifications,ai-analysis"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")
    embutido = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from honcho.manager import Manager

    from conectcrm import embedded

    host = os.environ.get("HOST", "127.0.0.1")
    porta = os.environ.get("PORT", "8000")
    env = dict(os.environ, DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    env.setdefault("PYTHONUNBUFFERED", "1")
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("carregar_demo")
        pasta = embedded.pasta_dados(settings.PERFIL_DEV)
        bin_ = Path(sys.executable).parent
        print(f"\n  Inbox:  http://{host}:{porta}/inbox/\n  Admin:  http://{host}:{porta}/admin/\n")  # noqa: T201
        sys.stdout.flush()
        gerente = Manager()
        gerente.add_process(
            "web",
            f"{bin_ / 'daphne'} -b {host} -p {porta} --proxy-headers conectcrm.asgi:application",
            env=env,
            cwd=str(RAIZ),
        )
        gerente.add_process(
            "worker",
            f"{bin_ / 'celery'} -A conectcrm worker -Q {FILAS} -c 2 -l info --without-gossip",
            env=env,
            cwd=str(RAIZ),
        )
        gerente.add_process(
            "beat",
            f"{bin_ / 'celery'} -A conectcrm beat -l info -s {pasta / 'celerybeat-schedule'}",
            env=env,
            cwd=str(RAIZ),
        )
        gerente.loop()
        return gerente.returncode or 0
    finally:
        if embutido:
            embedded.parar(embedded.pasta_dados(settings.PERFIL_DEV))


if __name__ == "__main__":
    sys.exit(main())
