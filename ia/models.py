"""AI tables of the original design: insights, knowledge base (RAG over pgvector), answers log,
metrics."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import (
    SearchVector,
    SearchVectorField,
)
from django.db import models
from django.db.models import F, Func
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

from atendimento.models.base import ModeloEmpresa, chave_empresa
from atendimento.models.busca import LexemaEmpresa

from .constantes import DIMENSOES_EMBEDDING


class AIInsight(ModeloEmpresa):
    """One AI analysis of a ticket (sentiment, intent, classification, churn)."""

    class Tipo(models.TextChoices):
        SENTIMENTO = "sentimento", _("Sentimento")
        INTENCAO = "intencao", _("Intenção")
        CLASSIFICACAO = "classificacao", _("Classificação")
        CHURN = "churn", _("Risco de churn")
        COMPLETA = "completa", _("Análise completa")

    ticket = models.ForeignKey(
        "atendimento.Ticket",
        on_delete=models.CASCADE,
        related_name="insights_ia",
        verbose_name=_("ticket"),
    )
    mensagem = models.ForeignKey(
        "atendimento.Mensagem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mensagem"),
    )
    tipo = models.CharField(max_length=20, choices=Tipo.choices, verbose_name=_("tipo"))
    resultado = models.JSONField(default=dict, verbose_name=_("resultado"))
    sentimento = models.CharField(max_length=10, blank=True, verbose_name=_("sentimento"))
    sentimento_score = models.FloatField(
        null=True, blank=True, verbose_name=_("pontuação do sentimento")
    )
    intencao = models.CharField(_("intenção"), max_length=20, blank=True)
    intencao_confianca = models.FloatField(
        null=True, blank=True, verbose_name=_("confiança da intenção")
    )
    categoria = models.CharField(max_length=80, blank=True, verbose_name=_("categoria"))
    urgencia = models.CharField(_("urgência"), max_length=10, blank=True)
    churn_risco = models.CharField(max_length=10, blank=True, verbose_name=_("risco de churn"))
    churn_probabilidade = models.FloatField(
        null=True, blank=True, verbose_name=_("probabilidade de churn")
    )
    provider = models.CharField(max_length=20, verbose_name=_("provedor"))
    modelo = models.CharField(max_length=100, blank=True, verbose_name=_("modelo"))

    class Meta:
        db_table = "atendimento_ai_insights"
        verbose_name = _("insight de IA")
        verbose_name_plural = _("insights de IA")
        ordering = ["-criado_em"]
        indexes = [models.Index(fields=["ticket", "-criado_em"], name="insight_ticket")]

    def __str__(self) -> str:
        return f"{self.get_tipo_display()} #{self.ticket_id}"


class ArtigoConhecimento(ModeloEmpresa):
    """A knowledge-base article; split into TrechoConhecimento chunks for retrieval."""

    titulo = models.CharField(_("título"), max_length=255)
    conteudo = models.TextField(_("conteúdo"))
    categoria = models.CharField(max_length=80, blank=True, verbose_name=_("categoria"))
    tags = models.JSONField(default=list, blank=True, verbose_name=_("tags"))
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    indexado_em = models.DateTimeField(_("indexado em"), null=True, blank=True, editable=False)

    class Meta:
        db_table = "atendimento_base_conhecimento"
        verbose_name = _("artigo da base de conhecimento")
        verbose_name_plural = _("base de conhecimento")
        ordering = ["titulo"]
        constraints = [chave_empresa("atendimento_base_conhecimento")]

    def __str__(self) -> str:
        return self.titulo


class TrechoConhecimento(ModeloEmpresa):
    """A chunk of an article with its embedding (HNSW, cosine) and Portuguese full-text vector:
    hybrid search = vector similarity + ts_rank."""

    class Tipo(models.TextChoices):
        SECAO = "secao", _("seção")
        TITULO = "titulo", _("título")
        JANELA = "janela", _("janela de frases")

    artigo = models.ForeignKey(
        ArtigoConhecimento,
        on_delete=models.CASCADE,
        related_name="trechos",
        verbose_name=_("artigo"),
    )
    ordem = models.PositiveIntegerField(default=0, verbose_name=_("ordem"))
    #: Granularity: a section is what an answer quotes; the title and the sentence windows only
    #: help find the article (``ia/services/indexacao.py``).
    tipo = models.CharField(
        max_length=10, choices=Tipo.choices, default=Tipo.SECAO, verbose_name=_("tipo")
    )
    texto = models.TextField(verbose_name=_("texto"))
    embedding = VectorField(dimensions=DIMENSOES_EMBEDDING, null=True, verbose_name=_("embedding"))
    modelo_embedding = models.CharField(
        max_length=100, blank=True, verbose_name=_("modelo de embedding")
    )
    busca = models.GeneratedField(
        # Portuguese stemming on accent-folded text (migration 0003 creates both the
        # ``pt_unaccent`` configuration and the immutable ``ia_sem_acento`` function).
        # The empresa's lexeme (``LexemaEmpresa``) is appended for the tenant-filtered GIN scan.
        expression=SearchVector(Func(F("texto"), function="ia_sem_acento"), config="pt_unaccent")
        + LexemaEmpresa(F("empresa_id")),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("busca"),
    )

    class Meta:
        db_table = "atendimento_base_conhecimento_trechos"
        verbose_name = _("trecho da base de conhecimento")
        verbose_name_plural = _("trechos da base de conhecimento")
        ordering = ["artigo", "ordem"]
        indexes = [
            HnswIndex(
                name="trecho_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["busca"], name="trecho_busca_gin"),
            models.Index(fields=["empresa", "artigo"], name="trecho_empresa_artigo"),
        ]

    def __str__(self) -> str:
        return f"{self.artigo_id}#{self.ordem}"


class AIResposta(ModeloEmpresa):
    """Log of every AI call made for a ticket (suggested answers, analyses): what was asked, what
    came back, at what cost, and — for suggestions — what the agent did with it."""

    class Resultado(models.TextChoices):
        PENDENTE = "pendente", _("Pendente")
        ACEITA = "aceita", _("Aceita")
        EDITADA = "editada", _("Editada")
        REJEITADA = "rejeitada", _("Rejeitada")

    ticket = models.ForeignKey(
        "atendimento.Ticket",
        on_delete=models.CASCADE,
        related_name="respostas_ia",
        verbose_name=_("ticket"),
    )
    mensagem = models.ForeignKey(
        "atendimento.Mensagem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mensagem"),
    )
    funcionalidade = models.CharField(
        max_length=40, default="sugestao_resposta", verbose_name=_("funcionalidade")
    )
    pergunta = models.TextField(verbose_name=_("pergunta"))
    resposta = models.TextField(verbose_name=_("resposta"))
    confianca = models.FloatField(_("confiança"), default=0)
    fontes = models.JSONField(default=list, blank=True, verbose_name=_("fontes"))
    provider = models.CharField(max_length=20, verbose_name=_("provedor"))
    modelo = models.CharField(max_length=100, blank=True, verbose_name=_("modelo"))
    tokens_entrada = models.PositiveIntegerField(default=0, verbose_name=_("tokens de entrada"))
    tokens_saida = models.PositiveIntegerField(default=0, verbose_name=_("tokens de saída"))
    custo = models.DecimalField(max_digits=12, decimal_places=6, default=0, verbose_name=_("custo"))
    latencia_ms = models.PositiveIntegerField(_("latência (ms)"), default=0)
    resultado = models.CharField(
        max_length=10,
        choices=Resultado.choices,
        default=Resultado.PENDENTE,
        verbose_name=_("resultado"),
    )
    resultado_em = models.DateTimeField(_("resultado em"), null=True, blank=True)

    class Meta:
        db_table = "atendimento_ai_respostas"
        verbose_name = _("resposta de IA")
        verbose_name_plural = _("respostas de IA")
        ordering = ["-criado_em"]
        indexes = [
            models.Index(fields=["empresa", "criado_em"], name="ai_resposta_empresa_data"),
            models.Index(fields=["ticket", "-criado_em"], name="ai_resposta_ticket"),
        ]

    def __str__(self) -> str:
        return self.resposta[:60]


class AIMetrica(ModeloEmpresa):
    """Daily roll-up of AI usage per provider, model and feature (calls, tokens, cost)."""

    data = models.DateField(verbose_name=_("data"))
    provider = models.CharField(max_length=20, verbose_name=_("provedor"))
    modelo = models.CharField(max_length=100, blank=True, verbose_name=_("modelo"))
    funcionalidade = models.CharField(max_length=40, verbose_name=_("funcionalidade"))
    chamadas = models.PositiveIntegerField(default=0, verbose_name=_("chamadas"))
    erros = models.PositiveIntegerField(default=0, verbose_name=_("erros"))
    tokens_entrada = models.PositiveBigIntegerField(default=0, verbose_name=_("tokens de entrada"))
    tokens_saida = models.PositiveBigIntegerField(default=0, verbose_name=_("tokens de saída"))
    custo = models.DecimalField(_("custo (USD)"), max_digits=20, decimal_places=10, default=0)
    custo_brl = models.DecimalField(_("custo (BRL)"), max_digits=20, decimal_places=10, default=0)
    latencia_total_ms = models.PositiveBigIntegerField(
        default=0, verbose_name=_("latência total (ms)")
    )

    class Meta:
        db_table = "atendimento_ai_metricas"
        verbose_name = _("métrica de IA")
        verbose_name_plural = _("métricas de IA")
        ordering = ["-data"]
        constraints = [
            models.UniqueConstraint(
                fields=["empresa", "data", "provider", "modelo", "funcionalidade"],
                name="ai_metrica_dia_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.data} {self.provider} {self.funcionalidade}"


class PrecoModeloIA(models.Model):
    """Price of a provider's model in USD per million tokens, from ``vigente_desde`` on.

    Platform-wide (not per empresa): the price list of the providers. A call is priced with the
    row of its provider whose ``modelo`` is the longest prefix of the model that answered
    (``gpt-4o-mini`` prices ``gpt-4o-mini-2024-07-18``; an empty ``modelo`` prices every model
    of the provider, e.g. ``local``) and whose ``vigente_desde`` is the latest on or before the
    day of the call."""

    provider = models.CharField(max_length=20, verbose_name=_("provedor"))
    modelo = models.CharField(max_length=100, blank=True, verbose_name=_("modelo"))
    vigente_desde = models.DateField(_("vigente desde"))
    usd_entrada_por_milhao = models.DecimalField(
        _("USD por 1M tokens de entrada"), max_digits=12, decimal_places=6
    )
    usd_saida_por_milhao = models.DecimalField(
        _("USD por 1M tokens de saída"), max_digits=12, decimal_places=6
    )
    usd_cache_por_milhao = models.DecimalField(
        _("USD por 1M tokens de entrada lidos do cache"),
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Vazio: cobrados como entrada."),
    )
    fonte = models.CharField(max_length=255, blank=True, verbose_name=_("fonte"))

    class Meta:
        db_table = "atendimento_ai_precos"
        verbose_name = _("preço de modelo de IA")
        verbose_name_plural = _("preços de modelos de IA")
        ordering = ["provider", "modelo", "-vigente_desde"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "modelo", "vigente_desde"], name="ai_preco_vigencia_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(usd_entrada_por_milhao__gte=0)
                & models.Q(usd_saida_por_milhao__gte=0)
                & (
                    models.Q(usd_cache_por_milhao__isnull=True)
                    | models.Q(usd_cache_por_milhao__gte=0)
                ),
                name="ai_preco_nao_negativo",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.modelo or '*'} desde {self.vigente_desde}"


class CotacaoMoeda(models.Model):
    """How many units of ``moeda`` one US dollar buys, from ``vigente_desde`` on (platform-wide);
    AI costs are converted with the latest rate on or before the day of the call."""

    moeda = models.CharField(max_length=3, default="BRL", verbose_name=_("moeda"))
    vigente_desde = models.DateField(_("vigente desde"))
    valor = models.DecimalField(_("valor de 1 USD"), max_digits=12, decimal_places=6)
    fonte = models.CharField(max_length=255, blank=True, verbose_name=_("fonte"))

    class Meta:
        db_table = "atendimento_ai_cotacoes"
        verbose_name = _("cotação do dólar")
        verbose_name_plural = _("cotações do dólar")
        ordering = ["moeda", "-vigente_desde"]
        constraints = [
            models.UniqueConstraint(fields=["moeda", "vigente_desde"], name="ai_cotacao_uniq"),
            models.CheckConstraint(condition=models.Q(valor__gt=0), name="ai_cotacao_positiva"),
        ]

    def __str__(self) -> str:
        return f"USD→{self.moeda} {self.valor} desde {self.vigente_desde}"


class RiscoChurn(ModeloEmpresa):
    """A contact's current churn risk (one row per contact), recomputed daily, on every
    analysis of one of its tickets and when one is closed. ``alto_desde`` marks when the risk
    last turned high: the ``alerta_churn`` notice is sent once per such turn."""

    class Risco(models.TextChoices):
        BAIXO = "baixo", _("Baixo")
        MEDIO = "medio", _("Médio")
        ALTO = "alto", _("Alto")

    contato = models.ForeignKey(
        "atendimento.Contato",
        on_delete=models.CASCADE,
        related_name="risco_churn",
        verbose_name=_("contato"),
    )
    ticket = models.ForeignKey(
        "atendimento.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
        help_text=_("O ticket mais recente quando o risco foi calculado."),
    )
    risco = models.CharField(max_length=10, choices=Risco.choices, verbose_name=_("risco"))
    probabilidade = models.FloatField(_("probabilidade"))
    motivos = models.JSONField(default=list, blank=True, verbose_name=_("motivos"))
    calculado_em = models.DateTimeField(_("calculado em"))
    alto_desde = models.DateTimeField(_("alto desde"), null=True, blank=True)

    class Meta:
        db_table = "atendimento_ai_risco_churn"
        verbose_name = _("risco de churn")
        verbose_name_plural = _("riscos de churn")
        ordering = ["-probabilidade"]
        constraints = [
            models.UniqueConstraint(fields=["contato"], name="risco_churn_contato_uniq"),
        ]
        indexes = [models.Index(fields=["empresa", "risco"], name="risco_churn_empresa_risco")]

    def __str__(self) -> str:
        return f"{self.contato_id}: {self.risco}"
