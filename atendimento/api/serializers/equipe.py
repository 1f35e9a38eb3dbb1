"""Queues and agents."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atendimento.api.serializers.comum import EmailOuVazioField
from atendimento.models import Atendente, Fila

DIAS = ("seg", "ter", "qua", "qui", "sex", "sab", "dom")
_HORA = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@extend_schema_field(
    {
        "type": "object",
        "description": 'Ex.: {"seg": ["08:00", "18:00"], ..., "feriados": ["2026-12-25"]}',
        "properties": {
            **{
                dia: {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}
                for dia in DIAS
            },
            "feriados": {"type": "array", "items": {"type": "string", "format": "date"}},
        },
        "additionalProperties": False,
    }
)
class HorarioField(serializers.JSONField):
    """Opening hours per weekday (``"HH:MM"`` start and end) and holidays."""

    def to_internal_value(self, data):
        valor = super().to_internal_value(data)
        if not isinstance(valor, dict):
            raise serializers.ValidationError(_("Informe um objeto."))
        erros = {}
        for chave, item in valor.items():
            if chave == "feriados":
                if not isinstance(item, list) or not all(self._data(d) for d in item):
                    erros[chave] = _("Lista de datas AAAA-MM-DD.")
            elif chave in DIAS:
                if not (
                    isinstance(item, list)
                    and len(item) == 2
                    and all(isinstance(h, str) and _HORA.match(h) for h in item)
                    and item[0] < item[1]
                ):
                    erros[chave] = _('Use ["HH:MM", "HH:MM"] com início antes do fim.')
            else:
                erros[str(chave)[:20]] = f"Chave desconhecida; use {', '.join(DIAS)} ou feriados."
        if erros:
            raise serializers.ValidationError(erros)
        return valor

    @staticmethod
    def _data(valor) -> bool:
        try:
            date.fromisoformat(valor)
        except (TypeError, ValueError):
            return False
        return isinstance(valor, str) and len(valor) == 10


class MembroFilaSerializer(serializers.Serializer):
    atendente_id = serializers.UUIDField()
    fila_id = serializers.UUIDField()
    nome = serializers.CharField()
    prioridade = serializers.IntegerField()


class FilaSerializer(serializers.ModelSerializer):
    horario = HorarioField(required=False)
    cor = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False, help_text="Ex.: #2563eb")
    atendentes = serializers.SerializerMethodField()
    tickets_abertos = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Fila
        fields = [
            "id",
            "nome",
            "descricao",
            "cor",
            "ordem",
            "ativo",
            "distribuicao",
            "sla_primeira_resposta_min",
            "sla_resolucao_min",
            "horario",
            "reabertura",
            "janela_reabertura_horas",
            "sla_proxima_resposta_min",
            "sla_prioridades",
            "devolver_se_offline",
            "assumir_ao_responder",
            "manter_atendente",
            "fechar_aguardando_horas",
            "mensagem_fechamento",
            "mensagem_fora_horario",
            "resposta_automatica",
            "confianca_minima",
            "mensagem_transferencia",
            "atendentes",
            "tickets_abertos",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = ["id", "atendentes", "tickets_abertos", "criado_em", "atualizado_em"]
        extra_kwargs = {
            "sla_primeira_resposta_min": {"min_value": 1, "max_value": 525600},
            "sla_resolucao_min": {"min_value": 1, "max_value": 5256000},
            "sla_proxima_resposta_min": {"min_value": 1, "max_value": 525600},
            "fechar_aguardando_horas": {"min_value": 1, "max_value": 8760},
            "mensagem_fechamento": {"max_length": 4096},
            "mensagem_fora_horario": {"max_length": 4096},
            "janela_reabertura_horas": {"max_value": 8760},
            "ordem": {"max_value": 32767},
        }

    @extend_schema_field(MembroFilaSerializer(many=True))
    def get_atendentes(self, fila: Fila) -> list[dict]:
        return [
            {
                "atendente_id": membro.atendente_id,
                "fila_id": membro.fila_id,
                "nome": membro.atendente.nome,
                "prioridade": membro.prioridade,
            }
            for membro in fila.membros.all()
        ]


class FilaAtendenteSerializer(serializers.Serializer):
    atendente_id = serializers.UUIDField()
    prioridade = serializers.IntegerField(required=False, min_value=0, max_value=32767)


class EstatisticasAtendenteSerializer(serializers.Serializer):
    tickets_abertos = serializers.IntegerField()
    fechados_hoje = serializers.IntegerField()
    tempo_medio_primeira_resposta_segundos = serializers.FloatField(allow_null=True)


class AtendenteSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="usuario.username", read_only=True)
    email = EmailOuVazioField(read_only=True)
    idioma = serializers.ChoiceField(choices=settings.LANGUAGES, allow_blank=True, read_only=True)
    filas = serializers.SerializerMethodField()
    estatisticas = serializers.SerializerMethodField()

    class Meta:
        model = Atendente
        fields = [
            "id",
            "username",
            "nome",
            "email",
            "papel",
            "status",
            "status_alterado_em",
            "capacidade",
            "ativo",
            "idioma",
            "filas",
            "estatisticas",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_filas(self, atendente: Atendente) -> list:
        return [membro.fila_id for membro in atendente.membros_fila.all()]

    @extend_schema_field(EstatisticasAtendenteSerializer)
    def get_estatisticas(self, atendente: Atendente) -> dict:
        media = getattr(atendente, "tempo_medio_primeira_resposta", None)
        return {
            "tickets_abertos": getattr(atendente, "tickets_abertos", 0),
            "fechados_hoje": getattr(atendente, "fechados_hoje", 0),
            "tempo_medio_primeira_resposta_segundos": round(media.total_seconds(), 1)
            if media is not None
            else None,
        }


class AtendenteCriarSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, write_only=True, style={"input_type": "password"}
    )
    nome = serializers.CharField(max_length=150)
    email = EmailOuVazioField(default="")
    papel = serializers.ChoiceField(
        choices=Atendente.Papel.choices, default=Atendente.Papel.ATENDENTE
    )
    capacidade = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    filas = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=100
    )


class AtendenteAtualizarSerializer(serializers.Serializer):
    nome = serializers.CharField(max_length=150, required=False)
    email = EmailOuVazioField()
    papel = serializers.ChoiceField(choices=Atendente.Papel.choices, required=False)
    capacidade = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    ativo = serializers.BooleanField(required=False)
    idioma = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        allow_blank=True,
        required=False,
        help_text="Língua das notificações e e-mails da pessoa; vazio: a padrão do sistema.",
    )
    password = serializers.CharField(max_length=128, write_only=True, required=False)
    filas = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100)


class StatusAtendenteSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Atendente.Status.choices)
