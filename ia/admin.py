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
    RiscoChurn,
    TrechoConhecimento,
)
from .templatetags.ia_painel import ROTULOS

#: analysis fields stored as the contract's codes -> their ``ROTULOS`` group
ROTULADOS = {
    "sentimento": "sentimento",
    "intencao": "intencao",
    "urgencia": "urgencia",
    "churn_risco": "risco",
}


def _filtro_rotulado(campo: str, grupo: str) -> type[admin.SimpleListFilter]:
    """A list filter over the codes of ``campo`` that shows them in words."""

    class Filtro(admin.SimpleListFilter):
        title = AIInsight._meta.get_field(campo).verbose_name
        parameter_name = campo

        def lookups(self, request, model_admin):
            return list(ROTULOS[grupo].items())

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{campo: self.value()})
            return queryset

    return Filtro


def _exibir_rotulado(campo: str, grupo: str):
    """A column / read-only field that shows the code of ``campo`` in words."""

    @admin.display(description=AIInsight._meta.get_field(campo).verbose_name, ordering=campo)
    def exibir(obj):
        valor = getattr(obj, campo)
        return ROTULOS[grupo].get(valor, valor)

    return exibir


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


class AdminRegistroIA(AdminEmpresa):
    """What the AI recorded: read only."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AIInsight)
class AIInsightAdmin(AdminRegistroIA):
    list_display = [
        "ticket",
        "tipo",
        "sentimento_rotulo",
        "intencao_rotulo",
        "churn_risco_rotulo",
        "provider",
        "criado_em",
    ]
    list_filter = [
        "tipo",
        _filtro_rotulado("sentimento", "sentimento"),
        _filtro_rotulado("intencao", "intencao"),
        _filtro_rotulado("churn_risco", "risco"),
        "provider",
    ]
    fields = [
        "ticket",
        "mensagem",
        "tipo",
        "sentimento_rotulo",
        "sentimento_score",
        "intencao_rotulo",
        "intencao_confianca",
        "categoria",
        "urgencia_rotulo",
        "churn_risco_rotulo",
        "churn_probabilidade",
        "resultado",
        "provider",
        "modelo",
    ]
    readonly_fields = [f"{campo}_rotulo" for campo in ROTULADOS]

    sentimento_rotulo = staticmethod(_exibir_rotulado("sentimento", "sentimento"))
    intencao_rotulo = staticmethod(_exibir_rotulado("intencao", "intencao"))
    urgencia_rotulo = staticmethod(_exibir_rotulado("urgencia", "urgencia"))
    churn_risco_rotulo = staticmethod(_exibir_rotulado("churn_risco", "risco"))


@admin.register(AIResposta)
class AIRespostaAdmin(AdminRegistroIA):
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
class AIMetricaAdmin(AdminRegistroIA):
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
    date_hierarchy = "vigente_desde"
    search_fields = ["fonte"]


@admin.register(RiscoChurn)
class RiscoChurnAdmin(AIInsightAdmin):
    list_display = ["contato", "risco", "probabilidade", "calculado_em", "alto_desde"]
    list_filter = ["risco"]
    search_fields = ["contato__nome", "contato__telefone", "contato__email"]
