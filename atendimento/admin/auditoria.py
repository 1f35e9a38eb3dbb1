from __future__ import annotations

from django.contrib import admin

from atendimento.models import RegistroAuditoria

from .base import AdminEmpresa


@admin.register(RegistroAuditoria)
class RegistroAuditoriaAdmin(AdminEmpresa):
    """The empresa's audit trail: read only, for its supervisors and admins."""

    list_display = ["criado_em", "usuario_nome", "origem", "acao", "objeto_tipo", "objeto_repr"]
    list_filter = ["acao", "objeto_tipo", "origem"]
    search_fields = ["usuario_nome", "objeto_repr", "detalhe"]
    date_hierarchy = "criado_em"
    readonly_fields = [
        "criado_em",
        "usuario_nome",
        "origem",
        "ip",
        "acao",
        "objeto_tipo",
        "objeto_id",
        "objeto_repr",
        "campos",
        "detalhe",
    ]
    exclude = ["usuario"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
