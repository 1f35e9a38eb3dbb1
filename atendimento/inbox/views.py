"""The inbox pages and the partials htmx re-fetches (GET only; actions live in ``acoes``).

A full page (``/inbox/``, ``/inbox/tickets/<id>/``) includes the same partial templates that
the htmx requests of these views return."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from atendimento.inbox.base import (
    PASTA,
    atendente_requerido,
    contexto_composer,
    contexto_filtros,
    contexto_lateral,
    contexto_lista_da_requisicao,
    contexto_ticket,
    eh_parcial,
    mensagens_tem_nao_lidas,
)
from atendimento.selectors.inbox import (
    conversa_anteriores,
    conversa_recentes,
    mensagem_exibir,
    resposta_rapida_obter,
    respostas_rapidas_sugerir,
    sugestao_ia_obter,
    ticket_para_inbox,
)
from atendimento.selectors.mensagens import mensagem_da_conversa
from atendimento.services.templates import template_renderizar


@require_GET
def raiz(request: HttpRequest) -> HttpResponse:
    return redirect("inbox:inbox")


@require_GET
@vary_on_headers("HX-Request", "HX-History-Restore-Request")
@atendente_requerido
def inbox(request: HttpRequest) -> HttpResponse:
    """The three panes; for htmx, the ticket list (or its next page)."""
    atendente = request.atendente
    contexto = contexto_lista_da_requisicao(request)
    if eh_parcial(request):
        nome = "_lista_itens.html" if contexto["pagina"] > 1 else "_lista.html"
        return TemplateResponse(request, PASTA + nome, {**contexto, "parcial": True})
    contexto.update(contexto_filtros(atendente))
    return TemplateResponse(request, PASTA + "inbox.html", contexto)


@require_GET
@vary_on_headers("HX-Request", "HX-History-Restore-Request")
@atendente_requerido
def ticket(request: HttpRequest, ticket_id) -> HttpResponse:
    """One conversation with its sidebar; a full page (with the list) outside htmx."""
    atendente = request.atendente
    aberto = ticket_para_inbox(atendente=atendente, ticket_id=ticket_id)
    contexto = contexto_ticket(atendente, aberto)
    if eh_parcial(request):
        return TemplateResponse(request, PASTA + "_ticket.html", contexto)
    contexto.update(contexto_lista_da_requisicao(request))
    contexto.update(contexto_filtros(atendente))
    contexto["ticket_aberto"] = aberto
    return TemplateResponse(request, PASTA + "inbox.html", contexto)


@require_GET
@atendente_requerido
def mensagens_anteriores(request: HttpRequest, ticket_id) -> HttpResponse:
    """History above the first page: ``?antes=<mensagem_id>``."""
    aberto = ticket_para_inbox(atendente=request.atendente, ticket_id=ticket_id)
    antes = mensagem_da_conversa(ticket=aberto, mensagem_id=request.GET.get("antes"))
    mensagens, tem_mais = conversa_anteriores(ticket=aberto, antes=antes)
    contexto = {"ticket": aberto, "mensagens": mensagens, "tem_anteriores": tem_mais}
    return TemplateResponse(request, PASTA + "_mensagens_anteriores.html", contexto)


@require_GET
@atendente_requerido
def mensagens_recentes(request: HttpRequest, ticket_id) -> HttpResponse:
    """The live block of an open conversation: every message from ``?desde=<mensagem_id>``
    (the oldest one of the first page) onward."""
    aberto = ticket_para_inbox(atendente=request.atendente, ticket_id=ticket_id)
    desde = request.GET.get("desde")
    ancora = mensagem_da_conversa(ticket=aberto, mensagem_id=desde) if desde else None
    mensagens = conversa_recentes(ticket=aberto, ancora=ancora)
    contexto = {
        "ticket": aberto,
        "mensagens": mensagens,
        "nao_lidas": mensagens_tem_nao_lidas(mensagens),
    }
    return TemplateResponse(request, PASTA + "_mensagens_recentes.html", contexto)


@require_GET
@atendente_requerido
def mensagem(request: HttpRequest, mensagem_id) -> HttpResponse:
    """One message (re-fetched when its delivery status or media changes)."""
    encontrada = mensagem_exibir(atendente=request.atendente, mensagem_id=mensagem_id)
    return TemplateResponse(
        request, PASTA + "_mensagem.html", {"m": encontrada, "ticket": encontrada.ticket}
    )


@require_GET
@atendente_requerido
def lateral(request: HttpRequest, ticket_id) -> HttpResponse:
    """The sidebar, plus the conversation header out of band (both show the ticket's state)."""
    atendente = request.atendente
    aberto = ticket_para_inbox(atendente=atendente, ticket_id=ticket_id)
    return TemplateResponse(
        request, PASTA + "_lateral_resposta.html", contexto_lateral(atendente, aberto)
    )


@require_GET
@atendente_requerido
def composer(request: HttpRequest, ticket_id) -> HttpResponse:
    """The composer, empty or filled with a quick reply (``?resposta=<template_id>``, its
    variables filled for this ticket) or the AI's suggested reply (``?sugestao=<id>``)."""
    atendente = request.atendente
    aberto = ticket_para_inbox(atendente=atendente, ticket_id=ticket_id)
    conteudo = ""
    resposta = sugestao = None
    if request.GET.get("resposta"):
        resposta = resposta_rapida_obter(
            atendente=atendente, ticket=aberto, template_id=request.GET["resposta"]
        )
        conteudo = template_renderizar(template=resposta, ticket=aberto, atendente=atendente)
    elif request.GET.get("sugestao"):
        sugestao = sugestao_ia_obter(
            atendente=atendente, ticket=aberto, resposta_id=request.GET["sugestao"]
        )
        conteudo = sugestao.resposta
    contexto = contexto_composer(
        atendente, aberto, conteudo=conteudo, resposta_rapida=resposta, sugestao=sugestao
    )
    return TemplateResponse(request, PASTA + "_composer.html", contexto)


@require_GET
@atendente_requerido
def respostas_rapidas(request: HttpRequest, ticket_id) -> HttpResponse:
    """Quick replies matching ``/atalho`` typed in the composer, previewed for this ticket."""
    atendente = request.atendente
    aberto = ticket_para_inbox(atendente=atendente, ticket_id=ticket_id)
    texto = request.GET.get("conteudo", "")[:100]
    sugestoes = [
        (template, template_renderizar(template=template, ticket=aberto, atendente=atendente))
        for template in respostas_rapidas_sugerir(atendente=atendente, ticket=aberto, texto=texto)
    ]
    return TemplateResponse(
        request, PASTA + "_sugestoes.html", {"ticket": aberto, "sugestoes": sugestoes}
    )


@require_GET
@atendente_requerido
def status_atendente(request: HttpRequest) -> HttpResponse:
    """The agent's own status in the header (re-fetched on ``atendente_status``)."""
    return TemplateResponse(request, PASTA + "_status.html", {"eu": request.atendente})
