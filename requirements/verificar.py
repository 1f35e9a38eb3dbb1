"""``make lint``: the lock files still match pyproject.toml (every declared dependency pinned,
at a version its specifier allows). After changing pyproject.toml, run ``make lock``."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

RAIZ = Path(__file__).resolve().parent.parent
PINO = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", re.MULTILINE)


def fixados(arquivo: Path) -> dict[str, str]:
    return {
        canonicalize_name(nome.split("[")[0]): versao
        for nome, versao in PINO.findall(arquivo.read_text())
    }


def problemas(declarados: list[str], lock: Path) -> list[str]:
    pinos = fixados(lock)
    erros = []
    for texto in declarados:
        requisito = Requirement(texto)
        nome = canonicalize_name(requisito.name)
        if nome not in pinos:
            erros.append(f"{lock.name}: {requisito.name} não está fixado")
        elif not requisito.specifier.contains(pinos[nome], prereleases=True):
            erros.append(f"{lock.name}: {requisito.name}=={pinos[nome]} fora de '{requisito}'")
    return erros


def main() -> int:
    projeto = tomllib.loads((RAIZ / "pyproject.toml").read_text())["project"]
    base = projeto["dependencies"]
    dev = projeto.get("optional-dependencies", {}).get("dev", [])
    erros = problemas(base, RAIZ / "requirements/run.txt")
    erros += problemas(base + dev, RAIZ / "requirements/dev.txt")
    for erro in erros:
        sys.stderr.write(f"lock desatualizado: {erro}\n")
    if erros:
        sys.stderr.write("Rode 'make lock' e faça commit de requirements/*.txt.\n")
    return 1 if erros else 0


if __name__ == "__main__":
    sys.exit(main())
