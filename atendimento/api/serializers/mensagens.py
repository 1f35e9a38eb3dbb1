from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atendimento.api.serializers.representacao import data_hora, fuso, logico, texto, uuid_texto
from atendimento.models import Mensagem
from atendimento.realtime.eventos import url_midia


class MidiaSerializer(serializers.Serializer):
    url = serializers.CharField()
    mime = serializers.CharField()
    tamanho = serializers.IntegerField(allow_null=True)
    nome = serializers.CharField()
    status = serializers.ChoiceField(choices=Mensagem.StatusMidia.choices)


class MensagemSerializer(serializers.ModelSerializer):
    midia = serializers.SerializerMethodField()

    class Meta:
        model = Mensagem
        fields = [
            "id",
            "ticket",
            "direcao",
            "remetente_tipo",
            "remetente_nome",
            "atendente",
            "tipo",
            "conteudo",
            "dados",
            "midia",
            "status",
            "erro_codigo",
            "erro_detalhe",
            "id_externo",
            "responder_a",
            "template",
            "data",
            "enviada_em",
            "entregue_em",
            "lida_em",
            "lida_pelo_atendente",
            "editada_em",
            "criado_em",
        ]
        read_only_fields = fields

    def to_representation(self, mensagem: Mensagem) -> dict:
        """The declared fields' output, written out (see ``representacao``): a conversation
        page is 50 of these."""
        tz = fuso()
        return {
            "id": uuid_texto(mensagem.id),
            "ticket": mensagem.ticket_id,
            "direcao": texto(mensagem.direcao),
            "remetente_tipo": texto(mensagem.remetente_tipo),
            "remetente_nome": texto(mensagem.remetente_nome),
            "atendente": mensagem.atendente_id,
            "tipo": texto(mensagem.tipo),
            "conteudo": texto(mensagem.conteudo),
            "dados": mensagem.dados,
            "midia": self.get_midia(mensagem),
            "status": texto(mensagem.status),
            "erro_codigo": texto(mensagem.erro_codigo),
            "erro_detalhe": texto(mensagem.erro_detalhe),
            "id_externo": texto(mensagem.id_externo),
            "responder_a": mensagem.responder_a_id,
            "template": mensagem.template_id,
            "data": data_hora(mensagem.data, tz),
            "enviada_em": data_hora(mensagem.enviada_em, tz),
            "entregue_em": data_hora(mensagem.entregue_em, tz),
            "lida_em": data_hora(mensagem.lida_em, tz),
            "lida_pelo_atendente": logico(mensagem.lida_pelo_atendente),
            "editada_em": data_hora(mensagem.editada_em, tz),
            "criado_em": data_hora(mensagem.criado_em, tz),
        }

    @extend_schema_field(MidiaSerializer(allow_null=True))
    def get_midia(self, mensagem: Mensagem) -> dict | None:
        if not mensagem.midia_status:
            return None
        return {
            "url": url_midia(mensagem),
            "mime": mensagem.midia_mime,
            "tamanho": mensagem.midia_tamanho,
            "nome": mensagem.midia_nome,
            "status": mensagem.midia_status,
        }


class EnviarSerializer(serializers.Serializer):
    ticket_id = serializers.UUIDField()
    conteudo = serializers.CharField(max_length=4096, required=False, allow_blank=True, default="")
    template_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    responder_a = serializers.UUIDField(required=False, allow_null=True, default=None)
    sugestao_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "Id da sugestão de IA (``sugestao_id`` de ``sugestao-resposta/``) de onde veio o "
            "texto: registra a sugestão como aceita (texto igual) ou editada."
        ),
    )

    def validate(self, attrs):
        if not attrs["conteudo"].strip() and attrs["template_id"] is None:
            raise serializers.ValidationError({"conteudo": [_("Informe o texto ou um template.")]})
        return attrs


class EnviarMidiaSerializer(serializers.Serializer):
    ticket_id = serializers.UUIDField()
    arquivo = serializers.FileField(allow_empty_file=False)
    legenda = serializers.CharField(max_length=1024, required=False, allow_blank=True, default="")


class MarcarLidaSerializer(serializers.Serializer):
    ticket_id = serializers.UUIDField(required=False)
    mensagem_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, min_length=1, max_length=500
    )

    def validate(self, attrs):
        if ("ticket_id" in attrs) == ("mensagem_ids" in attrs):
            raise serializers.ValidationError(_("Informe ticket_id ou mensagem_ids (apenas um)."))
        return attrs


class MarcadasSerializer(serializers.Serializer):
    marcadas = serializers.IntegerField()


class MensagensAntesSerializer(serializers.Serializer):
    antes = serializers.UUIDField(required=False)
