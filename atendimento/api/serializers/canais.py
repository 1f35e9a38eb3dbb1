"""Channels: ``config`` goes in whole (public keys and secrets) and comes back masked."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atendimento.api.serializers.comum import ObjetoJSONField
from atendimento.models import Canal
from canais.registry import escolhas
from canais.services import config_mascarada

CAMINHO_WEBHOOK = "/api/atendimento/webhooks/{tipo}/{empresa_id}/"


def url_webhook(request, canal: Canal) -> str:
    caminho = CAMINHO_WEBHOOK.format(tipo=canal.tipo, empresa_id=canal.empresa_id)
    return request.build_absolute_uri(caminho) if request is not None else caminho


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": "Chaves do canal (as de cada tipo estão no README, “Pointing a channel at a "
        "provider”); segredos voltam mascarados (••••1234).",
    }
)
class ConfigCanalField(ObjetoJSONField):
    def to_internal_value(self, data):
        valor = super().to_internal_value(data)
        for chave, item in valor.items():
            if item is not None and not isinstance(item, str | int | float | bool):
                raise serializers.ValidationError({chave: _("Use texto, número ou booleano.")})
            if isinstance(item, str) and len(item) > 4000:
                raise serializers.ValidationError({chave: _("Valor longo demais.")})
        return valor


class CanalSerializer(serializers.ModelSerializer):
    config = serializers.SerializerMethodField()
    url_webhook = serializers.SerializerMethodField()

    class Meta:
        model = Canal
        fields = [
            "id",
            "tipo",
            "nome",
            "ativo",
            "config",
            "fila_padrao",
            "identificador",
            "url_webhook",
            "webhook_registrado_em",
            "ultimo_teste_em",
            "ultimo_teste_ok",
            "ultimo_teste_detalhe",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {},
        }
    )
    def get_config(self, canal: Canal) -> dict:
        return config_mascarada(canal)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url_webhook(self, canal: Canal) -> str:
        return url_webhook(self.context.get("request"), canal)


class CanalCriarSerializer(serializers.Serializer):
    tipo = serializers.ChoiceField(choices=escolhas())
    nome = serializers.CharField(max_length=120)
    config = ConfigCanalField(required=False, default=dict)
    fila_padrao = serializers.UUIDField(required=False, allow_null=True, default=None)


class CanalAtualizarSerializer(serializers.Serializer):
    nome = serializers.CharField(max_length=120, required=False)
    config = ConfigCanalField(
        required=False,
        help_text="Mesclada à atual: chave ausente mantém o valor; null remove; segredo vazio "
        "ou mascarado mantém o segredo guardado.",
    )
    fila_padrao = serializers.UUIDField(required=False, allow_null=True)


class ResultadoTesteSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detalhe = serializers.CharField(allow_blank=True)
    dados = serializers.DictField()


class SincronizacaoSerializer(serializers.Serializer):
    criados = serializers.IntegerField()
    atualizados = serializers.IntegerField()
    removidos = serializers.IntegerField(help_text="Apagados na Meta: desativados aqui.")
