"""AI tables of the seed: insights, knowledge base (RAG over pgvector), answers log, metrics."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

from atendimento.models.base import ModeloEmpresa, chave_empresa

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

    artigo = models.ForeignKey(
        ArtigoConhecimento,
        on_delete=models.CASCADE,
        related_name="trechos",
        verbose_name=_("artigo"),
    )
    ordem = models.PositiveIntegerField(default=0, verbose_name=_("ordem"))
    texto = models.TextField(verbose_name=_("texto"))
    embedding = VectorField(dimensions=DIMENSOES_EMBEDDING, null=True, verbose_name=_("embedding"))
    modelo_embedding = models.CharField(
        max_length=100, blank=True, verbose_name=_("modelo de embedding")
    )
    busca = models.GeneratedField(
        expression=SearchVector("texto", config="portuguese"),
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
    """Log of every suggested answer: what was asked, what came back, at what cost, and what the
    agent did with it."""

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

    class Meta:
        db_table = "atendimento_ai_respostas"
        verbose_name = _("resposta de IA")
        verbose_name_plural = _("respostas de IA")
        ordering = ["-criado_em"]

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
    custo = models.DecimalField(max_digits=14, decimal_places=6, default=0, verbose_name=_("custo"))
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
