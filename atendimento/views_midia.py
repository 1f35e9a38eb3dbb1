"""``/midia/<mensagem_id>/``: a message's file, only for users who may see its ticket.

Authentication: the browser session or ``Authorization: Bearer <JWT>``.  Anything the user may
not see (another empresa, another queue, no file) is 404.  Files are untrusted customer
uploads: ``nosniff``, a sandboxing CSP, and ``attachment`` for everything but plain
image/audio/video types.

``/midia/publica/<token>/`` serves one outbound attachment to a provider that fetches media by
URL (Twilio), without a session: the token is a signed, expiring reference to that one message
(:mod:`atendimento.services.midia_publica`); an expired one is 410, anything else 404.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from atendimento.exceptions import NaoEncontrado
from atendimento.models import Mensagem
from atendimento.selectors.acesso import atendente_do_usuario, ticket_visivel
from atendimento.services.midia_publica import MidiaPublicaExpirada, midia_publica_mensagem

#: shown inline; everything else (HTML, SVG, PDF, archives…) is downloaded
INLINE = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/opus",
        "video/mp4",
        "video/3gpp",
        "video/webm",
    }
)


def _usuario(request: HttpRequest):
    if request.user.is_authenticated:
        return request.user
    try:
        autenticado = JWTAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return autenticado[0] if autenticado else None


def _mensagem_visivel(request: HttpRequest, mensagem_id) -> Mensagem | HttpResponse:
    """The message if this user may see its ticket; a 401 response, or Http404."""
    usuario = _usuario(request)
    if usuario is None:
        return HttpResponse("Autenticação necessária.", status=401, content_type="text/plain")
    try:
        atendente = atendente_do_usuario(usuario)
    except NaoEncontrado:
        raise Http404 from None
    mensagem = (
        Mensagem.objects.select_related("ticket")
        .filter(pk=mensagem_id, empresa_id=atendente.empresa_id)
        .first()
    )
    if mensagem is None or not ticket_visivel(atendente, mensagem.ticket):
        raise Http404
    return mensagem


def _servir(
    arquivo_campo, nome_arquivo: str, mime: str, nome: str, *, cache: str = "private, max-age=3600"
) -> FileResponse:
    try:
        arquivo = arquivo_campo.storage.open(nome_arquivo, "rb")
    except FileNotFoundError:
        raise Http404 from None
    base = (mime or "application/octet-stream").split(";")[0].strip().lower()
    resposta = FileResponse(
        arquivo,
        content_type=mime or "application/octet-stream",
        as_attachment=base not in INLINE,
        filename=nome or nome_arquivo.rsplit("/", 1)[-1],
    )
    resposta["X-Content-Type-Options"] = "nosniff"
    resposta["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resposta["Cache-Control"] = cache
    return resposta


@require_GET
def midia(request: HttpRequest, mensagem_id) -> HttpResponse:
    mensagem = _mensagem_visivel(request, mensagem_id)
    if isinstance(mensagem, HttpResponse):
        return mensagem
    if not mensagem.midia_arquivo:
        raise Http404
    return _servir(
        mensagem.midia_arquivo, mensagem.midia_arquivo.name, mensagem.midia_mime,
        mensagem.midia_nome,
    )  # fmt: skip


@require_GET
def midia_inline(request: HttpRequest, mensagem_id, numero: int) -> HttpResponse:
    """An inline (``cid:``) image of an e-mail, with the same access rule as its message."""
    from atendimento.services.email_entrada import anexo_inline

    mensagem = _mensagem_visivel(request, mensagem_id)
    if isinstance(mensagem, HttpResponse):
        return mensagem
    anexo = anexo_inline(mensagem, numero)
    if anexo is None or str(anexo.get("mime") or "").lower() not in INLINE:
        raise Http404
    return _servir(
        mensagem.midia_arquivo, str(anexo["arquivo"]), str(anexo["mime"]), str(anexo.get("nome"))
    )


@require_GET
def midia_publica(request: HttpRequest, token: str) -> HttpResponse:
    try:
        mensagem = midia_publica_mensagem(token)
    except MidiaPublicaExpirada:
        return HttpResponse("Link expirado.", status=410, content_type="text/plain")
    if mensagem is None:
        raise Http404
    return _servir(
        mensagem.midia_arquivo, mensagem.midia_arquivo.name, mensagem.midia_mime,
        mensagem.midia_nome, cache="no-store",
    )  # fmt: skip


urlpatterns = [
    path("publica/<str:token>/", midia_publica, name="midia-publica"),
    path("<uuid:mensagem_id>/", midia, name="midia"),
    path("<uuid:mensagem_id>/inline/<int:numero>/", midia_inline, name="midia_inline"),
]
