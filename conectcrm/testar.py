"""``make test``: run pytest on the embedded (or configured) servers, treat "no tests ran"
(pytest exit 5) as a failure, and stop the embedded test servers afterwards."""

from __future__ import annotations

import os
import subprocess
import sys

from conectcrm import embedded


def _pytest(argumentos: list[str]) -> int:
    codigo = subprocess.call([sys.executable, "-m", "pytest", *argumentos])  # noqa: S603
    if codigo == 5:
        print("pytest não executou nenhum teste: isso é uma falha.", file=sys.stderr)  # noqa: T201
        return 1
    return codigo


def main(argumentos: list[str]) -> int:
    os.environ.setdefault("CONECTCRM_PERFIL", "test")
    # Importing the conectcrm package (for the embedded servers) set DJANGO_SETTINGS_MODULE to
    # the production settings in this process (conectcrm/celery.py); pytest must use the test
    # settings that the daphne/worker processes of the integration tests use too.
    os.environ["DJANGO_SETTINGS_MODULE"] = "conectcrm.settings_test"
    embutido = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    try:
        return _pytest(argumentos)
    finally:
        if embutido:
            embedded.parar(embedded.pasta_dados("test"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
