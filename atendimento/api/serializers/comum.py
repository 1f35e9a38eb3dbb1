from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class ErroSerializer(serializers.Serializer):
    """Every error: ``detail`` (and ``codigo`` for domain errors), plus one key per invalid
    field for validation errors."""

    detail = serializers.CharField(required=False)
    codigo = serializers.CharField(required=False)


class DetalheSerializer(serializers.Serializer):
    detail = serializers.CharField()


def validar_json_simples(valor: Any, *, profundidade: int = 0) -> Any:
    """JSON the database accepts: no NUL characters, bounded nesting."""
    if profundidade > 8:
        raise serializers.ValidationError(_("Estrutura aninhada demais."))
    if isinstance(valor, str):
        if "\x00" in valor:
            raise serializers.ValidationError(_("Caracteres nulos não são permitidos."))
    elif isinstance(valor, dict):
        for chave, item in valor.items():
            validar_json_simples(chave, profundidade=profundidade + 1)
            validar_json_simples(item, profundidade=profundidade + 1)
    elif isinstance(valor, list):
        for item in valor:
            validar_json_simples(item, profundidade=profundidade + 1)
    return valor


@extend_schema_field(OpenApiTypes.OBJECT)
class ObjetoJSONField(serializers.JSONField):
    """A JSON object (dict) stored in a JSONField."""

    default_error_messages = {"objeto": gettext_lazy("Informe um objeto JSON.")}

    def to_internal_value(self, data):
        valor = super().to_internal_value(data)
        if not isinstance(valor, dict):
            self.fail("objeto")
        return validar_json_simples(valor)


@extend_schema_field({"type": "array", "items": {}})
class ListaJSONField(serializers.JSONField):
    default_error_messages = {"lista": gettext_lazy("Informe uma lista JSON.")}

    def to_internal_value(self, data):
        valor = super().to_internal_value(data)
        if not isinstance(valor, list):
            self.fail("lista")
        return validar_json_simples(valor)


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}],
        "description": "E-mail, ou vazio.",
    }
)
class EmailOuVazioField(serializers.EmailField):
    """An optional e-mail: ``""`` when absent (the OpenAPI type says so)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class PeriodoSerializer(serializers.Serializer):
    """``?de=&ate=`` (inclusive dates in the empresa's calendar)."""

    de = serializers.DateField(required=False)
    ate = serializers.DateField(required=False)

    def validate(self, attrs):
        for campo in ("de", "ate"):
            valor = attrs.get(campo)
            if valor is not None and not 1900 <= valor.year <= 2999:
                raise serializers.ValidationError({campo: [_("Data fora do intervalo aceito.")]})
        if attrs.get("de") and attrs.get("ate") and attrs["de"] > attrs["ate"]:
            raise serializers.ValidationError({"ate": [_("Deve ser igual ou posterior a 'de'.")]})
        return attrs
