"""``make auditar`` (part of ``make test`` and so of CI): known vulnerabilities in the locked
versions, with pip-audit against PyPI's vulnerability data.

A vulnerability found fails the run. When the vulnerability database cannot be reached (no
network, a registry mirror without the JSON API) the audit is skipped with a notice: the lock
files still pin and hash every package, so nothing unreviewed is installed either way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent
PRAZO = 300


def auditar(lock: str) -> tuple[list[str], int, int]:
    """(findings, packages audited, packages that could not be audited)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as saida:
        comando = [
            str(BIN / "pip-audit"),
            "-r",
            lock,
            "--require-hashes",
            "--disable-pip",
            "--vulnerability-service",
            "pypi",
            "--progress-spinner",
            "off",
            "-f",
            "json",
            "-o",
            saida.name,
        ]
        try:
            subprocess.run(comando, capture_output=True, timeout=PRAZO, check=False)  # noqa: S603
            dados = json.loads(Path(saida.name).read_text() or "{}")
        except (subprocess.TimeoutExpired, OSError, json.JSONDecodeError) as exc:
            sys.stdout.write(f"AVISO: pip-audit não concluiu ({exc}).\n")
            return [], 0, 1
    achados, auditados, pulados = [], 0, 0
    for dep in dados.get("dependencies", []):
        if dep.get("skip_reason"):
            pulados += 1
            continue
        auditados += 1
        for vuln in dep.get("vulns", []):
            correcao = ", ".join(vuln.get("fix_versions", [])) or "sem correção publicada"
            achados.append(
                f"{dep['name']} {dep['version']}: {vuln['id']} (corrigido em {correcao})"
            )
    return achados, auditados, pulados


def main(locks: list[str]) -> int:
    achados, auditados, pulados = [], 0, 0
    for lock in locks:
        a, b, c = auditar(lock)
        achados += a
        auditados += b
        pulados += c
    if achados:
        for linha in sorted(set(achados)):
            sys.stdout.write(f"VULNERÁVEL: {linha}\n")
        sys.stdout.write("Atualize a dependência (pyproject.toml + make lock).\n")
        return 1
    if auditados == 0:
        sys.stdout.write(
            "AVISO: auditoria de vulnerabilidades pulada — a base de vulnerabilidades do PyPI "
            "não está acessível daqui (os pacotes continuam fixados e com hash nos locks).\n"
        )
        return 0
    aviso = f" ({pulados} não auditados)" if pulados else ""
    sys.stdout.write(f"auditoria: {auditados} pacote(s) sem vulnerabilidade conhecida{aviso}.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
