"""``make test``: run pytest on the embedded (or configured) servers, treat "no tests ran"
(pytest exit 5) as a failure, and stop the embedded test servers afterwards."""

from __future__ import annotations

import os
import subprocess
import sys

from conectcrm import embedded


def main(argumentos: list[str]) -> int:
    os.environ.setdefault("CONECTCRM_PERFIL", "test")
    embutido = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    try:
        codigo = subprocess.call([sys.executable, "-m", "pytest", *argumentos])  # noqa: S603
    finally:
        if embutido:
            embedded.parar(embedded.pasta_dados("test"))
    if codigo == 5:
        print("pytest não executou nenhum teste: isso é uma falha.", file=sys.stderr)  # noqa: T201
        return 1
    return codigo


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
