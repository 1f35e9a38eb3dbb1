"""The inbox header's notifications: the unread count, the latest notices, marking them read,
and the person's preferences page. Everything is the requesting person's own: an id of someone
else's notice changes nothing (and says nothing)."""

from __future__ import annotations

import uuid

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from atendimento.inbox.base import PASTA, atendente_requerido, com_eventos
from atendimento.models import Notificacao, TipoNotificacao
from atendimento.services import notificacoes

ULTIMAS = 30


def _contexto_lista(atendente) -> dict:
    return {
        "notificacoes": list(
            Notificacao.objects.filter(atendente=atendente).order_by("-criado_em")[:ULTIMAS]
        ),
        "nao_lidas": notificacoes.nao_lidas(atendente),
    }


@require_GET
@atendente_requerido
def lista(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, PASTA + "_notificacoes_lista.html", _contexto_lista(request.atendente)
    )


@require_GET
@atendente_requerido
def contagem(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        PASTA + "_notificacoes_contagem.html",
        {"nao_lidas": notificacoes.nao_lidas(request.atendente)},
    )


@require_POST
@atendente_requerido
def marcar_lidas(request: HttpRequest) -> HttpResponse:
    """``id`` (one or more): those; none: all of them."""
    ids = []
    for valor in request.POST.getlist("id"):
        try:
            ids.append(uuid.UUID(valor))
        except ValueError:
            return HttpResponse(_("Notificação inválida."), status=400)
    notificacoes.marcar_lidas(request.atendente, ids or None)
    resposta = TemplateResponse(
        request, PASTA + "_notificacoes_lista.html", _contexto_lista(request.atendente)
    )
    return com_eventos(resposta, notificacoes_lidas={})


class PreferenciasForm(forms.Form):
    """Two boxes per kind: receive it at all, and also by e-mail."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tipo, rotulo in TipoNotificacao.choices:
            self.fields[f"{tipo}__ativa"] = forms.BooleanField(label=rotulo, required=False)
            self.fields[f"{tipo}__email"] = forms.BooleanField(
                label=_("%(tipo)s por e-mail") % {"tipo": rotulo}, required=False
            )

    def linhas(self):
        return [
            (rotulo, self[f"{tipo}__ativa"], self[f"{tipo}__email"])
            for tipo, rotulo in TipoNotificacao.choices
        ]

    def valores(self) -> dict:
        return {
            tipo: {
                "ativa": self.cleaned_data[f"{tipo}__ativa"],
                "email": self.cleaned_data[f"{tipo}__email"],
            }
            for tipo in TipoNotificacao.values
        }


@require_http_methods(["GET", "POST"])
@atendente_requerido
def preferencias(request: HttpRequest) -> HttpResponse:
    atual = notificacoes.preferencias(request.atendente)
    inicial = {
        f"{tipo}__{chave}": valor for tipo, pref in atual.items() for chave, valor in pref.items()
    }
    if request.method == "POST":
        form = PreferenciasForm(request.POST, initial=inicial)
        if form.is_valid():
            notificacoes.salvar_preferencias(request.atendente, form.valores())
            return redirect(f"{request.path}?salvo=1")
    else:
        form = PreferenciasForm(initial=inicial)
    return TemplateResponse(
        request,
        PASTA + "notificacoes_preferencias.html",
        {"form": form, "salvo": request.GET.get("salvo") == "1"},
    )
