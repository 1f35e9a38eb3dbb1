"""Channels: ``config`` goes in whole (public keys and secrets) and comes back masked."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from atendimento.api.serializers.comum import ObjetoJSONField
from atendimento.models import Canal, Fila, OpcaoMenu
from atendimento.models.fila import ModoResposta
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


#: the channel's automation fields the API reads and writes (first-contact menu, bot policy)
CAMPOS_AUTOMACAO = (
    "menu_ativo",
    "menu_saudacao",
    "menu_opcao_invalida",
    "menu_tentativas",
    "menu_espera_min",
    "resposta_automatica",
)
MAX_OPCOES_MENU = 50


class OpcaoMenuSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpcaoMenu
        fields = ["numero", "rotulo", "fila", "sinonimos"]
        read_only_fields = fields


class OpcaoMenuEntradaSerializer(serializers.Serializer):
    numero = serializers.IntegerField(min_value=1, max_value=99)
    rotulo = serializers.CharField(max_length=60)
    fila = serializers.UUIDField()
    sinonimos = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="",
        help_text="Outras palavras que escolhem a opção, separadas por vírgula.",
    )  # fmt: skip


class AutomacaoCanalSerializer(serializers.Serializer):
    """The first-contact menu and the bot policy of a channel (all optional on writes)."""

    menu_ativo = serializers.BooleanField(required=False)
    menu_saudacao = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    menu_opcao_invalida = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    menu_tentativas = serializers.IntegerField(min_value=1, max_value=20, required=False)
    menu_espera_min = serializers.IntegerField(min_value=1, max_value=10080, required=False)
    resposta_automatica = serializers.ChoiceField(
        choices=ModoResposta.choices, allow_blank=True, required=False,
        help_text="Vazio: segue a política da fila do ticket.",
    )  # fmt: skip
    opcoes_menu = OpcaoMenuEntradaSerializer(
        many=True, required=False, max_length=MAX_OPCOES_MENU,
        help_text="Lista completa das opções do menu: substitui as atuais. `fila` é uma fila "
        "da empresa.",
    )  # fmt: skip

    def validate_opcoes_menu(self, opcoes: list[dict]) -> list[dict]:
        """Numbers unique; each ``fila`` becomes the empresa's :class:`Fila`. A missing or
        another empresa's queue is a 404, as for every id in a body (``docs/api.md``)."""
        erros: list[dict] = [{} for _o in opcoes]
        vistos: set[int] = set()
        for indice, opcao in enumerate(opcoes):
            opcao["rotulo"] = opcao["rotulo"].strip()
            if opcao["numero"] in vistos:
                erros[indice]["numero"] = [_("Número repetido no menu.")]
            vistos.add(opcao["numero"])
        ids = {o["fila"] for o in opcoes}
        filas = {f.pk: f for f in Fila.objects.filter(empresa=self.context["empresa"], pk__in=ids)}
        if ids - filas.keys():
            raise NotFound(_("Fila não encontrada."))
        for opcao in opcoes:
            opcao["fila"] = filas[opcao["fila"]]
        if any(erros):
            raise serializers.ValidationError(erros)
        return opcoes


class CanalSerializer(serializers.ModelSerializer):
    config = serializers.SerializerMethodField()
    url_webhook = serializers.SerializerMethodField()
    opcoes_menu = OpcaoMenuSerializer(many=True, read_only=True)
    resposta_automatica = serializers.ChoiceField(
        choices=ModoResposta.choices, allow_blank=True, read_only=True
    )

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
            *CAMPOS_AUTOMACAO,
            "opcoes_menu",
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


class CanalCriarSerializer(AutomacaoCanalSerializer):
    tipo = serializers.ChoiceField(choices=escolhas())
    nome = serializers.CharField(max_length=120)
    config = ConfigCanalField(required=False, default=dict)
    fila_padrao = serializers.UUIDField(required=False, allow_null=True, default=None)


class CanalAtualizarSerializer(AutomacaoCanalSerializer):
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
