from __future__ import annotations

from django.contrib import admin

from atendimento.models import Empresa

from .base import pode_administrar


@admin.register(Empresa)
class EmpresaAdmin(admin.ModelAdmin):
    """Platform superusers manage every empresa; a tenant's admin sees only their own."""

    list_display = ["nome", "slug", "ativo", "criado_em"]
    search_fields = ["nome", "slug"]
    readonly_fields = ["ultimo_numero_ticket"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        atendente = getattr(request.user, "atendente", None)
        return qs.filter(pk=atendente.empresa_id) if atendente else qs.none()

    def has_module_permission(self, request):
        return pode_administrar(request)

    def has_view_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_change_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
