"""Contacts, quick replies, tags, knowledge-base articles and AI metrics."""

from __future__ import annotations

from decimal import ROUND_HALF_UP

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atendimento.api.serializers.comum import EmailOuVazioField, ListaJSONField, ObjetoJSONField
from atendimento.models import Contato, IdentidadeContato, Tag, Template
from ia.models import ArtigoConhecimento, RiscoChurn

COR = r"^#[0-9a-fA-F]{6}$"


class IdentidadeSerializer(serializers.ModelSerializer):
    class Meta:
        model = IdentidadeContato
        fields = ["id", "tipo", "valor", "nome_exibicao", "username"]
        read_only_fields = fields


class RiscoChurnSerializer(serializers.ModelSerializer):
    """The contact's current churn risk (recomputed daily, on each analysis of one of its
    tickets and when one is closed)."""

    atualizado_em = serializers.DateTimeField(
        source="calculado_em", read_only=True, help_text="Quando o risco foi calculado."
    )

    class Meta:
        model = RiscoChurn
        fields = ["risco", "probabilidade", "motivos", "atualizado_em"]
        read_only_fields = fields


class ContatoSerializer(serializers.ModelSerializer):
    """A contact and how it is known on each channel (identities are learnt from messages;
    ``telefone`` and ``email`` written here become identities too), with its churn risk
    (read-only; null until first computed)."""

    identidades = IdentidadeSerializer(many=True, read_only=True)
    risco_churn = serializers.SerializerMethodField()
    metadados = ObjetoJSONField(required=False)
    email = EmailOuVazioField()
    telefone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="Qualquer formato; guardado em E.164 (só dígitos), Brasil por padrão.",
    )

    class Meta:
        model = Contato
        fields = [
            "id",
            "nome",
            "telefone",
            "email",
            "observacoes",
            "metadados",
            "identidades",
            "risco_churn",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = ["id", "identidades", "risco_churn", "criado_em", "atualizado_em"]

    @extend_schema_field(RiscoChurnSerializer(allow_null=True))
    def get_risco_churn(self, contato: Contato) -> dict | None:
        # prefetched by the contacts selector (``riscos_churn``: no query per contact)
        riscos = getattr(contato, "riscos_churn", None)
        if riscos is None:
            riscos = list(contato.risco_churn.all()[:1])
        return RiscoChurnSerializer(riscos[0]).data if riscos else None


class TemplateSerializer(serializers.ModelSerializer):
    fila = serializers.UUIDField(
        source="fila_id", required=False, allow_null=True, help_text="Restrito a uma fila."
    )
    componentes = ListaJSONField(required=False)
    canal = serializers.UUIDField(
        source="canal_id", read_only=True, allow_null=True, help_text="Sincronizado deste canal."
    )
    atalho = serializers.RegexField(
        r"^/[\w\-]{1,59}$",
        required=False,
        allow_blank=True,
        help_text="Ex.: /saudacao",
        error_messages={"invalid": "O atalho começa com / e tem só letras, números, - ou _."},
    )

    class Meta:
        model = Template
        fields = [
            "id",
            "tipo",
            "nome",
            "atalho",
            "conteudo",
            "categoria",
            "fila",
            "nome_whatsapp",
            "idioma",
            "componentes",
            "ativo",
            "canal",
            "status",
            "motivo_status",
            "variaveis",
            "sincronizado_em",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = [
            "id", "canal", "status", "motivo_status", "variaveis", "sincronizado_em",
            "criado_em", "atualizado_em",
        ]  # fmt: skip


class TagSerializer(serializers.ModelSerializer):
    cor = serializers.RegexField(COR, required=False, help_text="Ex.: #64748b")

    class Meta:
        model = Tag
        fields = ["id", "nome", "cor", "descricao", "criado_em", "atualizado_em"]
        read_only_fields = ["id", "criado_em", "atualizado_em"]


@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 60}})
class TagsTextoField(serializers.ListField):
    child = serializers.CharField(max_length=60)


class ArtigoSerializer(serializers.ModelSerializer):
    tags = TagsTextoField(required=False, max_length=50)

    class Meta:
        model = ArtigoConhecimento
        fields = [
            "id",
            "titulo",
            "conteudo",
            "categoria",
            "tags",
            "ativo",
            "indexado_em",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = ["id", "indexado_em", "criado_em", "atualizado_em"]


# ------------------------------------------------------------------------------- AI metrics
class MetricaSerializer(serializers.Serializer):
    chamadas = serializers.IntegerField()
    erros = serializers.IntegerField()
    tokens_entrada = serializers.IntegerField()
    tokens_saida = serializers.IntegerField()
    custo = serializers.DecimalField(
        max_digits=20, decimal_places=6, rounding=ROUND_HALF_UP, help_text="Custo em US$."
    )
    custo_brl = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        rounding=ROUND_HALF_UP,
        help_text="Custo em reais, pela cotação do dia.",
    )
    latencia_media_ms = serializers.FloatField(allow_null=True)
    aceitas = serializers.IntegerField(help_text="Sugestões enviadas sem mudança.")
    editadas = serializers.IntegerField(help_text="Sugestões enviadas depois de editadas.")
    rejeitadas = serializers.IntegerField(help_text="Sugestões descartadas pelo atendente.")
    taxa_aceitacao = serializers.FloatField(
        allow_null=True,
        help_text="(aceitas + editadas) / (aceitas + editadas + rejeitadas); nulo sem avaliações.",
    )


class MetricaDiaSerializer(MetricaSerializer):
    data = serializers.DateField()
    provider = serializers.CharField()


class MetricaFuncionalidadeSerializer(MetricaDiaSerializer):
    funcionalidade = serializers.CharField()


class MetricasIASerializer(serializers.Serializer):
    de = serializers.DateField()
    ate = serializers.DateField()
    total = MetricaSerializer()
    resultados = MetricaDiaSerializer(many=True, help_text="Por dia e provedor.")
    por_funcionalidade = MetricaFuncionalidadeSerializer(
        many=True, help_text="Por dia, provedor e funcionalidade."
    )
