"""The inbox's actions (POST): each parses its form, calls one service and renders the partial
that changed.  A refused action (422/409/413/415/403) re-renders that partial with the reason
and its HTTP status; htmx is configured (base.html) to swap those answers."""

from __future__ import annotations

import logging

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendimento.exceptions import ErroDominio, NaoEncontrado, ServicoIndisponivel
from atendimento.inbox.base import (
    PASTA,
    atendente_requerido,
    com_eventos,
    contexto_composer,
    contexto_lateral,
)
from atendimento.inbox.forms import (
    AtribuirForm,
    EnviarForm,
    FecharForm,
    StatusForm,
    TagsForm,
    TransferirForm,
    primeiro_erro,
)
from atendimento.models import Ticket
from atendimento.realtime.eventos import publicar_ticket_atualizado
from atendimento.selectors.cadastros import fila_obter
from atendimento.selectors.inbox import (
    mensagem_exibir,
    resposta_rapida_obter,
    sugestao_ia_obter,
    ticket_para_inbox,
)
from atendimento.selectors.tickets import atendente_obter, tags_obter
from atendimento.services import saida, tickets
from atendimento.services.presenca import atendente_atualizar_status
from ia.services.desfecho import sugestao_descartar, sugestao_registrar_envio

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ composer
@require_POST
@atendente_requerido
def enviar(request: HttpRequest, ticket_id) -> HttpResponse:
    """Text, quick reply, approved WhatsApp template or an attachment (with its caption)."""
    atendente = request.atendente
    aberto = ticket_para_inbox(atendente=atendente, ticket_id=ticket_id)
    form = EnviarForm(request.POST, request.FILES)
    conteudo = request.POST.get("conteudo", "")
    if not form.is_valid():
        return _composer(request, aberto, conteudo=conteudo, erro=primeiro_erro(form), status=400)
    dados = form.cleaned_data
    resposta = sugestao = None
    try:
        if dados["arquivo"]:
            saida.mensagem_enviar_midia(
                atendente=atendente, ticket=aberto, arquivo=dados["arquivo"], legenda=conteudo
            )
        elif dados["template"]:
            prefixo = f"var-{dados['template']}-"
            variaveis = {
                chave.removeprefix(prefixo): valor
                for chave, valor in request.POST.items()
                if chave.startswith(prefixo) and valor.strip()
            }
            saida.mensagem_enviar(
                atendente=atendente,
                ticket=aberto,
                template=dados["template"],
                variaveis=variaveis or None,
            )
        else:
            if dados["resposta_rapida"]:
                resposta = resposta_rapida_obter(
                    atendente=atendente, ticket=aberto, template_id=dados["resposta_rapida"]
                )
            if dados["sugestao"]:
                sugestao = sugestao_ia_obter(
                    atendente=atendente, ticket=aberto, resposta_id=dados["sugestao"]
                )
            _enviar_texto(atendente, aberto, conteudo, resposta, sugestao)
    except NaoEncontrado:
        raise
    except ErroDominio as exc:
        return _composer(
            request,
            aberto,
            conteudo=conteudo,
            erro=exc.detalhe,
            resposta_rapida=resposta,
            sugestao=sugestao,
            status=exc.status_http,
        )
    return com_eventos(
        _composer(request, aberto),
        nova_mensagem={"ticket": str(aberto.id)},
        tickets_atualizar=True,
    )


@transaction.atomic
def _enviar_texto(atendente, ticket, conteudo, resposta, sugestao) -> None:
    """The agent's text, and what it did with the AI suggestion it came from (if any)."""
    mensagem = saida.mensagem_enviar(
        atendente=atendente, ticket=ticket, conteudo=conteudo, template=resposta
    )
    if sugestao is not None:
        sugestao_registrar_envio(sugestao=sugestao, mensagem=mensagem)


def _composer(request, ticket, *, status=200, **extra) -> TemplateResponse:
    contexto = contexto_composer(request.atendente, ticket, **extra)
    return TemplateResponse(request, PASTA + "_composer.html", contexto, status=status)


@require_POST
@atendente_requerido
def marcar_lidas(request: HttpRequest, ticket_id) -> HttpResponse:
    aberto = ticket_para_inbox(atendente=request.atendente, ticket_id=ticket_id)
    saida.mensagens_marcar_lidas(atendente=request.atendente, ticket=aberto)
    return com_eventos(HttpResponse(status=204), tickets_atualizar=True)


@require_POST
@atendente_requerido
def reenviar(request: HttpRequest, mensagem_id) -> HttpResponse:
    """Retry a message that ended in ``erro``."""
    atendente = request.atendente
    mensagem = mensagem_exibir(atendente=atendente, mensagem_id=mensagem_id)
    erro, status = "", 200
    try:
        saida.mensagem_reenviar(atendente=atendente, mensagem=mensagem)
    except NaoEncontrado:
        raise
    except ErroDominio as exc:
        erro, status = exc.detalhe, exc.status_http
    mensagem = mensagem_exibir(atendente=atendente, mensagem_id=mensagem_id)
    contexto = {"m": mensagem, "ticket": mensagem.ticket, "erro_acao": erro}
    return TemplateResponse(request, PASTA + "_mensagem.html", contexto, status=status)


# ------------------------------------------------------------------------------ ticket
def _lateral(request, ticket_id, *, erro: str = "", status: int = 200, composer: bool = False):
    """The sidebar after an action, with the conversation header (and the composer when the
    ticket was closed or reopened) out of band.  When the action took the ticket out of this
    agent's sight (a transfer to another queue), the pane says so."""
    atendente = request.atendente
    try:
        aberto = ticket_para_inbox(atendente=atendente, ticket_id=ticket_id)
    except NaoEncontrado:
        resposta = TemplateResponse(request, PASTA + "_transferido.html", {})
        resposta["HX-Retarget"] = "#painel-ticket"
        resposta["HX-Reswap"] = "innerHTML"
        return com_eventos(resposta, tickets_atualizar=True)
    contexto = contexto_lateral(atendente, aberto, erro=erro)
    if composer:
        contexto.update(contexto_composer(atendente, aberto), composer_oob=True)
    resposta = TemplateResponse(request, PASTA + "_lateral_resposta.html", contexto, status=status)
    return com_eventos(resposta, tickets_atualizar=True) if status == 200 else resposta


def _executar(request, ticket_id, form, acao, *, composer: bool = False) -> HttpResponse:
    """Validate ``form`` and run ``acao(ticket, dados)``; domain refusals show in the sidebar."""
    aberto: Ticket = ticket_para_inbox(atendente=request.atendente, ticket_id=ticket_id)
    if not form.is_valid():
        return _lateral(request, ticket_id, erro=primeiro_erro(form), status=400)
    try:
        acao(aberto, form.cleaned_data)
    except NaoEncontrado:
        raise
    except ErroDominio as exc:
        return _lateral(request, ticket_id, erro=exc.detalhe, status=exc.status_http)
    return _lateral(request, ticket_id, composer=composer)


@require_POST
@atendente_requerido
def analisar(request: HttpRequest, ticket_id) -> HttpResponse:
    """Queue a full AI analysis now; the panel shows it in progress and refreshes on
    ``ticket_atualizado`` when it is stored."""
    from ia.tasks import agendar_analise

    def acao(ticket, dados):
        if not agendar_analise(ticket.pk, espera=0):
            raise ServicoIndisponivel(_("A fila de análise está indisponível; tente de novo."))

    return _executar(request, ticket_id, forms.Form(request.POST), acao)


@require_POST
@atendente_requerido
def sugerir(request: HttpRequest, ticket_id) -> HttpResponse:
    """Ask the AI for a suggested reply from the ticket's latest state."""
    from ia.services.sugestao import sugerir as sugerir_resposta

    def acao(ticket, dados):
        try:
            sugerir_resposta(ticket, interativo=True)
        except ErroDominio:
            raise
        except Exception as exc:  # the provider failed (already accounted as an error)
            logger.warning("sugestão de IA falhou no ticket %s: %s", ticket.pk, exc)
            raise ServicoIndisponivel(
                _("A IA não conseguiu sugerir uma resposta agora; tente de novo.")
            ) from exc
        publicar_ticket_atualizado(ticket)  # other open sidebars (and a racing refresh) follow

    return _executar(request, ticket_id, forms.Form(request.POST), acao)


@require_POST
@atendente_requerido
def descartar_sugestao(request: HttpRequest, ticket_id, sugestao_id) -> HttpResponse:
    """The agent discards the AI's suggested reply (recorded as ``rejeitada``)."""
    atendente = request.atendente

    def acao(ticket, dados):
        sugestao = sugestao_ia_obter(atendente=atendente, ticket=ticket, resposta_id=sugestao_id)
        sugestao_descartar(sugestao=sugestao)
        publicar_ticket_atualizado(ticket)

    return _executar(request, ticket_id, forms.Form(request.POST), acao)


@require_POST
@atendente_requerido
def atribuir(request: HttpRequest, ticket_id) -> HttpResponse:
    """Assign to an agent of the empresa (empty: back to the queue)."""
    atendente = request.atendente

    def acao(ticket, dados):
        destino = (
            atendente_obter(atendente=atendente, atendente_id=dados["atendente"])
            if dados["atendente"]
            else None
        )
        tickets.ticket_atribuir(ticket=ticket, atendente_destino=destino, por=atendente)

    return _executar(request, ticket_id, AtribuirForm(request.POST), acao)


@require_POST
@atendente_requerido
def transferir(request: HttpRequest, ticket_id) -> HttpResponse:
    atendente = request.atendente

    def acao(ticket, dados):
        fila = fila_obter(atendente=atendente, fila_id=dados["fila"])
        destino = (
            atendente_obter(atendente=atendente, atendente_id=dados["atendente"])
            if dados["atendente"]
            else None
        )
        tickets.ticket_transferir(
            ticket=ticket,
            fila=fila,
            atendente_destino=destino,
            motivo=dados["motivo"],
            por=atendente,
        )

    return _executar(request, ticket_id, TransferirForm(request.POST), acao)


@require_POST
@atendente_requerido
def fechar(request: HttpRequest, ticket_id) -> HttpResponse:
    atendente = request.atendente

    def acao(ticket, dados):
        tickets.ticket_fechar(ticket=ticket, motivo=dados["motivo"], por=atendente)

    return _executar(request, ticket_id, FecharForm(request.POST), acao, composer=True)


@require_POST
@atendente_requerido
def reabrir(request: HttpRequest, ticket_id) -> HttpResponse:
    atendente = request.atendente

    def acao(ticket, dados):
        tickets.ticket_reabrir(ticket=ticket, por=atendente)

    return _executar(request, ticket_id, forms.Form(request.POST), acao, composer=True)


@require_POST
@atendente_requerido
def alterar_tags(request: HttpRequest, ticket_id) -> HttpResponse:
    """Add one tag and/or remove one (each tag chip is its own small form)."""
    atendente = request.atendente

    def acao(ticket, dados):
        tickets.ticket_alterar_tags(
            ticket=ticket,
            adicionar=tags_obter(
                atendente=atendente, ids=[dados["adicionar"]] if dados["adicionar"] else []
            ),
            remover=tags_obter(
                atendente=atendente, ids=[dados["remover"]] if dados["remover"] else []
            ),
            por=atendente,
        )

    return _executar(request, ticket_id, TagsForm(request.POST), acao)


# ------------------------------------------------------------------------------ agent
@require_POST
@atendente_requerido
def alterar_status(request: HttpRequest) -> HttpResponse:
    """The agent's own presence (online / ausente / ocupado / offline)."""
    atendente = request.atendente
    form = StatusForm(request.POST)
    erro, status = "", 200
    if form.is_valid():
        try:
            atendente_atualizar_status(atendente=atendente, status=form.cleaned_data["status"])
        except ErroDominio as exc:
            erro, status = exc.detalhe, exc.status_http
    else:
        erro, status = primeiro_erro(form), 400
    return TemplateResponse(
        request, PASTA + "_status.html", {"eu": atendente, "erro": erro}, status=status
    )
