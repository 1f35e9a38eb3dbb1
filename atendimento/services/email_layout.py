"""The empresa's e-mail layout: what an agent's reply looks like in the customer's mailbox.

Stored in ``Empresa.configuracoes["email"]`` (edited in the admin's empresa page):

* ``layout_html`` — an HTML page with ``{{conteudo}}`` (the message) and ``{{assinatura}}``
  where they go, plus any quick-reply variable (``{{empresa.nome}}``, ``{{atendente.nome}}``…);
* ``assinatura`` — plain text appended to every reply (same variables).

The agent writes plain text: the HTML part is that text escaped (line breaks kept) inside the
layout; the plain-text part is the text and the signature after the usual ``-- `` separator.
The layout itself goes through the same sanitiser family as inbound mail (nh3), with styles
and images allowed, so a broken or hostile layout cannot inject scripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from django.utils.html import escape, linebreaks

from atendimento.models import Atendente, Empresa, Ticket
from atendimento.services.templates import VARIAVEIS, texto_renderizar

LAYOUT_PADRAO = (
    '<div style="max-width:640px;font-family:Arial,Helvetica,sans-serif;font-size:14px;'
    'line-height:1.5;color:#1f2937">{{conteudo}}'
    '<div style="margin-top:24px;padding-top:12px;border-top:1px solid #e5e7eb;'
    'color:#6b7280;font-size:13px">{{assinatura}}</div></div>'
)
#: the sanitised layout (a fragment: nh3 keeps no html/head/body) goes inside this document
DOCUMENTO = (
    '<!DOCTYPE html><html><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width"></head><body>{}</body></html>'
)
ASSINATURA_PADRAO = "{{atendente.nome}}\n{{empresa.nome}}"
_VARIAVEL = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

#: what a layout may contain (e-mail clients ignore <style>/<link> anyway; inline styles work)
TAGS_LAYOUT = frozenset(
    {
        "a", "b", "blockquote", "br", "center", "div", "em", "font", "h1", "h2", "h3", "h4",
        "hr", "i", "img", "li", "ol", "p", "small", "span", "strong", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ATRIBUTOS_LAYOUT = {
    "*": {"style", "align", "width", "height", "bgcolor", "color", "class"},
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "valign"},
    "table": {"cellpadding", "cellspacing", "border", "role"},
}


@dataclass(frozen=True)
class CorpoEmail:
    texto: str
    html: str


def configuracao(empresa: Empresa) -> dict:
    email = (empresa.configuracoes or {}).get("email")
    return email if isinstance(email, dict) else {}


def layout_sanitizar(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS_LAYOUT),
        attributes={k: set(v) for k, v in ATRIBUTOS_LAYOUT.items()},
        url_schemes={"http", "https", "mailto", "tel"},
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _variaveis(texto: str, ticket: Ticket, atendente: Atendente | None) -> str:
    return texto_renderizar(texto, ticket=ticket, atendente=atendente)


def corpo_email(*, ticket: Ticket, atendente: Atendente | None, texto: str) -> CorpoEmail:
    """Plain text and HTML of a reply with the empresa's layout and signature."""
    config = configuracao(ticket.empresa)
    modelo = str(config.get("assinatura", ASSINATURA_PADRAO) or "")
    assinatura = "\n".join(
        linha for linha in _variaveis(modelo, ticket, atendente).splitlines() if linha.strip()
    )
    layout = str(config.get("layout_html") or LAYOUT_PADRAO)
    if "{{conteudo}}" not in layout.replace(" ", ""):
        layout = LAYOUT_PADRAO  # a layout without the message would send an empty mail
    conteudo_html = linebreaks(escape(texto))
    assinatura_html = escape(assinatura).replace("\n", "<br>")
    partes = {"conteudo": conteudo_html, "assinatura": assinatura_html}

    def preencher(trecho: str) -> str:
        # our two blocks are inserted after the variables, so text in them is never expanded
        for nome in partes:
            trecho = trecho.replace("{{ " + nome + " }}", "{{" + nome + "}}")
        marcado = trecho.replace("{{conteudo}}", "\0conteudo\0").replace(
            "{{assinatura}}", "\0assinatura\0"
        )
        marcado = texto_renderizar_escapado(marcado, ticket, atendente)
        for nome, valor in partes.items():
            marcado = marcado.replace(f"\0{nome}\0", valor)
        return marcado

    html = DOCUMENTO.format(preencher(layout_sanitizar(layout)))
    texto_plano = f"{texto}\n\n-- \n{assinatura}" if assinatura else texto
    return CorpoEmail(texto=texto_plano, html=html)


def texto_renderizar_escapado(texto: str, ticket: Ticket, atendente: Atendente | None) -> str:
    """Quick-reply variables with HTML-escaped values (a contact named ``<b>`` stays text)."""

    def valor(encontrado: re.Match[str]) -> str:
        obter = VARIAVEIS.get(encontrado.group(1).lower())
        if obter is None:
            return ""
        resultado = obter(ticket, atendente)
        return escape("" if resultado is None else str(resultado))

    return _VARIAVEL.sub(valor, texto)
