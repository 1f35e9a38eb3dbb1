"""What every inbox view shares: the agent behind the request, the 404 answer, and the context
builders used both by full pages and by the htmx partials (one rendering path: a full page
includes exactly the partial templates that htmx requests receive)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django_htmx.http import HttpResponseClientRedirect

from atendimento.exceptions import NaoEncontrado
from atendimento.inbox.forms import filtros_da_requisicao, filtros_querystring
from atendimento.models import Atendente, Mensagem, Ticket
from atendimento.selectors.acesso import atendente_do_usuario
from atendimento.selectors.inbox import (
    POR_PAGINA,
    FiltrosInbox,
    aba_inicial,
    abas_disponiveis,
    conversa_inicial,
    inbox_contagens,
    inbox_opcoes_filtro,
    inbox_tickets,
    lateral_dados,
    templates_whatsapp,
)
from atendimento.services.saida import janela_aberta

PASTA = "atendimento/inbox/"
#: session key of the list tab the agent chose last
SESSAO_ABA = "inbox_aba"

#: Client events (htmx.trigger on <body>): the websocket frames raise the contract's names
#: (nova_mensagem, status_mensagem, novo_ticket, ticket_atualizado, atendente_status,
#: atendente_digitando, atendente_parou_digitar, notificacao) and ``reconectado`` after a
#: reconnection; the inbox's own answers raise ``nova_mensagem`` and ``tickets_atualizar``
#: through ``HX-Trigger`` so the panes refresh even when the socket is down.


def atendente_requerido(view: Callable) -> Callable:
    """``login_required`` for pages; an expired session inside an htmx request redirects the
    whole window (instead of swapping the login form into a pane); ``request.atendente`` is
    the user's Atendente, and a NaoEncontrado anywhere in the view answers 404."""
    protegida = login_required(view)

    @wraps(view)
    def embrulho(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.htmx:
                return HttpResponseClientRedirect(f"{settings.LOGIN_URL}?next=/inbox/")
            return redirect_to_login(request.get_full_path())
        try:
            request.atendente = atendente_do_usuario(request.user)
            return protegida(request, *args, **kwargs)
        except NaoEncontrado as exc:
            return nao_encontrado(request, exc)

    return embrulho


def nao_encontrado(request: HttpRequest, exc: NaoEncontrado) -> HttpResponse:
    """404, never 403.  Inside the inbox the message replaces the ticket pane (the ticket may
    have just been transferred away from this agent)."""
    nome = "_nao_encontrado.html" if request.htmx else "nao_encontrado.html"
    resposta = TemplateResponse(request, PASTA + nome, {"detalhe": exc.detalhe}, status=404)
    if request.htmx:
        resposta["HX-Retarget"] = "#painel-ticket"
        resposta["HX-Reswap"] = "innerHTML"
    return resposta


def com_eventos(resposta: HttpResponse, **eventos: object) -> HttpResponse:
    """Raise client events when the answer arrives (htmx ``HX-Trigger``), with the same names
    and details as the websocket frames, so the panes refresh even when the socket is down."""
    if eventos:
        resposta["HX-Trigger"] = json.dumps(eventos)
    return resposta


def eh_parcial(request: HttpRequest) -> bool:
    """An htmx request for a partial (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


# ------------------------------------------------------------------------------ contexts
def contexto_lista_da_requisicao(request: HttpRequest) -> dict:
    """The list for the filters of the GET.  A tab named in the URL is the agent's choice and
    is remembered (in the session: per login, server side); without one the list opens where
    the work is (``aba_inicial``), preferring the remembered tab while it holds tickets."""
    atendente = request.atendente
    filtros, pagina = filtros_da_requisicao(request.GET, atendente)
    contagens = inbox_contagens(atendente=atendente, filtros=filtros)
    if filtros.aba:
        if request.session.get(SESSAO_ABA) != filtros.aba:
            request.session[SESSAO_ABA] = filtros.aba
    else:
        aba = aba_inicial(atendente, contagens, request.session.get(SESSAO_ABA, ""))
        filtros = replace(filtros, aba=aba)
    return contexto_lista(atendente, filtros, pagina, contagens=contagens)


def contexto_lista(
    atendente: Atendente,
    filtros: FiltrosInbox,
    pagina: int = 1,
    *,
    contagens: dict[str, int] | None = None,
) -> dict:
    inicio = (pagina - 1) * POR_PAGINA
    linhas = list(
        inbox_tickets(atendente=atendente, filtros=filtros)[inicio : inicio + POR_PAGINA + 1]
    )
    return {
        "tickets": linhas[:POR_PAGINA],
        "tem_mais": len(linhas) > POR_PAGINA,
        "pagina": pagina,
        "proxima_pagina": pagina + 1,
        "filtros": filtros,
        "filtros_qs": filtros_querystring(filtros),
        "abas": abas_disponiveis(atendente),
        "contagens": contagens or inbox_contagens(atendente=atendente, filtros=filtros),
    }


def contexto_filtros(atendente: Atendente) -> dict:
    return {
        "opcoes": inbox_opcoes_filtro(atendente=atendente),
        "prioridades": Ticket.Prioridade.choices,
    }


def contexto_composer(
    atendente: Atendente,
    ticket: Ticket,
    *,
    conteudo: str = "",
    erro: str = "",
    resposta_rapida=None,
    sugestao=None,
) -> dict:
    """The composer: free text (with quick replies) or, on WhatsApp outside the 24-hour
    window, the approved-template picker; nothing to write on a closed ticket."""
    fechado = ticket.status == Ticket.Status.FECHADO
    aberta = janela_aberta(ticket)
    return {
        "ticket": ticket,
        "fechado": fechado,
        "janela_aberta": aberta,
        "templates_whatsapp": []
        if fechado or aberta
        else templates_whatsapp(atendente=atendente, ticket=ticket),
        "conteudo": conteudo,
        "erro": erro,
        "resposta_rapida": resposta_rapida,
        "sugestao": sugestao,
    }


def contexto_lateral(atendente: Atendente, ticket: Ticket, *, erro: str = "") -> dict:
    return {
        "ticket": ticket,
        "lateral": lateral_dados(atendente=atendente, ticket=ticket),
        "eu": atendente,
        "erro_lateral": erro,
    }


def contexto_ticket(atendente: Atendente, ticket: Ticket) -> dict:
    mensagens, tem_anteriores = conversa_inicial(ticket=ticket)
    return {
        "ticket": ticket,
        "mensagens": mensagens,
        "tem_anteriores": tem_anteriores,
        "ancora": mensagens[0] if mensagens else None,
        "nao_lidas": _tem_nao_lidas(ticket),
        **contexto_composer(atendente, ticket),
        **contexto_lateral(atendente, ticket),
    }


def _tem_nao_lidas(ticket: Ticket) -> bool:
    return ticket.nao_lidas > 0


def mensagens_tem_nao_lidas(mensagens: list[Mensagem]) -> bool:
    return any(
        m.direcao == Mensagem.Direcao.ENTRADA and not m.lida_pelo_atendente for m in mensagens
    )
