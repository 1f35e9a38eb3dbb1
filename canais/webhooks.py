"""The one inbound webhook view for every channel: ``/api/atendimento/webhooks/<tipo>/<empresa>/``.

adapter from the registry → raw body (capped) → channel of the URL's empresa, routed by the
adapter from the request → provider verification over the raw bytes → ``EventoWebhook`` stored
→ ``process_webhook`` queued after commit → 200.  Nothing is parsed beyond what routing needs,
no provider call is made, and nothing is stored for a request refused on the way
(unknown type/empresa/channel 404, bad signature 401/403, body over the adapter's
``limite_corpo_bytes`` — default WEBHOOK_MAX_BYTES — 413).  The 200 carries the adapter's
``confirmacao`` (``ok``; empty TwiML for Twilio).

Inactive channels: the request is still verified and stored (status ``ignorado``, never
processed) so nothing a provider delivered is lost, and the provider gets its 200.

The channel routed to (with its decrypted config) is kept per process for
``WEBHOOK_CACHE_CANAL_SEGUNDOS`` (default 5 s; 0 disables): the hot path then costs one INSERT
and one publish.  A secret rotated or a channel deactivated takes effect within that time.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from atendimento.models import Canal, EventoWebhook
from canais.adapters.base import AdaptadorCanal, RequisicaoRecusada, RequisicaoWebhook
from canais.registry import TipoCanalDesconhecido, classe_adaptador
from canais.webhooks_guardados import (
    PREFIXO_VERIFICADOS,
    evento_webhook_novo,
    evento_webhook_registrar,
)
from conectcrm.avisos import AvisoLimitado

logger = logging.getLogger(__name__)
#: while PostgreSQL is down every webhook fails the same way: one line per interval
aviso = AvisoLimitado(logger)

#: (empresa_id, tipo, identificador) -> (expires at, channel, its full config)
_CANAIS: dict[tuple[uuid.UUID, str, str], tuple[float, Canal, dict]] = {}
_CANAIS_MAX = 10_000


class PrecisaDoBanco(Exception):
    """The request cannot be prepared from the process's cache alone (see preparar_sem_banco)."""


def _canal_por_identificador(
    empresa_id: uuid.UUID, tipo: str, identificador: str, *, so_cache: bool = False
) -> tuple[Canal, dict] | None:
    chave = (empresa_id, tipo, identificador)
    validade = float(settings.WEBHOOK_CACHE_CANAL_SEGUNDOS)
    agora = time.monotonic()
    guardado = _CANAIS.get(chave) if validade > 0 else None
    if guardado is not None and guardado[0] > agora:
        return guardado[1], guardado[2]
    if so_cache:
        raise PrecisaDoBanco
    canal = Canal.objects.filter(
        empresa_id=empresa_id, tipo=tipo, identificador=identificador
    ).first()
    if canal is None:
        _CANAIS.pop(chave, None)
        return None
    config = canal.config_completa
    if validade > 0:
        if len(_CANAIS) >= _CANAIS_MAX:
            _CANAIS.clear()
        _CANAIS[chave] = (agora + validade, canal, config)
    return canal, config


def _resposta(status: int, texto: str = "", content_type: str = "text/plain") -> HttpResponse:
    return HttpResponse(texto, status=status, content_type=content_type)


def _ler_corpo(request: HttpRequest, classe: type[AdaptadorCanal]) -> bytes | None:
    """The raw body, or None when it is larger than the adapter's ``limite_corpo_bytes``
    (default WEBHOOK_MAX_BYTES), declared or actual."""
    limite = classe.limite_corpo_bytes or settings.WEBHOOK_MAX_BYTES
    try:
        declarado = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declarado = 0
    if declarado > limite:
        return None
    corpo = request.read(limite + 1)
    return None if len(corpo) > limite else corpo


def _requisicao(request: HttpRequest, corpo: bytes) -> RequisicaoWebhook:
    return RequisicaoWebhook(
        metodo=request.method or "",
        url=request.build_absolute_uri(),
        cabecalhos={
            nome.lower(): valor
            for nome, valor in request.headers.items()
            if not nome.lower().startswith(PREFIXO_VERIFICADOS)  # only adapters write those
        },
        corpo=corpo,
        query=request.GET.dict(),
    )


def _handshake(classe: type[AdaptadorCanal], empresa_id: uuid.UUID, req: RequisicaoWebhook):
    """GET verification (WhatsApp): the URL names no channel, so each channel of this type of
    the empresa is asked; the one whose verify token matches answers."""
    resposta = None
    for canal in Canal.objects.filter(empresa_id=empresa_id, tipo=classe.tipo):
        resposta = classe(canal.config_completa).handshake(req)
        if resposta is not None and resposta.status == 200:
            break
    if resposta is None:
        return _resposta(404)
    return _resposta(resposta.status, resposta.corpo, resposta.content_type)


def _canal_verificado(
    classe: type[AdaptadorCanal],
    empresa_id: uuid.UUID,
    req: RequisicaoWebhook,
    *,
    so_cache: bool = False,
) -> tuple[Canal, AdaptadorCanal]:
    """The channel the request is for, verified; RequisicaoRecusada otherwise.

    Routed by the adapter's keys (phone_number_id, hash of the secret header, the e-mail's
    recipients in order…): the first one that is a channel of the empresa.  A request the
    adapter cannot route (a malformed body) is matched against each configured channel of this
    type of the empresa, so a malformed body from a verified sender is still stored (and then
    marked ``falhou``) while an unverifiable one is refused.
    """
    candidatos = classe.identificadores_da_requisicao(req)
    if candidatos:
        encontrado = None
        for identificador in candidatos:  # an e-mail names several recipients: the first ours
            encontrado = _canal_por_identificador(
                empresa_id, classe.tipo, identificador, so_cache=so_cache
            )
            if encontrado is not None:
                break
        if encontrado is None:
            raise RequisicaoRecusada("canal desconhecido", status=404)
        canal, config = encontrado
        adaptador = classe(config)
        adaptador.verificar(req)
        return canal, adaptador
    if so_cache:
        raise PrecisaDoBanco
    recusa = RequisicaoRecusada("canal desconhecido", status=404)
    canais = Canal.objects.filter(empresa_id=empresa_id, tipo=classe.tipo).exclude(identificador="")
    for canal in canais:
        adaptador = classe(canal.config_completa)
        try:
            adaptador.verificar(req)
        except RequisicaoRecusada as exc:
            recusa = exc
            continue
        return canal, adaptador
    raise recusa


def _verificada(
    classe: type[AdaptadorCanal], empresa_id: uuid.UUID, req: RequisicaoWebhook, *, so_cache=False
) -> tuple[Canal, AdaptadorCanal, RequisicaoWebhook]:
    """The channel, its adapter and the request with the headers the verification vouches for."""
    canal, adaptador = _canal_verificado(classe, empresa_id, req, so_cache=so_cache)
    verificados = adaptador.cabecalhos_verificados(req)
    if verificados:
        req = replace(req, cabecalhos={**req.cabecalhos, **verificados})
    return canal, adaptador, req


@csrf_exempt
def webhook(request: HttpRequest, tipo: str, empresa_id: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return _resposta(405)
    try:
        classe = classe_adaptador(tipo)
        empresa_uuid = uuid.UUID(empresa_id)
    except (TipoCanalDesconhecido, ValueError):
        return _resposta(404)
    corpo = _ler_corpo(request, classe)
    if corpo is None:
        return _resposta(413)
    req = _requisicao(request, corpo)
    try:
        if request.method == "GET":
            return _handshake(classe, empresa_uuid, req)
        canal, adaptador, req = _verificada(classe, empresa_uuid, req)
        evento_webhook_registrar(canal=canal, req=req, id_evento=adaptador.id_evento(req))
    except RequisicaoRecusada as exc:
        logger.info("webhook %s recusado (%s): %s", tipo, exc.status, exc.detalhe)
        return _resposta(exc.status)
    except DatabaseError as exc:
        aviso("banco", "webhooks não armazenados (%s…): banco indisponível, 503", tipo, exc=exc)
        return _resposta(503)  # not stored: the provider must retry
    except Exception:  # an adapter bug must not become a 500 nor a silent loss
        logger.exception("erro inesperado no webhook %s", tipo)
        return _resposta(503)
    confirmacao = classe.confirmacao(req)
    return _resposta(confirmacao.status, confirmacao.corpo, confirmacao.content_type)


def preparar_sem_banco(
    request: HttpRequest, tipo: str, empresa_id: str
) -> HttpResponse | tuple[EventoWebhook, HttpResponse]:
    """What :func:`webhook` does for a POST up to the storing, from the process's caches
    only — no database, no blocking call — for the ASGI webhook path, which runs it in the
    event loop (``conectcrm.ponte_webhooks``): the answer to a refused request, or the row
    to store and the answer to give once it is durable.  Raises :class:`PrecisaDoBanco` when
    the channel is not cached (or the request names none); any other exception also means
    "use the full view" (nothing was written)."""
    if not settings.WEBHOOK_GRAVACAO_EM_GRUPO:
        raise PrecisaDoBanco
    try:
        classe = classe_adaptador(tipo)
        empresa_uuid = uuid.UUID(empresa_id)
    except (TipoCanalDesconhecido, ValueError):
        return _resposta(404)
    if not classe.verificacao_local:
        raise PrecisaDoBanco
    corpo = _ler_corpo(request, classe)
    if corpo is None:
        return _resposta(413)
    req = _requisicao(request, corpo)
    try:
        canal, adaptador, req = _verificada(classe, empresa_uuid, req, so_cache=True)
    except RequisicaoRecusada as exc:
        logger.info("webhook %s recusado (%s): %s", tipo, exc.status, exc.detalhe)
        return _resposta(exc.status)
    evento = evento_webhook_novo(canal=canal, req=req, id_evento=adaptador.id_evento(req))
    confirmacao = classe.confirmacao(req)
    return evento, _resposta(confirmacao.status, confirmacao.corpo, confirmacao.content_type)


def resposta_falha_ao_gravar(tipo: str, exc: BaseException) -> HttpResponse:
    """The answer when storing failed (as :func:`webhook` answers it): 503, logged."""
    if isinstance(exc, DatabaseError):
        aviso("banco", "webhooks não armazenados (%s…): banco indisponível, 503", tipo, exc=exc)
    else:
        logger.error("erro inesperado no webhook %s", tipo, exc_info=exc)
    return _resposta(503)
