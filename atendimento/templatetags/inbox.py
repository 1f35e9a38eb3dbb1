"""Template helpers of the inbox: sanitised e-mail HTML, SLA clock, short times, media kinds.

``html_email_seguro`` (a message's e-mail HTML, with its inline images) and ``sanitizar_html``
(any other outside HTML) are the only ways HTML that came from outside reaches a page;
everything else is autoescaped text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import nh3
from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from atendimento.models import Mensagem
from atendimento.realtime.eventos import url_midia
from atendimento.selectors.inbox import relogio_sla
from atendimento.services.sla import fracao_alerta

register = template.Library()

#: tags an e-mail body may keep (ammonia's defaults without images, forms or media: remote
#: images are tracking pixels and would load from the customer's mail server)
TAGS_HTML = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
        "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p",
        "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ATRIBUTOS_HTML = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}


@register.filter
def sanitizar_html(valor: object) -> SafeString:
    """E-mail HTML reduced to harmless markup (nh3/ammonia): no scripts, styles, event
    handlers, images or non-http(s)/mailto links; links open in a new tab without referrer."""
    limpo = nh3.clean(
        str(valor or ""),
        tags=set(TAGS_HTML),
        clean_content_tags={"script", "style", "title", "head"},
        attributes=ATRIBUTOS_HTML,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return mark_safe(limpo)  # noqa: S308 - the output of the sanitiser


# ------------------------------------------------------------------------------------- SLA
@dataclass(frozen=True)
class RelogioSla:
    cor: str  # "verde" | "ambar" | "vermelho"
    texto: str
    prazo: datetime
    rotulo: str


def _duracao(delta: timedelta) -> str:
    minutos = int(abs(delta.total_seconds()) // 60)
    if minutos < 60:
        return ngettext("%(n)d min", "%(n)d min", minutos) % {"n": minutos}
    horas, resto = divmod(minutos, 60)
    if horas < 24:
        return _("%(h)d h %(m)02d") % {"h": horas, "m": resto}
    dias = horas // 24
    return ngettext("%(n)d dia", "%(n)d dias", dias) % {"n": dias}


@register.filter
def sla(ticket, agora: datetime | None = None) -> RelogioSla | None:
    """The SLA clock of a ticket: green, amber when under a quarter of the target is left,
    red when overdue (or already violated); "pausado" while it waits on the customer."""
    if ticket.status == "aguardando" and ticket.aguardando_desde is not None:
        return RelogioSla(
            cor="pausado", texto=_("pausado"), prazo=ticket.aguardando_desde,
            rotulo=_("Aguardando o cliente desde"),
        )  # fmt: skip
    prazo, janela, alvo = relogio_sla(ticket)
    if prazo is None:
        return None
    agora = agora or timezone.now()
    restante = prazo - agora
    rotulo = {
        "primeira_resposta": _("Primeira resposta"),
        "proxima_resposta": _("Próxima resposta"),
    }.get(alvo, _("Resolução"))
    if restante <= timedelta(0) or ticket.sla_violado:
        cor = "vermelho"
        texto = (
            _("atrasado %(t)s") % {"t": _duracao(restante)}
            if restante <= timedelta(0)
            else _("violado")
        )
    else:
        alerta = janela is not None and restante <= janela * fracao_alerta()
        cor = "ambar" if alerta else "verde"
        texto = _("%(t)s restantes") % {"t": _duracao(restante)}
    return RelogioSla(cor=cor, texto=texto, prazo=prazo, rotulo=rotulo)


# ------------------------------------------------------------------------------------- times
@register.filter
def hora_curta(valor: datetime | None) -> str:
    """List time: 14:05 today, "ontem", else 03/02 (or 03/02/2024 in another year), in the
    active language's formats (English: 2:05 p.m., yesterday, 02/03, 02/03/2024)."""
    if not valor:
        return ""
    local = timezone.localtime(valor)
    hoje = timezone.localdate()
    if local.date() == hoje:
        return date_format(local, "TIME_FORMAT")
    if local.date() == hoje - timedelta(days=1):
        return _("ontem")
    if local.year == hoje.year:
        # Translators: a day and month without the year, in Django's date format syntax
        return date_format(local, pgettext("formato de data", "d/m"))
    return date_format(local, "SHORT_DATE_FORMAT")


# ------------------------------------------------------------------------------------- media
TIPOS_IMAGEM = {Mensagem.Tipo.IMAGEM, Mensagem.Tipo.STICKER}


@register.filter
def exibicao_midia(mensagem: Mensagem) -> str:
    """How a message's media is shown: imagem | audio | video | documento | baixando | falhou
    | "" (no media)."""
    if not mensagem.midia_status:
        return ""
    if mensagem.midia_status == Mensagem.StatusMidia.PENDENTE:
        return "baixando"
    if mensagem.midia_status == Mensagem.StatusMidia.ERRO:
        return "falhou"
    if mensagem.tipo in TIPOS_IMAGEM:
        return "imagem"
    if mensagem.tipo in (Mensagem.Tipo.AUDIO, Mensagem.Tipo.VIDEO):
        return mensagem.tipo
    return "documento"


@register.filter
def midia_url(mensagem: Mensagem) -> str:
    return url_midia(mensagem)


@register.filter
def mapa_url(mensagem: Mensagem) -> str:
    """OpenStreetMap link for a location message ("" without coordinates)."""
    dados = mensagem.dados or {}
    lat, lon = dados.get("latitude"), dados.get("longitude")
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return ""
    consulta = urlencode({"mlat": f"{lat:.6f}", "mlon": f"{lon:.6f}"})
    return f"https://www.openstreetmap.org/?{consulta}#map=17/{lat:.6f}/{lon:.6f}"


@register.filter
def coordenadas(mensagem: Mensagem) -> str:
    dados = mensagem.dados or {}
    try:
        return f"{float(dados.get('latitude')):.6f}, {float(dados.get('longitude')):.6f}"
    except (TypeError, ValueError):
        return ""


@register.filter
def html_email(mensagem: Mensagem) -> str:
    """The e-mail's HTML body when the message has one (raw: render it through
    :func:`html_email_seguro`)."""
    dados = mensagem.dados or {}
    html = dados.get("html") if isinstance(dados, dict) else None
    return html if isinstance(html, str) else ""


@register.filter
def texto_completo_email(mensagem: Mensagem) -> str:
    """The whole text of a plain-text e-mail when the message shows only its new part (the
    quoted history was cut): shown folded under the message."""
    dados = mensagem.dados or {}
    completo = dados.get("texto_completo") if isinstance(dados, dict) else None
    if not isinstance(completo, str) or dados.get("html"):
        return ""
    return completo.strip() if completo.strip() != (mensagem.conteudo or "").strip() else ""


def _imagens_inline(mensagem: Mensagem) -> dict[str, str]:
    """content id (lower case) -> our URL of that inline image, for the ones already saved."""
    imagens = {}
    for anexo in (mensagem.dados or {}).get("anexos") or []:
        if isinstance(anexo, dict) and anexo.get("inline") and anexo.get("arquivo"):
            numero = str(anexo.get("ref", "")).removeprefix("anexo:")
            cid = str(anexo.get("content_id") or "").strip("<>").lower()
            if cid and numero.isdigit():
                imagens[cid] = reverse("midia_inline", args=[mensagem.pk, int(numero)])
    return imagens


#: where quoted history starts in sanitised e-mail HTML (Gmail marks it with a class)
_CITACAO = re.compile(r"<(/?)(blockquote|div)\b([^>]*)>", re.IGNORECASE)


def _recolher_citacoes(html: str) -> str:
    """Each outermost ``<blockquote>`` (and Gmail's ``div.gmail_quote``) inside a closed
    ``<details>``: the history is one click away, the new text stands alone.  Works on the
    sanitiser's output, which is always well-formed."""
    partes: list[str] = []
    pilha: list[tuple[bool, bool]] = []  # per open element: (is a quote, starts a <details>)
    dentro = 0
    posicao = 0
    for achado in _CITACAO.finditer(html):
        partes.append(html[posicao : achado.start()])
        posicao = achado.end()
        tag, atributos = achado.group(2).lower(), achado.group(3)
        if not achado.group(1):
            citacao = tag == "blockquote" or "gmail_quote" in atributos
            inicia = citacao and dentro == 0
            pilha.append((citacao, inicia))
            dentro += citacao
            if inicia:
                rotulo = escape(_("Mostrar mensagens anteriores"))
                partes.append(f'<details class="mensagem__historico"><summary>{rotulo}</summary>')
            partes.append(achado.group(0))
            continue
        partes.append(achado.group(0))
        citacao, inicia = pilha.pop() if pilha else (False, False)
        dentro -= citacao
        if inicia:
            partes.append("</details>")
    partes.append(html[posicao:])
    return "".join(partes)


@register.filter
def html_email_seguro(mensagem: Mensagem) -> SafeString:
    """The e-mail's HTML for the inbox: sanitised (:func:`sanitizar_html`'s rules), images only
    from the mail itself (``cid:`` → our authenticated media URL; remote images — tracking
    pixels — dropped, never fetched), quoted history collapsed."""
    html = html_email(mensagem)
    if not html:
        return mark_safe("")
    imagens = _imagens_inline(mensagem)

    def filtrar(tag: str, atributo: str, valor: str) -> str | None:
        if tag == "img" and atributo == "src":
            cid = valor[4:].strip().strip("<>").lower() if valor.lower().startswith("cid:") else ""
            return imagens.get(cid) if cid else None
        if tag == "div" and atributo == "class":
            return "gmail_quote" if "gmail_quote" in valor.split() else None
        return valor

    def limpar(trecho: str) -> str:
        return nh3.clean(
            trecho,
            tags=set(TAGS_HTML) | {"img"},
            clean_content_tags={"script", "style", "title", "head"},
            attributes={**ATRIBUTOS_HTML, "img": {"src", "alt", "title"}, "div": {"class"}},
            attribute_filter=filtrar,
            url_schemes={"http", "https", "mailto", "cid"},
            link_rel="noopener noreferrer nofollow",
            set_tag_attribute_values={"a": {"target": "_blank"}},
        )

    # Outlook quotes no <blockquote>: its history follows a marker up to the end of the mail;
    # each side is sanitised alone (the sanitiser closes and drops tags: both well-formed)
    marcador = _HISTORICO_OUTLOOK.search(html)
    if marcador is not None:
        novo = limpar(html[: marcador.start()])
        if _TEXTO_VISIVEL.search(novo):
            rotulo = escape(_("Mostrar mensagens anteriores"))
            historico = limpar(html[marcador.start() :])
            return mark_safe(  # noqa: S308 - the sanitiser's output
                f'{_recolher_citacoes(novo)}<details class="mensagem__historico">'
                f"<summary>{rotulo}</summary>{historico}</details>"
            )
    return mark_safe(_recolher_citacoes(limpar(html)))  # noqa: S308 - the sanitiser's output


#: where Outlook (desktop, web) starts the quoted history of a reply
_HISTORICO_OUTLOOK = re.compile(
    r"<div\b[^>]*(?:\bid=[\"']?(?:divRplyFwdMsg|appendonsend)\b"
    r"|border-top:\s*solid\s*#(?:E1E1E1|B5C4DF))",
    re.IGNORECASE,
)
_TEXTO_VISIVEL = re.compile(r">\s*[^<\s]")


# ------------------------------------------------------------------------------------- misc
_COR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@register.filter
def cor_segura(valor: object) -> str:
    """A ``#rgb``/``#rrggbb`` colour for a style attribute, or a neutral grey."""
    texto = str(valor or "")
    return texto if _COR.match(texto) else "#64748b"


@register.filter
def chave(dicionario: object, nome: str):
    """``contagens|chave:aba``: a dict lookup by a variable."""
    return dicionario.get(nome) if isinstance(dicionario, dict) else None
