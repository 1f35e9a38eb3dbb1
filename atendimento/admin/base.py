"""Tenant scoping for the Django admin.

A supervisor (or the empresa's admin) is a staff user who sees and edits only their own
empresa's rows: querysets, foreign-key and many-to-many choices, inline rows and saves are all
restricted to it. A platform superuser sees everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from atendimento.models import Atendente, Empresa


def empresa_do_usuario(request: HttpRequest) -> Empresa | None:
    """The empresa a staff user administers; None for a platform superuser."""
    if request.user.is_superuser:
        return None
    try:
        atendente = request.user.atendente
    except (Atendente.DoesNotExist, AttributeError):
        return None
    return atendente.empresa if atendente.ativo else None


def pode_administrar(request: HttpRequest) -> bool:
    usuario = request.user
    if not (usuario.is_active and usuario.is_staff):
        return False
    if usuario.is_superuser:
        return True
    try:
        atendente = usuario.atendente
    except (Atendente.DoesNotExist, AttributeError):
        return False
    return atendente.ativo and atendente.gerencia_empresa


def _tem_empresa(model) -> bool:
    return any(f.name == "empresa" for f in model._meta.get_fields())


class EscopoEmpresaMixin:
    """Shared by ModelAdmin and inlines: everything filtered by the user's empresa."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        empresa = empresa_do_usuario(request)
        if empresa is None or not _tem_empresa(qs.model):
            return qs.none()
        return qs.filter(empresa=empresa)

    def _restringir(self, request, queryset):
        if request.user.is_superuser or queryset is None:
            return queryset
        empresa = empresa_do_usuario(request)
        if empresa is None:
            return queryset.none()
        if queryset.model is Empresa:
            return queryset.filter(pk=empresa.pk)
        if _tem_empresa(queryset.model):
            return queryset.filter(empresa=empresa)
        return queryset.none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        campo = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if campo is not None and hasattr(campo, "queryset"):
            campo.queryset = self._restringir(request, campo.queryset)
        return campo

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        campo = super().formfield_for_manytomany(db_field, request, **kwargs)
        if campo is not None and hasattr(campo, "queryset"):
            campo.queryset = self._restringir(request, campo.queryset)
        return campo

    def get_exclude(self, request, obj=None):
        excluir = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and _tem_empresa(self.model):
            excluir.append("empresa")
        return excluir

    def has_module_permission(self, request):
        return pode_administrar(request)

    def has_view_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_add_permission(self, request, *args):
        return pode_administrar(request)

    def has_change_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_delete_permission(self, request, obj=None):
        return pode_administrar(request)


class AdminEmpresa(EscopoEmpresaMixin, admin.ModelAdmin):
    list_per_page = 50

    def get_list_filter(self, request):
        filtros = list(super().get_list_filter(request))
        if request.user.is_superuser and _tem_empresa(self.model):
            filtros.insert(0, "empresa")
        return filtros

    def save_model(self, request, obj, form, change):
        empresa = empresa_do_usuario(request)
        if empresa is not None:
            obj.empresa = empresa
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instancias = formset.save(commit=False)
        for instancia in instancias:
            if _tem_empresa(type(instancia)) and not instancia.empresa_id:
                instancia.empresa_id = form.instance.empresa_id
            instancia.save()
        for removida in formset.deleted_objects:
            removida.delete()
        formset.save_m2m()


class InlineEmpresa(EscopoEmpresaMixin, admin.TabularInline):
    extra = 0


class InlineSomenteLeitura(InlineEmpresa):
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
