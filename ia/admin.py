from __future__ import annotations

from django.contrib import admin

from atendimento.admin.base import AdminEmpresa, InlineSomenteLeitura

from .models import AIInsight, AIMetrica, AIResposta, ArtigoConhecimento, TrechoConhecimento


class TrechoInline(InlineSomenteLeitura):
    model = TrechoConhecimento
    fields = ["ordem", "texto", "modelo_embedding"]
    show_change_link = False


@admin.register(ArtigoConhecimento)
class ArtigoConhecimentoAdmin(AdminEmpresa):
    list_display = ["titulo", "categoria", "ativo", "indexado_em", "atualizado_em"]
    list_filter = ["ativo", "categoria"]
    search_fields = ["titulo", "conteudo"]
    inlines = [TrechoInline]


@admin.register(AIInsight)
class AIInsightAdmin(AdminEmpresa):
    list_display = [
        "ticket",
        "tipo",
        "sentimento",
        "intencao",
        "churn_risco",
        "provider",
        "criado_em",
    ]
    list_filter = ["tipo", "sentimento", "intencao", "churn_risco", "provider"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AIResposta)
class AIRespostaAdmin(AIInsightAdmin):
    list_display = ["ticket", "confianca", "resultado", "provider", "modelo", "custo", "criado_em"]
    list_filter = ["resultado", "provider"]


@admin.register(AIMetrica)
class AIMetricaAdmin(AIInsightAdmin):
    list_display = [
        "data",
        "provider",
        "modelo",
        "funcionalidade",
        "chamadas",
        "tokens_entrada",
        "tokens_saida",
        "custo",
    ]
    list_filter = ["provider", "funcionalidade"]
    date_hierarchy = "data"
