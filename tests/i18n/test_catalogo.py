"""The English catalogue (``locale/en``): complete, consistent with its compiled ``.mo``, and up
to date with the code and templates (``make mensagens`` leaves nothing new to translate)."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.processos import RAIZ

LOCALE = RAIZ / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
MARCADOR = re.compile(r"%(?:\([a-zA-Z_0-9]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _catalogo(caminho: Path = PO):
    with caminho.open("rb") as arquivo:
        return read_po(arquivo)


def _textos(mensagem) -> tuple[str, ...]:
    texto = mensagem.string
    return texto if isinstance(texto, tuple) else (texto,)


def _mensagens(catalogo):
    return [m for m in catalogo if m.id]


def test_catalogo_completo_sem_fuzzy():
    mensagens = _mensagens(_catalogo())
    assert len(mensagens) > 300
    vazias = [
        m.id for m in mensagens if not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    difusas = [m.id for m in mensagens if m.fuzzy]
    assert vazias == [], "sem tradução: rode `make mensagens` e traduza"
    assert difusas == [], "marcadas fuzzy: revise a tradução e tire a marca"


def test_traducoes_mantem_os_marcadores():
    for m in _mensagens(_catalogo()):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        esperado = sorted(MARCADOR.findall(ids[-1]))
        for texto in _textos(m):
            assert sorted(MARCADOR.findall(texto)) == esperado, (m.id, texto)


def test_mo_compilado_corresponde_ao_po():
    catalogo = _catalogo()
    with MO.open("rb") as arquivo:
        compilado = gettext.GNUTranslations(arquivo)._catalog
    esperado: dict = {}
    for m in _mensagens(catalogo):
        chave = m.id if not m.context else None
        if isinstance(m.id, tuple):
            base = m.id[0] if not m.context else f"{m.context}\x04{m.id[0]}"
            for i, texto in enumerate(m.string):
                esperado[(base, i)] = texto
        else:
            chave = m.id if not m.context else f"{m.context}\x04{m.id}"
            esperado[chave] = m.string
    compilado = {k: v for k, v in compilado.items() if k != ""}
    assert compilado == esperado, "locale/en: o .mo não corresponde ao .po (rode `make mensagens`)"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (make gettext) ausente")
def test_catalogo_em_dia_com_o_codigo(tmp_path):
    """makemessages on a copy of the checkout adds no entry and drops none."""
    copia = tmp_path / "projeto"
    ignorar = shutil.ignore_patterns(".*", "__pycache__", "artifacts", "*.egg-info", "node_modules")
    shutil.copytree(RAIZ, copia, ignore=ignorar)
    ignorados = [".*", "tests/*", "bench/*", "static/vendor/*", "artifacts/*"]
    comando = [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location"]
    resultado = subprocess.run(  # noqa: S603
        comando + [f"--ignore={padrao}" for padrao in ignorados],
        cwd=copia,
        capture_output=True,
        text=True,
        timeout=300,
        # makemessages needs no database: explicit URLs keep the copy from deriving an embedded
        # server's socket from its (long, pytest-numbered) path, which would start one.
        env={
            **os.environ,
            "DATABASE_URL": "postgresql://catalogo@127.0.0.1:9/catalogo",
            "REDIS_URL": "redis://127.0.0.1:9/0",
        },
    )
    assert resultado.returncode == 0, resultado.stderr[-3000:]
    antes = {m.id for m in _mensagens(_catalogo())}
    novo = _catalogo(copia / "locale" / "en" / "LC_MESSAGES" / "django.po")
    depois = {m.id for m in _mensagens(novo)}
    assert sorted(map(str, depois - antes)) == [], "textos novos: rode `make mensagens` e traduza"
    assert sorted(map(str, antes - depois)) == [], "textos que sumiram: rode `make mensagens`"
