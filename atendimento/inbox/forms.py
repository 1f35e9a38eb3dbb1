"""Input of the inbox views: the list's filters (lenient: a bad value falls back to its
default, as a stale bookmark should still open the inbox) and the action forms (strict)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from atendimento.models import Atendente, Ticket
from atendimento.selectors.inbox import GRUPOS_STATUS, FiltrosInbox, abas_disponiveis

CAMPOS_FILTRO = ("aba", "status", "fila", "canal", "tag", "prioridade", "q")


class FiltrosForm(forms.Form):
    aba = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("abertos", _("Abertos")),
            ("aguardando", _("Aguardando")),
            ("fechados", _("Fechados")),
        ],
    )
    fila = forms.UUIDField(required=False)
    canal = forms.UUIDField(required=False)
    tag = forms.UUIDField(required=False)
    prioridade = forms.ChoiceField(required=False, choices=Ticket.Prioridade.choices)
    q = forms.CharField(required=False, max_length=200, strip=True)
    pagina = forms.IntegerField(required=False, min_value=1, max_value=1000)


def filtros_da_requisicao(dados, atendente: Atendente) -> tuple[FiltrosInbox, int]:
    """The filters of a GET (invalid fields dropped) and the page number.  The tab is empty
    when the GET names none of the agent's tabs (the caller picks one: ``aba_inicial``)."""
    form = FiltrosForm(dados)
    form.is_valid()
    limpo = form.cleaned_data
    aba = limpo.get("aba") if limpo.get("aba") in abas_disponiveis(atendente) else ""
    status = limpo.get("status") if limpo.get("status") in GRUPOS_STATUS else "abertos"
    filtros = FiltrosInbox(
        aba=aba,
        status=status,
        fila=str(limpo.get("fila") or ""),
        canal=str(limpo.get("canal") or ""),
        tag=str(limpo.get("tag") or ""),
        prioridade=limpo.get("prioridade") or "",
        q=limpo.get("q") or "",
    )
    return filtros, limpo.get("pagina") or 1


def filtros_querystring(filtros: FiltrosInbox, **extra) -> str:
    """The filters as a query string (only what differs from empty), for links and refreshes."""
    valores = {campo: getattr(filtros, campo) for campo in CAMPOS_FILTRO}
    valores.update(extra)
    return urlencode({k: v for k, v in valores.items() if v not in ("", None)})


class EnviarForm(forms.Form):
    conteudo = forms.CharField(required=False, strip=False, max_length=10_000)
    resposta_rapida = forms.UUIDField(required=False)
    template = forms.UUIDField(required=False)
    arquivo = forms.FileField(required=False)
    sugestao = forms.UUIDField(required=False)  # the AI suggestion the text came from


class AtribuirForm(forms.Form):
    atendente = forms.UUIDField(required=False)


class TransferirForm(forms.Form):
    fila = forms.UUIDField(error_messages={"required": _("Escolha a fila de destino.")})
    atendente = forms.UUIDField(required=False)
    motivo = forms.CharField(required=False, max_length=500)


class FecharForm(forms.Form):
    motivo = forms.CharField(required=False, max_length=500)


class TagsForm(forms.Form):
    adicionar = forms.UUIDField(required=False)
    remover = forms.UUIDField(required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Atendente.Status.choices)


def primeiro_erro(form: forms.Form) -> str:
    for erros in form.errors.values():
        return str(erros[0])
    return ""
