from __future__ import annotations

from django.contrib import admin

from atendimento.admin.base import AdminEmpresa, InlineSomenteLeitura, pode_administrar

from .models import (
    AIInsight,
    AIMetrica,
    AIResposta,
    ArtigoConhecimento,
    CotacaoMoeda,
    PrecoModeloIA,
    TrechoConhecimento,
)


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
    list_display = [
        "ticket",
        "funcionalidade",
        "confianca",
        "resultado",
        "provider",
        "modelo",
        "tokens_entrada",
        "tokens_saida",
        "latencia_ms",
        "custo",
        "criado_em",
    ]
    list_filter = ["funcionalidade", "resultado", "provider"]
    date_hierarchy = "criado_em"


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
        "custo_brl",
        "erros",
    ]
    list_filter = ["provider", "funcionalidade"]
    date_hierarchy = "data"


class TabelaPlataformaAdmin(admin.ModelAdmin):
    """Platform-wide tables (every empresa's costs depend on them): the empresa's
    administrators may read them, only a platform superuser edits them."""

    def has_module_permission(self, request):
        return pode_administrar(request)

    def has_view_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(PrecoModeloIA)
class PrecoModeloIAAdmin(TabelaPlataformaAdmin):
    list_display = [
        "provider",
        "modelo",
        "vigente_desde",
        "usd_entrada_por_milhao",
        "usd_cache_por_milhao",
        "usd_saida_por_milhao",
        "fonte",
    ]
    list_filter = ["provider"]
    search_fields = ["modelo"]


@admin.register(CotacaoMoeda)
class CotacaoMoedaAdmin(TabelaPlataformaAdmin):
    list_display = ["moeda", "vigente_desde", "valor", "fonte"]
    list_filter = ["moeda"]
