"""Who may call the API: an authenticated user with an active Atendente (``request.atendente``),
and for management actions an admin or supervisor.  Another empresa's rows never reach these
checks: the selectors answer 404 first."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from atendimento.exceptions import NaoEncontrado, SemPermissao
from atendimento.selectors.acesso import atendente_do_usuario


class AcessoAtendimento(BasePermission):
    """Authenticated, with an active Atendente; sets ``request.atendente``."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        try:
            request.atendente = atendente_do_usuario(request.user)
        except NaoEncontrado as exc:
            raise PermissionDenied(exc.detalhe) from None
        return True


def exigir_gestao(atendente) -> None:
    if not atendente.gerencia_empresa:
        raise SemPermissao(_("Apenas administradores e supervisores podem fazer isso."))


class GestaoEmpresa(BasePermission):
    """Actions listed in ``view.acoes_gestao`` (``"*"``: every action but reads) need an admin
    or supervisor.  On detail routes the object is looked up first (another empresa's id is
    404), then the role is checked (403)."""

    LEITURAS = frozenset({"list", "retrieve", "metadata"})

    def _exige(self, view) -> bool:
        acoes = getattr(view, "acoes_gestao", frozenset())
        if acoes == "*":
            return view.action not in self.LEITURAS
        return view.action in acoes

    def has_permission(self, request, view) -> bool:
        if self._exige(view) and not getattr(view, "detail", False):
            exigir_gestao(request.atendente)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if self._exige(view):
            exigir_gestao(request.atendente)
        return True
