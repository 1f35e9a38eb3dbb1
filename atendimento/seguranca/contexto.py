"""Who is acting, for the audit trail: the current request (admin, inbox or API — DRF puts
its authenticated user on Django's request too) or a management command's declared actor."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils.translation import gettext_noop

_requisicao: ContextVar = ContextVar("requisicao_atual", default=None)
_ator: ContextVar = ContextVar("ator_atual", default=None)


@dataclass(frozen=True)
class Ator:
    usuario: object | None
    nome: str
    origem: str
    ip: str | None = None


class RequisicaoAtualMiddleware:
    """Keeps the request in a context variable while it is handled."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _requisicao.set(request)
        try:
            return self.get_response(request)
        finally:
            _requisicao.reset(token)


@contextlib.contextmanager
def agindo_como(nome: str, origem: str = gettext_noop("comando"), usuario=None):
    """Declare the actor of work done outside a request (management commands, tasks)."""
    token = _ator.set(Ator(usuario=usuario, nome=nome, origem=origem))
    try:
        yield
    finally:
        _ator.reset(token)


def ator_atual() -> Ator:
    declarado = _ator.get()
    if declarado is not None:
        return declarado
    requisicao = _requisicao.get()
    if requisicao is None:
        # stored untranslated (gettext_noop): the admin shows it in the reader's language
        return Ator(usuario=None, nome=gettext_noop("sistema"), origem=gettext_noop("sistema"))
    usuario = getattr(requisicao, "user", None)
    autenticado = usuario is not None and usuario.is_authenticated
    origem = (
        "admin"
        if requisicao.path.startswith("/admin/")
        else "api"
        if requisicao.path.startswith("/api/")
        else "web"
    )
    return Ator(
        usuario=usuario if autenticado else None,
        nome=usuario.get_username() if autenticado else gettext_noop("anônimo"),
        origem=origem,
        ip=requisicao.META.get("REMOTE_ADDR") or None,
    )
