"""Validators of the JSON settings of queues and empresas (used by the model fields, so the admin
and the API refuse the same bad values)."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DIAS = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")
_HORA = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ALVOS_SLA = ("primeira_resposta_min", "proxima_resposta_min", "resolucao_min")
PRIORIDADES = ("baixa", "media", "alta", "urgente")
MAX_MINUTOS_SLA = 5_256_000  # ten years


def _data(valor) -> bool:
    if not isinstance(valor, str) or len(valor) != 10:
        return False
    try:
        date.fromisoformat(valor)
    except ValueError:
        return False
    return True


def erros_horario(valor) -> dict[str, str]:
    """Per key, what is wrong with a weekly schedule ``{"seg": ["08:00", "18:00"], ...,
    "feriados": ["2026-12-25"]}`` (a missing weekday is a closed day)."""
    if not isinstance(valor, dict):
        return {"horario": _("Informe um objeto.")}
    erros: dict[str, str] = {}
    for chave, item in valor.items():
        if chave == "feriados":
            if not isinstance(item, list) or not all(_data(d) for d in item):
                erros[chave] = _("Lista de datas AAAA-MM-DD.")
        elif chave in DIAS:
            if not (
                isinstance(item, list)
                and len(item) == 2
                and all(isinstance(h, str) and _HORA.match(h) for h in item)
                and item[0] < item[1]
            ):
                erros[chave] = _('Use ["HH:MM", "HH:MM"] com início antes do fim.')
        else:
            erros[str(chave)[:20]] = _("Chave desconhecida; use %(dias)s ou feriados.") % {
                "dias": ", ".join(DIAS)
            }
    if not erros and valor and not any(dia in valor for dia in DIAS):
        erros["horario"] = _("Informe ao menos um dia da semana com horário.")
    return erros


def validar_horario(valor) -> None:
    erros = erros_horario(valor)
    if erros:
        raise ValidationError("; ".join(f"{k}: {v}" for k, v in erros.items()))


def erros_sla_prioridades(valor) -> dict[str, str]:
    if not isinstance(valor, dict):
        return {"sla_prioridades": _("Informe um objeto.")}
    erros: dict[str, str] = {}
    for prioridade, alvos in valor.items():
        if prioridade not in PRIORIDADES:
            erros[str(prioridade)[:20]] = _("Prioridade desconhecida; use %(p)s.") % {
                "p": ", ".join(PRIORIDADES)
            }
            continue
        if not isinstance(alvos, dict) or not alvos:
            erros[prioridade] = _("Informe um objeto com %(a)s.") % {"a": ", ".join(ALVOS_SLA)}
            continue
        for alvo, minutos in alvos.items():
            if alvo not in ALVOS_SLA:
                erros[f"{prioridade}.{str(alvo)[:30]}"] = _("Use %(a)s.") % {
                    "a": ", ".join(ALVOS_SLA)
                }
            elif minutos is not None and (
                isinstance(minutos, bool)
                or not isinstance(minutos, int)
                or not 1 <= minutos <= MAX_MINUTOS_SLA
            ):
                erros[f"{prioridade}.{alvo}"] = _("Minutos inteiros entre 1 e %(m)d.") % {
                    "m": MAX_MINUTOS_SLA
                }
    return erros


def validar_sla_prioridades(valor) -> None:
    erros = erros_sla_prioridades(valor)
    if erros:
        raise ValidationError("; ".join(f"{k}: {v}" for k, v in erros.items()))
