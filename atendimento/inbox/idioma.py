"""The language switch (inbox header and login page): Django's ``set_language`` (the cookie and
the redirect back), and for a signed-in agent also their stored preference, which their
notifications and e-mails (the daily summary among them) are written in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_supported_language_variant
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from atendimento.exceptions import NaoEncontrado
from atendimento.selectors.acesso import atendente_do_usuario
from atendimento.services.atendentes import atendente_definir_idioma


@require_POST
def idioma_trocar(request: HttpRequest) -> HttpResponse:
    resposta = set_language(request)
    codigo = request.POST.get("language") or ""
    if request.user.is_authenticated and codigo:
        try:
            atendente = atendente_do_usuario(request.user)
            idioma = get_supported_language_variant(codigo)
        except (NaoEncontrado, LookupError):  # not an agent (Django admin user), or unknown
            return resposta
        atendente_definir_idioma(atendente=atendente, idioma=idioma)
    return resposta


def ao_entrar(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: the language this browser already uses (its language cookie, set by
    the switch on the login page) becomes the agent's stored preference."""
    from django.conf import settings

    codigo = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if request is not None else ""
    if not codigo:
        return
    try:
        atendente = atendente_do_usuario(user)
        idioma = get_supported_language_variant(codigo)
    except (NaoEncontrado, LookupError):
        return
    atendente_definir_idioma(atendente=atendente, idioma=idioma)


class IdiomaDoAtendenteMiddleware:
    """After ``LocaleMiddleware`` and authentication: a signed-in agent whose browser has no
    language cookie yet (a new browser or device) reads the desk in their stored language
    instead of the browser's ``Accept-Language``.  The cookie, once set, decides (the switch
    sets both).  The agent's row is read through ``usuario.atendente``, which caches it on the
    user: the view's own lookup (``atendente_do_usuario``) then runs no second query."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        usuario = getattr(request, "user", None)
        if (
            settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and usuario is not None
            and usuario.is_authenticated
        ):
            try:
                atendente = atendente_do_usuario(usuario)
            except NaoEncontrado:  # not an agent (Django admin user), or inactive
                atendente = None
            if atendente is not None and atendente.idioma:
                translation.activate(atendente.idioma)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
