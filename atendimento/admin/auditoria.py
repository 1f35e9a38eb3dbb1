from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from atendimento.models import RegistroAuditoria

from .base import AdminEmpresa


def _filtro_traduzido(campo: str, titulo):
    """A list filter over values stored in the source language, shown translated."""

    class Filtro(admin.SimpleListFilter):
        title = titulo
        parameter_name = campo

        def lookups(self, request, model_admin):
            valores = model_admin.get_queryset(request).values_list(campo, flat=True)
            return [(valor, gettext(valor)) for valor in sorted(set(valores)) if valor]

        def queryset(self, request, queryset):
            return queryset.filter(**{campo: self.value()}) if self.value() else queryset

    return Filtro


@admin.register(RegistroAuditoria)
class RegistroAuditoriaAdmin(AdminEmpresa):
    """The empresa's audit trail: read only, for its supervisors and admins."""

    list_display = ["criado_em", "quem", "de_onde", "acao", "tipo", "objeto_repr"]
    list_filter = [
        "acao",
        _filtro_traduzido("objeto_tipo", _("tipo de objeto")),
        _filtro_traduzido("origem", _("origem")),
    ]
    search_fields = ["usuario_nome", "objeto_repr", "detalhe"]
    date_hierarchy = "criado_em"
    readonly_fields = [
        "criado_em",
        "quem",
        "de_onde",
        "ip",
        "acao",
        "tipo",
        "objeto_id",
        "objeto_repr",
        "campos",
        "detalhe",
    ]
    fields = readonly_fields

    @admin.display(description=_("quem"), ordering="usuario_nome")
    def quem(self, obj: RegistroAuditoria) -> str:
        """A user's name as is; the actors without a user ("sistema", "anônimo") translated."""
        return obj.usuario_nome if obj.usuario_id else gettext(obj.usuario_nome)

    @admin.display(description=_("origem"), ordering="origem")
    def de_onde(self, obj: RegistroAuditoria) -> str:
        return gettext(obj.origem) if obj.origem else ""

    @admin.display(description=_("tipo de objeto"), ordering="objeto_tipo")
    def tipo(self, obj: RegistroAuditoria) -> str:
        return gettext(obj.objeto_tipo) if obj.objeto_tipo else ""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
