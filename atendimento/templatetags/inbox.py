"""Template helpers of the inbox: sanitised e-mail HTML, SLA clock, short times, media kinds.

``html_email_seguro`` (a message's e-mail HTML, with its inline images) and ``sanitizar_html``
(any other outside HTML) are the only ways HTML that came from outside reaches a page;
everything else is autoescaped text.
"""

from __future__ import annotations

import functools
import html
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import nh3
from django import template
from django.template.defaultfilters import date, linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

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
    return _duracao_em_minutos(get_language(), int(abs(delta.total_seconds()) // 60))


@functools.lru_cache(maxsize=2048)
def _duracao_em_minutos(idioma: str | None, minutos: int) -> str:
    """A duration as the SLA clock shows it, translated once per language and length (a list
    shows one per row; each gettext call walks the chain of fallback catalogues)."""
    if minutos < 60:
        return ngettext("%(n)d min", "%(n)d min", minutos) % {"n": minutos}
    horas, resto = divmod(minutos, 60)
    if horas < 24:
        return _("%(h)d h %(m)02d") % {"h": horas, "m": resto}
    dias = horas // 24
    return ngettext("%(n)d dia", "%(n)d dias", dias) % {"n": dias}


@functools.lru_cache(maxsize=16)
def _textos(idioma: str | None) -> dict[str, str]:
    """The list's fixed texts (the SLA clock's, ``hora_curta``'s) in one language, translated
    once (see ``_duracao``)."""
    return {
        "ontem": _("ontem"),
        # Translators: a day and month without the year, in Django's date format syntax
        "dia_mes": pgettext("formato de data", "d/m"),
        "pausado": _("pausado"),
        "aguardando": _("Aguardando o cliente desde"),
        "primeira_resposta": _("Primeira resposta"),
        "proxima_resposta": _("Próxima resposta"),
        "resolucao": _("Resolução"),
        "atrasado": _("atrasado %(t)s"),
        "violado": _("violado"),
        "restantes": _("%(t)s restantes"),
    }


@register.filter
def sla(ticket, agora: datetime | None = None) -> RelogioSla | None:
    """The SLA clock of a ticket: green, amber when under a quarter of the target is left,
    red when overdue (or already violated); "pausado" while it waits on the customer."""
    textos = _textos(get_language())
    if ticket.status == "aguardando" and ticket.aguardando_desde is not None:
        return RelogioSla(
            cor="pausado", texto=textos["pausado"], prazo=ticket.aguardando_desde,
            rotulo=textos["aguardando"],
        )  # fmt: skip
    prazo, janela, alvo = relogio_sla(ticket)
    if prazo is None:
        return None
    agora = agora or timezone.now()
    restante = prazo - agora
    rotulo = textos[alvo if alvo in ("primeira_resposta", "proxima_resposta") else "resolucao"]
    if restante <= timedelta(0) or ticket.sla_violado:
        cor = "vermelho"
        texto = (
            textos["atrasado"] % {"t": _duracao(restante)}
            if restante <= timedelta(0)
            else textos["violado"]
        )
    else:
        alerta = janela is not None and restante <= janela * fracao_alerta()
        cor = "ambar" if alerta else "verde"
        texto = textos["restantes"] % {"t": _duracao(restante)}
    return RelogioSla(cor=cor, texto=texto, prazo=prazo, rotulo=rotulo)


# ------------------------------------------------------------------------------------- labels
@functools.lru_cache(maxsize=256)
def _rotulos(modelo: type, campo: str, idioma: str | None) -> dict:
    """The labels of a model field's choices in one language, translated once."""
    return {
        valor: force_str(rotulo, strings_only=True)
        for valor, rotulo in modelo._meta.get_field(campo).flatchoices
    }


@register.filter
def rotulo(objeto, campo: str):
    """``objeto.get_<campo>_display()`` for lists: Django's method hashes (so translates) the
    label of every choice on each call; here each field's labels are translated once per
    language.  A value not among the known labels gets Django's own answer."""
    valor = getattr(objeto, campo)
    try:
        return _rotulos(type(objeto), campo, get_language())[valor]
    except (KeyError, TypeError):
        return getattr(objeto, f"get_{campo}_display")()


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
        return _textos(get_language())["ontem"]
    if local.year == hoje.year:
        return date_format(local, _textos(get_language())["dia_mes"])
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


# ------------------------------------------------------------------------------ list rows
#: a UUID no ticket has, to reverse the ticket URL once per list instead of once per row
_SEM_TICKET = uuid.UUID(int=0)


def _texto(valor) -> str:
    """``{{ valor }}``: localized, then escaped (what the template engine does)."""
    if type(valor) is str:  # most values: nothing to localize
        return html.escape(valor)  # django.utils.html.escape without its lazy-string wrapper
    valor = localize(template_localtime(valor))
    return conditional_escape(valor if isinstance(valor, str) else str(valor))


def _iso(valor: datetime | None) -> str:
    """``{{ valor|date:"c" }}`` (Django's "c" is ``isoformat()``) without parsing the format."""
    return valor.isoformat() if isinstance(valor, datetime) else date(valor, "c")


@register.simple_tag(takes_context=True)
def itens_tickets(context, tickets) -> SafeString:
    """The rows of the inbox list.  Written in Python: through the template engine each row
    cost ~0.3 ms (≈ 40 variable lookups, filters and escapes), most of a list page.  The markup
    is ``_ticket_item.html``'s — the template stays as its readable source, and
    ``tests/inbox/test_itens_lista.py`` renders both and requires the same bytes."""
    url_base = reverse("inbox:ticket", args=[_SEM_TICKET])
    filtros_qs = context.get("filtros_qs") or ""
    aberto = context.get("ticket_aberto")
    aberto_id = getattr(aberto, "id", None)
    sufixo = f"?{filtros_qs}" if filtros_qs else ""
    sem_atendente = conditional_escape(_("sem atendente"))
    partes = []
    for t in tickets:
        url = conditional_escape(url_base.replace(str(_SEM_TICKET), str(t.id)))
        link = url + conditional_escape(sufixo)
        nao_lidas = t.nao_lidas
        classe = "item item--nao-lido" if nao_lidas else "item"
        atual = ' aria-current="true"' if aberto_id is not None and aberto_id == t.id else ""
        partes.append(f'\n  \n<li class="{classe}" data-ticket-id="{_texto(t.id)}"{atual}>\n')
        canal = t.canal
        partes.append(
            f'  <a class="item__link" href="{link}"\n'
            f'     hx-get="{url}" hx-target="#painel-ticket" hx-swap="innerHTML"\n'
            f'     hx-push-url="{link}">\n'
            f'    <span class="canal canal--{_texto(canal.tipo)}" title="{_texto(canal.nome)}">'
            f'<span class="visualmente-oculto">{_texto(rotulo(canal, "tipo"))}</span></span>\n'
            f'    <span class="item__nome">{_texto(t.contato)}</span>\n'
        )
        ultima = t.ultima_mensagem_em
        partes.append(
            f'    <time class="item__hora" '
            f'datetime="{_texto(_iso(template_localtime(ultima)))}">'
            f"{_texto(hora_curta(ultima))}</time>\n"
        )
        assunto = t.assunto
        if assunto:
            partes.append(f'    <span class="item__assunto">{_texto(assunto)}</span>\n')
        else:
            partes.append("    \n")
        resumo = _texto(t.ultima_mensagem_resumo or assunto or "—")
        partes.append(f'    <span class="item__resumo">{resumo}</span>\n')
        if nao_lidas:
            titulo = ngettext("%(n)s mensagem não lida", "%(n)s mensagens não lidas", nao_lidas) % {
                "n": _texto(nao_lidas)
            }
            partes.append(f'    <span class="badge" title="{titulo}">{_texto(nao_lidas)}</span>\n')
        else:
            partes.append("    \n")
        fila, atendente = t.fila, t.atendente
        partes.append(f'    <span class="item__meta">\n      <span>#{_texto(t.numero)}</span>\n')
        partes.append(f"      <span>{_texto(fila.nome)}</span>\n" if fila else "      \n")
        nome = _texto(atendente.nome) if atendente else sem_atendente
        partes.append(f"      <span>{nome}</span>\n")
        prioridade = t.prioridade
        if prioridade == "alta" or prioridade == "urgente":
            partes.append(
                f'      <span class="prioridade prioridade--{_texto(prioridade)}">'
                f"{_texto(rotulo(t, 'prioridade'))}</span>\n"
            )
        else:
            partes.append("      \n")
        relogio = sla(t)
        if relogio:
            prazo = date(template_localtime(relogio.prazo), "SHORT_DATETIME_FORMAT")
            partes.append(
                f'      <span class="sla sla--{_texto(relogio.cor)}" '
                f'title="{_texto(relogio.rotulo)}: {_texto(prazo)}">'
                f"{_texto(relogio.texto)}</span>\n"
            )
        else:
            partes.append("      \n")
        partes.append("    </span>\n")
        tags = t.tags_lista
        if tags:
            partes.append('    <span class="item__tags">')
            partes.extend(
                f'<span class="tag" style="--cor: {_texto(cor_segura(tag.cor))}">'
                f"{_texto(tag.nome)}</span>"
                for tag in tags[:3]
            )
            partes.append("</span>\n")
        else:
            partes.append("    \n")
        partes.append("  </a>\n</li>\n\n")
    return mark_safe("".join(partes))  # noqa: S308 - every value above is escaped


# ------------------------------------------------------------------------------ conversation
_MENSAGEM = "atendimento/inbox/_mensagem.html"


def _mensagem_comum(m: Mensagem, context) -> bool:
    """A message ``mensagem_item`` writes in Python: text, without media, location, quoted
    reply, e-mail body or delivery failure (nearly every message of a conversation)."""
    return bool(
        m.conteudo
        and not m.midia_status
        and m.tipo != Mensagem.Tipo.LOCALIZACAO
        and m.responder_a_id is None
        and m.status != Mensagem.Status.ERRO
        and not (m.status == Mensagem.Status.PENDENTE and m.erro_detalhe)
        and not html_email(m)
        and not texto_completo_email(m)
        and not context.get("erro_acao")
    )


@register.simple_tag(takes_context=True)
def mensagem_item(context, m: Mensagem) -> SafeString:
    """One message of the conversation, as ``{% include "_mensagem.html" %}`` renders it.
    The common message (``_mensagem_comum``) is written in Python: through the template engine
    each cost ~0.2 ms (≈ 30 variable lookups, filters and escapes), most of a conversation's
    50; any other goes through the template, which stays the markup's readable source.
    ``tests/inbox/test_mensagem_item.py`` renders both and requires the same bytes."""
    if not _mensagem_comum(m, context):
        return context.template.engine.get_template(_MENSAGEM).render(context)
    ticket = context.get("ticket")
    if m.direcao == Mensagem.Direcao.ENTRADA:
        autor = _texto(m.remetente_nome or ticket.contato) + "\n    "
    elif m.remetente_tipo == "atendente":
        atendente = m.atendente
        nome = atendente.nome if atendente else (m.remetente_nome or _("Atendente"))
        autor = _texto(nome) + "\n    "
    elif m.remetente_tipo == "bot":
        autor = conditional_escape(_("Bot"))
    else:
        autor = conditional_escape(_("Sistema"))
    ident = _texto(m.id)
    url_base = context.render_context.get(_MENSAGEM)  # one reverse() per rendering
    if url_base is None:
        url_base = context.render_context[_MENSAGEM] = reverse("inbox:mensagem", args=[_SEM_TICKET])
    url = conditional_escape(url_base.replace(str(_SEM_TICKET), str(m.id)))
    local = template_localtime(m.data)
    editada = (
        f'<span class="mensagem__editada">{conditional_escape(_("editada"))}</span>'
        if m.editada_em
        else ""
    )
    ticks = ""
    if m.direcao == Mensagem.Direcao.SAIDA:
        rotulo_status = _texto(rotulo(m, "status"))
        ticks = (
            f'<span class="ticks ticks--{_texto(m.status)}" role="img" '
            f'aria-label="{rotulo_status}" title="{rotulo_status}"></span>'
        )
    return mark_safe(  # noqa: S308 - every value below is escaped
        f'\n<article id="mensagem-{ident}" class="mensagem mensagem--{_texto(m.direcao)} '
        f'mensagem--{_texto(m.remetente_tipo)}"\n'
        f'         data-status="{_texto(m.status)}"\n'
        f'         data-url="{url}">\n'
        f'  <header class="mensagem__autor">\n    {autor}\n  </header>\n'
        "  \n  \n  \n    \n"
        f'      <p class="mensagem__texto">{linebreaksbr(m.conteudo, autoescape=True)}</p>\n'
        "        \n      \n    \n  \n"
        f'  <footer class="mensagem__rodape">\n    {editada}\n'
        f'    <time datetime="{_texto(_iso(local))}" '
        f'title="{_texto(date(local, "DATETIME_FORMAT"))}">{_texto(date(local, "TIME_FORMAT"))}'
        f"</time>\n    {ticks}\n  </footer>\n  \n  \n</article>\n\n"
    )
