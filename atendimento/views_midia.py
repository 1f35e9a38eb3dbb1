"""``/midia/<mensagem_id>/``: a message's file, only for users who may see its ticket.

Authentication: the browser session or ``Authorization: Bearer <JWT>``.  Anything the user may
not see (another empresa, another queue, no file) is 404.  Files are untrusted customer
uploads: ``nosniff``, a sandboxing CSP, and ``attachment`` for everything but plain
image/audio/video types.
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


@require_GET
def midia(request: HttpRequest, mensagem_id) -> HttpResponse:
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
        .exclude(midia_arquivo="")
        .first()
    )
    if mensagem is None or not ticket_visivel(atendente, mensagem.ticket):
        raise Http404
    try:
        arquivo = mensagem.midia_arquivo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    mime = (mensagem.midia_mime or "application/octet-stream").split(";")[0].strip().lower()
    resposta = FileResponse(
        arquivo,
        content_type=mensagem.midia_mime or "application/octet-stream",
        as_attachment=mime not in INLINE,
        filename=mensagem.midia_nome or mensagem.midia_arquivo.name.rsplit("/", 1)[-1],
    )
    resposta["X-Content-Type-Options"] = "nosniff"
    resposta["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resposta["Cache-Control"] = "private, max-age=3600"
    return resposta


urlpatterns = [path("<uuid:mensagem_id>/", midia, name="midia")]
