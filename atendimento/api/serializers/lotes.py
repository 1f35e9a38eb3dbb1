from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atendimento.api.serializers.comum import ObjetoJSONField
from atendimento.models import DestinatarioLote, EnvioLote
from atendimento.services.lote import limite_destinatarios, lote_progresso


class EnviarLoteSerializer(serializers.Serializer):
    canal = serializers.UUIDField(help_text="Canal por onde o lote sai.")
    contatos = serializers.ListField(
        child=serializers.UUIDField(),
        allow_empty=False,
        help_text="Contatos destinatários (descadastrados são pulados, com o motivo); no "
        "máximo LOTE_MAX_DESTINATARIOS (10.000 por padrão).",
    )
    template_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    conteudo = serializers.CharField(required=False, allow_blank=True, default="", max_length=4096)
    variaveis = ObjetoJSONField(
        required=False,
        default=dict,
        help_text='Valores das variáveis do template, ex. {"1": "{{contato.primeiro_nome}}"}.',
    )

    def validate_contatos(self, contatos: list) -> list:
        limite = limite_destinatarios()
        if len(contatos) > limite:
            raise serializers.ValidationError(
                _("Envie para no máximo %(n)s contatos por lote.") % {"n": limite}
            )
        return contatos

    def validate(self, attrs):
        if not attrs["conteudo"].strip() and attrs["template_id"] is None:
            raise serializers.ValidationError({"conteudo": ["Informe o texto ou um template."]})
        return attrs


class ProgressoSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    processados = serializers.IntegerField()
    percentual = serializers.FloatField()
    pendentes = serializers.IntegerField()
    enfileirados = serializers.IntegerField()
    ignorados = serializers.IntegerField()
    erros = serializers.IntegerField()
    entrega = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Mensagens criadas, por status de entrega (enviada, entregue, lida, erro…).",
    )


class EnvioLoteSerializer(serializers.ModelSerializer):
    canal = serializers.UUIDField(source="canal_id")
    template = serializers.UUIDField(source="template_id", allow_null=True)
    criado_por = serializers.UUIDField(source="criado_por_id", allow_null=True)
    progresso = serializers.SerializerMethodField()

    class Meta:
        model = EnvioLote
        fields = [
            "id", "canal", "template", "conteudo", "variaveis", "criado_por", "status",
            "taxa_por_segundo", "total", "progresso", "iniciado_em", "concluido_em",
            "criado_em", "atualizado_em",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ProgressoSerializer)
    def get_progresso(self, lote: EnvioLote) -> dict:
        return lote_progresso(lote)


class DestinatarioLoteSerializer(serializers.ModelSerializer):
    contato = serializers.UUIDField(source="contato_id")
    contato_nome = serializers.CharField(source="contato.nome")
    mensagem = serializers.UUIDField(source="mensagem_id", allow_null=True)
    ticket = serializers.SerializerMethodField()
    entrega = serializers.SerializerMethodField(
        help_text="Status da mensagem enviada (pendente, enviada, entregue, lida, erro)."
    )
    erro_detalhe = serializers.SerializerMethodField()

    class Meta:
        model = DestinatarioLote
        fields = [
            "id", "posicao", "contato", "contato_nome", "status", "motivo", "mensagem",
            "ticket", "entrega", "erro_detalhe", "processado_em",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_ticket(self, obj: DestinatarioLote):
        return obj.mensagem.ticket_id if obj.mensagem_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_entrega(self, obj: DestinatarioLote):
        return obj.mensagem.status if obj.mensagem_id else None

    @extend_schema_field(serializers.CharField())
    def get_erro_detalhe(self, obj: DestinatarioLote) -> str:
        return obj.mensagem.erro_detalhe if obj.mensagem_id else ""
