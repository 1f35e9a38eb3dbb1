"""The website chat's public pages and endpoints (no login: the visitor token is the identity).

- ``/chat/<chave>/``: a page that plays the customer's website, with the widget on it;
- ``/chat/<chave>/embed/``: the chat itself, in the widget's iframe; framed only by the
  channel's allowed origins (``frame-ancestors``);
- ``/chat/<chave>/sessao/``: a new visitor token (pre-chat name/e-mail optional);
- ``/chat/<chave>/mensagens/``: the visitor's own conversation;
- ``/chat/<chave>/midia/<id>/``: a file of that conversation, by a signed, expiring link.

Messages and receipts go to the channel's webhook URL like every provider's (the adapter).
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from atendimento.views_midia import _servir
from canais.adapters.webchat.adaptador import CABECALHO_VISITANTE
from canais.webchat import conversa, limites, tokens
from canais.webchat.horario import horario_legivel


def _canal(chave: str):
    canal = conversa.canal_da_chave(chave)
    if canal is None:
        raise Http404("Chat não encontrado.")
    return canal


def _origens(canal) -> list[str]:
    texto = str((canal.config or {}).get("origens_permitidas") or "")
    return [o.strip().rstrip("/") for o in texto.replace("\n", ",").split(",") if o.strip()]


def _visitante(request: HttpRequest, canal):
    token = request.headers.get(CABECALHO_VISITANTE) or ""
    return tokens.visitante_do_token(canal.identificador, token)


@require_GET
def pagina_teste(request: HttpRequest, chave: str) -> HttpResponse:
    canal = _canal(chave)
    return render(request, "webchat/teste.html", {"canal": canal})


@require_GET
@xframe_options_exempt
def embed(request: HttpRequest, chave: str) -> HttpResponse:
    canal = _canal(chave)
    config = canal.config or {}
    contexto = {
        "canal": canal,
        "titulo": config.get("titulo") or canal.nome,
        "saudacao": config.get("saudacao") or "Olá! Como podemos ajudar?",
        "cor": config.get("cor") or "#1f6feb",
        "pedir_nome": bool(config.get("pedir_nome", True)),
        "pedir_email": bool(config.get("pedir_email", False)),
        "horario": horario_legivel(canal),
        "webhook": reverse("canais:webhook", args=["webchat", canal.empresa_id]),
    }
    resposta = render(request, "webchat/embed.html", contexto)
    resposta._csp_replace = {"frame-ancestors": ["'self'", *_origens(canal)]}
    return resposta


@csrf_exempt
@require_POST
def sessao(request: HttpRequest, chave: str) -> JsonResponse:
    canal = _canal(chave)
    endereco = request.META.get("REMOTE_ADDR", "")
    if not limites.permitir_sessao(canal.identificador, endereco):
        return JsonResponse({"detail": "Tentativas demais; aguarde um minuto."}, status=429)
    try:
        dados = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"detail": "JSON inválido."}, status=400)
    if not isinstance(dados, dict):
        return JsonResponse({"detail": "O corpo deve ser um objeto JSON."}, status=400)
    nome = str(dados.get("nome") or "").strip()
    email = str(dados.get("email") or "").strip()
    if email and ("@" not in email or len(email) > 254):
        return JsonResponse(
            {"email": ["E-mail inválido."], "detail": "E-mail inválido."}, status=400
        )
    token, visitante = tokens.emitir(canal.identificador, nome=nome, email=email)
    return JsonResponse({"token": token, "visitante": visitante.id, "nome": visitante.nome})


@require_GET
def mensagens(request: HttpRequest, chave: str) -> JsonResponse:
    canal = _canal(chave)
    visitante = _visitante(request, canal)
    if visitante is None:
        return JsonResponse({"detail": "Token do visitante inválido."}, status=401)
    return JsonResponse({"results": conversa.historico(canal, visitante.id)})


@require_GET
def midia(request: HttpRequest, chave: str, mensagem_id) -> HttpResponse:
    canal = _canal(chave)
    mensagem = conversa.mensagem_da_url(canal, mensagem_id, request.GET.get("a", ""))
    if mensagem is None:
        raise Http404
    return _servir(
        mensagem.midia_arquivo,
        mensagem.midia_arquivo.name,
        mensagem.midia_mime,
        mensagem.midia_nome,
    )
