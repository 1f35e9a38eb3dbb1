"""``{% nao_lidas atendente as n %}``: the unread count for the inbox header."""

from __future__ import annotations

from django import template

from atendimento.services.notificacoes import nao_lidas as _nao_lidas

register = template.Library()


@register.simple_tag
def nao_lidas(atendente) -> int:
    return _nao_lidas(atendente) if atendente is not None else 0
