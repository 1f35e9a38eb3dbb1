"""The business hours the widget shows: the channel's default queue's weekly schedule."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DIAS = (
    ("seg", _("Seg")),
    ("ter", _("Ter")),
    ("qua", _("Qua")),
    ("qui", _("Qui")),
    ("sex", _("Sex")),
    ("sab", _("Sáb")),
    ("dom", _("Dom")),
)


def _faixa(valor) -> str:
    if (
        isinstance(valor, list | tuple)
        and len(valor) == 2
        and all(isinstance(v, str) for v in valor)
    ):
        return f"{valor[0]}-{valor[1]}"
    if isinstance(valor, list | tuple) and valor and isinstance(valor[0], list | tuple):
        return ", ".join(_faixa(v) for v in valor if _faixa(v))
    return ""


def horario_legivel(canal) -> list[tuple[str, str]]:
    """[(day, "08:00-18:00")] of the days with hours; empty when no schedule is set."""
    fila = getattr(canal, "fila_padrao", None)
    horario = (fila.horario if fila is not None else None) or {}
    semana = horario.get("semana", horario) if isinstance(horario, dict) else {}
    linhas = []
    for chave, rotulo in DIAS:
        faixa = _faixa(semana.get(chave)) if isinstance(semana, dict) else ""
        if faixa:
            linhas.append((str(rotulo), faixa))
    return linhas
