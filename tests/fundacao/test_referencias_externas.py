"""A newcomer can follow the project from the repository alone: no file points at a document
that is not in it (a specification's sections, measurement notes, a design text kept beside the
checkout).  Comments and docs state the fact itself or point at ``docs/`` / ``bench/README.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RAIZ = Path(__file__).resolve().parents[2]
FORA = {".git", ".venv", ".devdata", "node_modules", "__pycache__", ".ruff_cache", ".pytest_cache"}
#: third-party files kept verbatim and provider payloads: not ours to word
IGNORADOS = (RAIZ / "static" / "vendor", RAIZ / "tests" / "fixtures", Path(__file__).resolve())
SUFIXOS = {".py", ".md", ".js", ".html", ".css", ".txt", ".toml", ".cfg", ".ini", ".yml", ".yaml"}
NOMES = {"Makefile", "Procfile"}

#: the folders of design texts a developer may keep beside the checkout (never read)
TEXTOS_DE_FORA = r"(fixtures|spec|anchors|seed)\b"

#: how such pointers look: a section of a specification, a measurement note, the design text
PROIBIDOS = [
    re.compile(r"CONTRACT(\.md)?\s*§"),
    re.compile(r"CONTRACT\.md"),
    re.compile(r"\banchors/"),
    re.compile(r"(?<![\w.])\.\./[A-Za-z][\w-]*/" + TEXTOS_DE_FORA),  # a sibling of the checkout
    re.compile(r"/work/[A-Za-z][\w-]*/" + TEXTOS_DE_FORA),
    re.compile(r"\b(performance|protocols|peers|feasibility|codebases)\.md\b"),
    re.compile(r"\bSTYLE\.md\b"),
    re.compile(r"\bseed/omnichannel"),
    re.compile(r"\bthe seed\b(?!\s+(examples|texts|vectors))"),
    re.compile(r"\bseed's\b"),
]


def _arquivos() -> list[Path]:
    arquivos = []
    for caminho in RAIZ.rglob("*"):
        partes = set(caminho.relative_to(RAIZ).parts)
        if partes & FORA or any(p.endswith(".egg-info") for p in partes):
            continue
        if any(caminho == i or caminho.is_relative_to(i) for i in IGNORADOS):
            continue
        if caminho.is_file() and (caminho.suffix in SUFIXOS or caminho.name in NOMES):
            arquivos.append(caminho)
    return arquivos


def referencias_externas(texto: str) -> list[str]:
    """The lines of ``texto`` that point at a document outside the repository."""
    return [
        linha.strip() for linha in texto.splitlines() if any(p.search(linha) for p in PROIBIDOS)
    ]


def test_nenhum_arquivo_aponta_para_fora_do_repositorio():
    achados = []
    for arquivo in _arquivos():
        for linha in referencias_externas(arquivo.read_text(encoding="utf-8", errors="replace")):
            achados.append(f"{arquivo.relative_to(RAIZ)}: {linha[:120]}")
    assert achados == [], "say the fact or point at docs/ instead:\n" + "\n".join(achados)


def test_a_varredura_olha_o_projeto_inteiro():
    nomes = {str(a.relative_to(RAIZ)) for a in _arquivos()}
    assert {"README.md", "docs/arquitetura.md", "static/js/inbox.js", "Makefile"} <= nomes
    assert "canais/adapters/base.py" in nomes


@pytest.mark.parametrize(
    "linha",
    [
        "Frames are {evento, dados} (CONTRACT §6).",
        "call (≈4-8 ms here, anchors/performance.md §i)",
        "error codes (protocols.md §1.9)",
        "fixtures copied from ../textos/fixtures",
        "see /work/textos/spec/CONTRATO",
        "AI tables of the seed: insights",
        "The seed's task names",
    ],
)
def test_a_varredura_reconhece_referencias(linha):
    assert referencias_externas(linha) == [linha]


@pytest.mark.parametrize(
    "linha",
    [
        "Threading (RFC 5322 §3.6.4): In-Reply-To",
        "a ridge fit on the seed examples of the classifier",
        "Protocol of the websocket: docs/realtime.md",
    ],
)
def test_a_varredura_deixa_o_resto(linha):
    assert referencias_externas(linha) == []
