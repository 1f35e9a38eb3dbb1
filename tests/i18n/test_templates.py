"""Every word a template shows goes through i18n: outside ``{% translate %}`` /
``{% blocktranslate %}`` a template holds markup, variables and tags only.  Checks every
template of the project (new pages included) without rendering them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import engines
from django.template.base import Lexer, TokenType

from tests.processos import RAIZ

#: names that are the same in every language
NOMES = {"ConectCRM"}
VISIVEIS = {"title", "placeholder", "aria-label", "alt", "label"}
LETRAS = re.compile(r"[^\W\d_]{2,}")
SUBSTITUTO = "\x00"
#: what stands for a tag or variable; the leading space keeps
#: ``<td{% if x %} class="y"{% endif %}>`` a tag with attributes for the HTML parser
MARCA = " " + SUBSTITUTO
#: not prose: scripts, styles and code shown as code
PULAR = {"script", "style", "code", "pre", "kbd", "samp"}
#: CSS classes and ids written in a block (``{% block classe_body %}pagina-inbox{% endblock %}``)
IDENTIFICADOR = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")


def _templates() -> list:
    pastas = []
    for motor in engines.all():
        pastas += [
            p
            for p in map(str, motor.template_dirs)
            if p.startswith(str(RAIZ)) and "/." not in p[len(str(RAIZ)) :]
        ]
    return sorted({t for pasta in pastas for t in Path(pasta).rglob("*.html")})


def _sem_texto_traduzido(fonte: str) -> str:
    """The template with every tag, variable and translated block replaced by a marker."""
    partes, dentro = [], 0
    for token in Lexer(fonte).tokenize():
        if token.token_type == TokenType.BLOCK:
            nome = token.contents.split()[0] if token.contents.split() else ""
            if nome in ("blocktranslate", "blocktrans", "comment"):
                dentro += 1
            elif nome in ("endblocktranslate", "endblocktrans", "endcomment"):
                dentro -= 1
            partes.append(MARCA)
        elif token.token_type == TokenType.TEXT and not dentro:
            partes.append(token.contents)
        else:
            partes.append(MARCA)
    return "".join(partes)


class _Textos(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.achados: list[str] = []
        self._pular = 0

    def handle_starttag(self, tag, attrs):
        if tag in PULAR:
            self._pular += 1
        for nome, valor in attrs:
            if valor and (nome in VISIVEIS or nome.startswith("data-texto")):
                self._ver(valor)

    def handle_endtag(self, tag):
        if tag in PULAR:
            self._pular -= 1

    def handle_data(self, data):
        if not self._pular:
            self._ver(data)

    def _ver(self, texto: str) -> None:
        limpo = " ".join(
            p for p in texto.replace(SUBSTITUTO, " ").split() if not IDENTIFICADOR.match(p)
        )
        palavras = [p for p in LETRAS.findall(limpo) if p not in NOMES]
        if palavras:
            self.achados.append(texto.strip().replace(SUBSTITUTO, "…"))


def test_ha_templates_para_verificar():
    assert len(_templates()) > 10


@pytest.mark.parametrize("caminho", _templates(), ids=lambda p: str(p.relative_to(RAIZ)))
def test_template_sem_texto_fora_do_i18n(caminho):
    leitor = _Textos()
    leitor.feed(_sem_texto_traduzido(caminho.read_text()))
    assert leitor.achados == [], f"{caminho.name}: texto visível sem {{% translate %}}"
