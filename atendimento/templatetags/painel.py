"""Template helpers of the dashboard: durations and table cells."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duracao(segundos) -> str:
    """Seconds as "45 s", "12 min", "3 h 05 min", "2 d 4 h"; "—" without a value."""
    if segundos is None:
        return "—"
    s = round(float(segundos))
    if s < 60:
        return _("%(s)s s") % {"s": s}
    m = s // 60
    if m < 60:
        return _("%(m)s min") % {"m": m}
    h, m = divmod(m, 60)
    if h < 48:
        return _("%(h)s h %(m)02d min") % {"h": h, "m": m}
    d, h = divmod(h, 24)
    return _("%(d)s d %(h)s h") % {"d": d, "h": h}


@register.simple_tag
def celula(linha: dict, coluna) -> str:
    valor = linha.get(coluna.chave)
    if valor is None or valor == "":
        return "—"
    if coluna.rotulos:
        return str(coluna.rotulos.get(valor, valor))
    if coluna.tipo == "s":
        return duracao(valor)
    if coluna.tipo == "%":
        return f"{number_format(valor, 1)} %"
    if coluna.tipo == "n":
        return number_format(valor, force_grouping=True)
    if hasattr(valor, "isoformat"):
        from django.utils.formats import date_format

        return date_format(valor, "SHORT_DATE_FORMAT")
    return str(valor)
