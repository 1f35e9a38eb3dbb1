from __future__ import annotations

from django.contrib import admin

from atendimento.models import Notificacao

from .base import AdminEmpresa


@admin.register(Notificacao)
class NotificacaoAdmin(AdminEmpresa):
    """What was sent to whom, and e-mails that failed: read only."""

    list_display = ["criado_em", "atendente", "tipo", "titulo", "lida_em", "email_enviado_em"]
    list_filter = ["tipo", "email_pedido"]
    search_fields = ["titulo", "corpo", "atendente__nome", "email_erro"]
    date_hierarchy = "criado_em"
    readonly_fields = [
        "criado_em",
        "atendente",
        "tipo",
        "titulo",
        "corpo",
        "ticket",
        "chave",
        "lida_em",
        "email_pedido",
        "email_enviado_em",
        "email_erro",
    ]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
