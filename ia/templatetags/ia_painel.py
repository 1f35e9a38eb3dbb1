"""Labels of the AI panel: the analysis values (stored as the contract's codes) in words."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

ROTULOS = {
    "sentimento": {"positivo": _("Positivo"), "negativo": _("Negativo"), "neutro": _("Neutro")},
    "intencao": {
        "duvida": _("Dúvida"),
        "reclamacao": _("Reclamação"),
        "elogio": _("Elogio"),
        "suporte": _("Suporte"),
        "cancelamento": _("Cancelamento"),
        "informacao": _("Informação"),
    },
    "urgencia": {
        "baixa": _("Baixa"),
        "media": _("Média"),
        "alta": _("Alta"),
        "critica": _("Crítica"),
    },
    "risco": {"baixo": _("Baixo"), "medio": _("Médio"), "alto": _("Alto")},
}


@register.filter
def rotulo_ia(valor, tipo: str):
    """``{{ insight.sentimento|rotulo_ia:"sentimento" }}`` → "Negativo"."""
    return ROTULOS.get(tipo, {}).get(valor, valor)


@register.filter
def porcento(valor) -> str:
    """0.734 → "73%" (empty for a missing value)."""
    if valor is None or valor == "":
        return ""
    try:
        return f"{round(float(valor) * 100)}%"
    except (TypeError, ValueError):
        return ""
