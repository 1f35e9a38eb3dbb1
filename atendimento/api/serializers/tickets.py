from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atendimento.api.serializers.cadastros import ContatoSerializer
from atendimento.api.serializers.comum import EmailOuVazioField
from atendimento.api.serializers.mensagens import MensagemSerializer
from atendimento.api.serializers.representacao import (
    data_hora,
    decimal,
    fuso,
    inteiro,
    logico,
    texto,
    textos,
    uuid_texto,
)
from atendimento.models import Contato, Historico, Tag, Ticket
from ia.models import AIInsight

# ------------------------------------------------------------------------------- insights
SENTIMENTOS = ("positivo", "negativo", "neutro")
INTENCOES = ("duvida", "reclamacao", "elogio", "suporte", "cancelamento", "informacao")
URGENCIAS = ("baixa", "media", "alta", "critica")
RISCOS = ("baixo", "medio", "alto")


class SentimentoSerializer(serializers.Serializer):
    valor = serializers.ChoiceField(choices=SENTIMENTOS)
    score = serializers.FloatField(allow_null=True, min_value=-1, max_value=1)


class IntencaoSerializer(serializers.Serializer):
    valor = serializers.ChoiceField(choices=INTENCOES)
    confianca = serializers.FloatField(allow_null=True, min_value=0, max_value=1)


class ClassificacaoSerializer(serializers.Serializer):
    categoria = serializers.CharField()
    subcategoria = serializers.CharField()
    urgencia = serializers.ChoiceField(choices=URGENCIAS, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())


class ChurnSerializer(serializers.Serializer):
    risco = serializers.ChoiceField(choices=RISCOS)
    probabilidade = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
    motivos = serializers.ListField(child=serializers.CharField())


class InsightsSerializer(serializers.Serializer):
    """The latest AI analysis of a ticket (``sentimento``, ``intencao``, ``classificacao``,
    ``churn``…, the ticket's ``insights`` in ``docs/api.md``); a part the analysis did not
    produce is null."""

    sentimento = SentimentoSerializer(allow_null=True)
    intencao = IntencaoSerializer(allow_null=True)
    classificacao = ClassificacaoSerializer(allow_null=True)
    churn = ChurnSerializer(allow_null=True)
    criado_em = serializers.DateTimeField()

    def to_representation(self, dados: dict[str, Any]) -> dict[str, Any]:
        """The declared fields' output, written out (see ``representacao``)."""
        return representar_insights(dados, fuso())


def representar_insights(dados: dict[str, Any], tz) -> dict[str, Any]:
    sentimento, intencao = dados["sentimento"], dados["intencao"]
    classificacao, churn = dados["classificacao"], dados["churn"]
    return {
        "sentimento": None
        if sentimento is None
        else {"valor": texto(sentimento["valor"]), "score": decimal(sentimento["score"])},
        "intencao": None
        if intencao is None
        else {"valor": texto(intencao["valor"]), "confianca": decimal(intencao["confianca"])},
        "classificacao": None
        if classificacao is None
        else {
            "categoria": texto(classificacao["categoria"]),
            "subcategoria": texto(classificacao["subcategoria"]),
            "urgencia": texto(classificacao["urgencia"]),
            "tags": textos(classificacao["tags"]),
        },
        "churn": None
        if churn is None
        else {
            "risco": texto(churn["risco"]),
            "probabilidade": decimal(churn["probabilidade"]),
            "motivos": textos(churn["motivos"]),
        },
        "criado_em": data_hora(dados["criado_em"], tz),
    }


def _parte(resultado: dict, chave: str) -> dict:
    parte = resultado.get(chave)
    return parte if isinstance(parte, dict) else {}


def _numero(valor: Any, minimo: float, maximo: float) -> float | None:
    if isinstance(valor, int | float) and not isinstance(valor, bool) and minimo <= valor <= maximo:
        return float(valor)
    return None


def _textos(valor: Any) -> list[str]:
    return [str(item) for item in valor] if isinstance(valor, list) else []


def insights_de(insight: AIInsight | None) -> dict[str, Any] | None:
    """AIInsight columns (and the extra keys of ``resultado``) in the contract's shape."""
    if insight is None:
        return None
    resultado = insight.resultado if isinstance(insight.resultado, dict) else {}
    classificacao = _parte(resultado, "classificacao")
    churn = _parte(resultado, "churn")
    urgencia = insight.urgencia or classificacao.get("urgencia")
    return {
        "sentimento": {
            "valor": insight.sentimento,
            "score": _numero(insight.sentimento_score, -1, 1),
        }
        if insight.sentimento in SENTIMENTOS
        else None,
        "intencao": {
            "valor": insight.intencao,
            "confianca": _numero(insight.intencao_confianca, 0, 1),
        }
        if insight.intencao in INTENCOES
        else None,
        "classificacao": {
            "categoria": insight.categoria,
            "subcategoria": str(classificacao.get("subcategoria") or ""),
            "urgencia": urgencia if urgencia in URGENCIAS else None,
            "tags": _textos(classificacao.get("tags")),
        }
        if insight.categoria
        else None,
        "churn": {
            "risco": insight.churn_risco,
            "probabilidade": _numero(insight.churn_probabilidade, 0, 1),
            "motivos": _textos(churn.get("motivos")),
        }
        if insight.churn_risco in RISCOS
        else None,
        "criado_em": insight.criado_em,
    }


# ------------------------------------------------------------------------------- outputs
class ContatoResumoSerializer(serializers.ModelSerializer):
    email = EmailOuVazioField(read_only=True)

    class Meta:
        model = Contato
        fields = ["id", "nome", "telefone", "email"]
        read_only_fields = fields

    def to_representation(self, contato: Contato) -> dict[str, Any]:
        return representar_contato_resumo(contato)


def representar_contato_resumo(contato: Contato) -> dict[str, Any]:
    return {
        "id": uuid_texto(contato.id),
        "nome": texto(contato.nome),
        "telefone": texto(contato.telefone),
        "email": texto(contato.email),
    }


class TagResumoSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "nome", "cor"]
        read_only_fields = fields

    def to_representation(self, tag: Tag) -> dict[str, Any]:
        return representar_tag(tag)


def representar_tag(tag: Tag) -> dict[str, Any]:
    return {"id": uuid_texto(tag.id), "nome": texto(tag.nome), "cor": texto(tag.cor)}


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as the inbox list shows it."""

    canal_tipo = serializers.CharField(source="canal.tipo", read_only=True)
    fila_nome = serializers.CharField(source="fila.nome", read_only=True, allow_null=True)
    atendente_nome = serializers.CharField(source="atendente.nome", read_only=True, allow_null=True)
    contato = ContatoResumoSerializer(read_only=True)
    tags = TagResumoSerializer(many=True, read_only=True, source="tags_lista")
    insights = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "numero",
            "status",
            "prioridade",
            "canal",
            "canal_tipo",
            "fila",
            "fila_nome",
            "atendente",
            "atendente_nome",
            "contato",
            "assunto",
            "tags",
            "insights",
            "grupo",
            "titulo_conversa",
            "sla_primeira_resposta_em",
            "sla_proxima_resposta_em",
            "sla_resolucao_em",
            "sla_violado",
            "aguardando_desde",
            "primeira_resposta_em",
            "fechado_em",
            "motivo_fechamento",
            "reaberto_em",
            "ultima_mensagem_em",
            "ultima_mensagem_resumo",
            "nao_lidas",
            "total_mensagens",
            "criado_em",
            "atualizado_em",
        ]
        read_only_fields = fields

    @extend_schema_field(InsightsSerializer(allow_null=True))
    def get_insights(self, ticket: Ticket) -> dict[str, Any] | None:
        dados = self._dados_insights(ticket)
        return None if dados is None else InsightsSerializer(dados).data

    @staticmethod
    def _dados_insights(ticket: Ticket) -> dict[str, Any] | None:
        recentes = getattr(ticket, "insights_recentes", None)
        if recentes is None:
            recentes = list(ticket.insights_ia.order_by("-criado_em")[:1])
        return insights_de(recentes[0] if recentes else None)

    def representar_contato(self, ticket: Ticket) -> dict[str, Any] | None:
        contato = ticket.contato
        return None if contato is None else representar_contato_resumo(contato)

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        """The declared fields' output, written out (see ``representacao``): the list's
        per-row cost."""
        tz = fuso()
        fila, atendente = ticket.fila, ticket.atendente
        insights = self._dados_insights(ticket)
        return {
            "id": uuid_texto(ticket.id),
            "numero": inteiro(ticket.numero),
            "status": texto(ticket.status),
            "prioridade": texto(ticket.prioridade),
            "canal": ticket.canal_id,
            "canal_tipo": texto(ticket.canal.tipo),
            "fila": ticket.fila_id,
            "fila_nome": None if fila is None else texto(fila.nome),
            "atendente": ticket.atendente_id,
            "atendente_nome": None if atendente is None else texto(atendente.nome),
            "contato": self.representar_contato(ticket),
            "assunto": texto(ticket.assunto),
            "tags": [representar_tag(tag) for tag in ticket.tags_lista],
            "insights": None if insights is None else representar_insights(insights, tz),
            "grupo": logico(ticket.grupo),
            "titulo_conversa": texto(ticket.titulo_conversa),
            "sla_primeira_resposta_em": data_hora(ticket.sla_primeira_resposta_em, tz),
            "sla_proxima_resposta_em": data_hora(ticket.sla_proxima_resposta_em, tz),
            "sla_resolucao_em": data_hora(ticket.sla_resolucao_em, tz),
            "sla_violado": logico(ticket.sla_violado),
            "aguardando_desde": data_hora(ticket.aguardando_desde, tz),
            "primeira_resposta_em": data_hora(ticket.primeira_resposta_em, tz),
            "fechado_em": data_hora(ticket.fechado_em, tz),
            "motivo_fechamento": texto(ticket.motivo_fechamento),
            "reaberto_em": data_hora(ticket.reaberto_em, tz),
            "ultima_mensagem_em": data_hora(ticket.ultima_mensagem_em, tz),
            "ultima_mensagem_resumo": texto(ticket.ultima_mensagem_resumo),
            "nao_lidas": inteiro(ticket.nao_lidas),
            "total_mensagens": inteiro(ticket.total_mensagens),
            "criado_em": data_hora(ticket.criado_em, tz),
            "atualizado_em": data_hora(ticket.atualizado_em, tz),
        }


class HistoricoSerializer(serializers.ModelSerializer):
    atendente_nome = serializers.CharField(source="atendente.nome", read_only=True, allow_null=True)

    class Meta:
        model = Historico
        fields = ["id", "acao", "descricao", "dados", "atendente", "atendente_nome", "criado_em"]
        read_only_fields = fields

    def to_representation(self, historico: Historico) -> dict[str, Any]:
        """The declared fields' output, written out (see ``representacao``)."""
        atendente = historico.atendente
        return {
            "id": uuid_texto(historico.id),
            "acao": texto(historico.acao),
            "descricao": texto(historico.descricao),
            "dados": historico.dados,
            "atendente": historico.atendente_id,
            "atendente_nome": None if atendente is None else texto(atendente.nome),
            "criado_em": data_hora(historico.criado_em, fuso()),
        }


class TicketDetalheSerializer(TicketSerializer):
    """The ticket with its contact (and identities), latest 50 messages and history entries
    (oldest→newest) and latest AI insight."""

    contato = ContatoSerializer(read_only=True)
    mensagens = serializers.SerializerMethodField()
    historico = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "mensagens", "historico"]
        read_only_fields = fields

    def representar_contato(self, ticket: Ticket) -> dict[str, Any] | None:
        contato = ticket.contato
        if contato is None:
            return None
        return ContatoSerializer(context=self.context).to_representation(contato)

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        dados = super().to_representation(ticket)
        dados["mensagens"] = self.get_mensagens(ticket)
        dados["historico"] = self.get_historico(ticket)
        return dados

    @extend_schema_field(MensagemSerializer(many=True))
    def get_mensagens(self, ticket: Ticket) -> list[dict]:
        recentes = reversed(getattr(ticket, "mensagens_recentes", []))
        return MensagemSerializer(recentes, many=True, context=self.context).data

    @extend_schema_field(HistoricoSerializer(many=True))
    def get_historico(self, ticket: Ticket) -> list[dict]:
        recentes = reversed(getattr(ticket, "historico_recente", []))
        return HistoricoSerializer(recentes, many=True, context=self.context).data


# ------------------------------------------------------------------------------- inputs
class ContatoNovoSerializer(serializers.Serializer):
    nome = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    telefone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    email = EmailOuVazioField(default="")

    def validate(self, attrs):
        if not (attrs["nome"].strip() or attrs["telefone"].strip() or attrs["email"]):
            raise serializers.ValidationError(_("Informe ao menos nome, telefone ou e-mail."))
        return attrs


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "uuid"},
            {
                "type": "object",
                "properties": {
                    "nome": {"type": "string", "maxLength": 200},
                    "telefone": {"type": "string", "maxLength": 30},
                    "email": {"type": "string", "format": "email"},
                },
            },
        ],
        "description": "O id de um contato, ou os dados de um contato (achado ou criado).",
    }
)
class ContatoOuIdField(serializers.Field):
    default_error_messages = {
        "invalido": gettext_lazy("Informe o id de um contato ou um objeto de contato.")
    }

    def to_internal_value(self, data):
        if isinstance(data, dict):
            novo = ContatoNovoSerializer(data=data)
            novo.is_valid(raise_exception=True)
            return dict(novo.validated_data)
        if isinstance(data, str):
            return serializers.UUIDField().run_validation(data)
        self.fail("invalido")

    def to_representation(self, value):
        return value


class TicketCriarSerializer(serializers.Serializer):
    canal = serializers.UUIDField()
    contato = ContatoOuIdField()
    assunto = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    fila = serializers.UUIDField(required=False, allow_null=True, default=None)
    prioridade = serializers.ChoiceField(
        choices=Ticket.Prioridade.choices, required=False, default=Ticket.Prioridade.MEDIA
    )


class TicketAtualizarSerializer(serializers.Serializer):
    assunto = serializers.CharField(max_length=255, required=False, allow_blank=True)
    prioridade = serializers.ChoiceField(choices=Ticket.Prioridade.choices, required=False)
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in Ticket.Status if s != Ticket.Status.FECHADO],
        required=False,
    )


class AtribuirSerializer(serializers.Serializer):
    atendente_id = serializers.UUIDField(
        allow_null=True, help_text="null devolve o ticket à fila, sem atendente."
    )


class TransferirSerializer(serializers.Serializer):
    fila_id = serializers.UUIDField()
    atendente_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    motivo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class FecharSerializer(serializers.Serializer):
    motivo = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TagsAlterarSerializer(serializers.Serializer):
    adicionar = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=100
    )
    remover = serializers.ListField(
        child=serializers.UUIDField(), required=False, default=list, max_length=100
    )


# ------------------------------------------------------------------------------- AI (contract)
class FonteSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Id do artigo da base de conhecimento.")
    titulo = serializers.CharField()
    trecho = serializers.CharField()


class SugestaoRespostaSerializer(serializers.Serializer):
    resposta = serializers.CharField()
    confianca = serializers.FloatField(min_value=0, max_value=1)
    fontes = FonteSerializer(many=True, help_text="Melhor fonte primeiro.")
    provider = serializers.CharField(help_text="local | openai | anthropic")
    modelo = serializers.CharField()
    respondivel = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "Veredito do modelo externo: os trechos da base respondem à pergunta e citam ao "
            "menos uma fonte encontrada. Nulo no provedor local (sugestões offline nunca são "
            "enviadas sozinhas)."
        ),
    )
    sugestao_id = serializers.UUIDField(
        help_text=(
            "Id desta sugestão: envie-o em ``mensagens/enviar/`` com o texto usado, ou em "
            "``sugestao-resposta/descartar/``, para registrar o que o atendente fez com ela."
        )
    )


class DescartarSugestaoSerializer(serializers.Serializer):
    sugestao_id = serializers.UUIDField()


class DesfechoSugestaoSerializer(serializers.Serializer):
    sugestao_id = serializers.UUIDField(source="id")
    resultado = serializers.ChoiceField(choices=["pendente", "aceita", "editada", "rejeitada"])
    resultado_em = serializers.DateTimeField(allow_null=True)


class AnaliseAgendadaSerializer(serializers.Serializer):
    detail = serializers.CharField()
    ticket_id = serializers.UUIDField()


# ------------------------------------------------------------------------------- statistics
class TempoSerializer(serializers.Serializer):
    media_segundos = serializers.FloatField(allow_null=True)
    p90_segundos = serializers.FloatField(allow_null=True)


class PorFilaSerializer(serializers.Serializer):
    fila_id = serializers.UUIDField(allow_null=True)
    nome = serializers.CharField(allow_null=True)
    total = serializers.IntegerField()


class PorCanalSerializer(serializers.Serializer):
    canal_id = serializers.UUIDField()
    nome = serializers.CharField()
    tipo = serializers.CharField()
    total = serializers.IntegerField()


class SlaSerializer(serializers.Serializer):
    violados = serializers.IntegerField()
    primeira_resposta_violada = serializers.IntegerField()
    resolucao_violada = serializers.IntegerField()


class PorStatusSerializer(serializers.Serializer):
    aberto = serializers.IntegerField()
    em_atendimento = serializers.IntegerField()
    aguardando = serializers.IntegerField()
    fechado = serializers.IntegerField()


class EstatisticasSerializer(serializers.Serializer):
    de = serializers.DateField()
    ate = serializers.DateField()
    total = serializers.IntegerField()
    por_status = PorStatusSerializer()
    por_fila = PorFilaSerializer(many=True)
    por_canal = PorCanalSerializer(many=True)
    primeira_resposta = TempoSerializer()
    resolucao = TempoSerializer()
    sla = SlaSerializer()
