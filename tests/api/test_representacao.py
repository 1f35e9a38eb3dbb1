"""The list serializers write their output by hand (``atendimento/api/serializers/
representacao.py``): each must give exactly what DRF's generic ``to_representation`` gives for
its declared fields, on rows that exercise every branch (nulls, nested objects, media, AI
insights complete and partial), in UTC and in a local time zone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from atendimento.api.serializers.mensagens import MensagemSerializer
from atendimento.api.serializers.tickets import (
    ContatoResumoSerializer,
    HistoricoSerializer,
    InsightsSerializer,
    TagResumoSerializer,
    TicketDetalheSerializer,
    TicketSerializer,
)
from atendimento.models import Historico, Mensagem, Ticket
from atendimento.selectors import tickets as sel_tickets
from ia.models import AIInsight
from tests.factories import MensagemFactory, TagFactory, TicketFactory

ESCRITOS_A_MAO = (
    TicketSerializer,
    TicketDetalheSerializer,
    ContatoResumoSerializer,
    TagResumoSerializer,
    InsightsSerializer,
    MensagemSerializer,
    HistoricoSerializer,
)


@pytest.fixture
def generico(monkeypatch):
    """Run ``funcao`` with DRF's generic field-by-field output on every hand-written class."""

    def rodar(funcao):
        with monkeypatch.context() as m:
            for classe in ESCRITOS_A_MAO:
                m.setattr(classe, "to_representation", serializers.Serializer.to_representation)
            return funcao()

    return rodar


def _json(dados) -> bytes:
    return JSONRenderer().render(dados)


@pytest.fixture
def variados(empresa, canal_whatsapp, fila, atendente):
    """Tickets covering the branches: bare; with queue, agent, tags, full AI insight; closed
    with SLA dates and a partial insight; and messages/history of every shape."""
    agora = timezone.now().replace(microsecond=123456)
    vazio = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=None, ultima_mensagem_em=None)
    cheio = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        atendente=atendente,
        status=Ticket.Status.EM_ATENDIMENTO,
        prioridade=Ticket.Prioridade.ALTA,
        nao_lidas=3,
        total_mensagens=7,
        ultima_mensagem_resumo="Oi, tudo bem?",
        sla_primeira_resposta_em=agora + timedelta(minutes=5),
        aguardando_desde=agora - timedelta(minutes=2),
    )
    cheio.tags.add(TagFactory(empresa=empresa, nome="vip"), TagFactory(empresa=empresa, nome="a"))
    AIInsight.objects.create(
        empresa=empresa,
        ticket=cheio,
        tipo=AIInsight.Tipo.COMPLETA,
        resultado={
            "classificacao": {"subcategoria": "entrega", "tags": ["atraso", 3]},
            "churn": {"motivos": ["atraso recorrente"]},
        },
        sentimento="negativo",
        sentimento_score=-0.8,
        intencao="reclamacao",
        intencao_confianca=1,
        categoria="logistica",
        urgencia="alta",
        churn_risco="alto",
        churn_probabilidade=0.7,
        provider="local",
    )
    fechado = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        status=Ticket.Status.FECHADO,
        fechado_em=agora,
        motivo_fechamento="resolvido",
        reaberto_em=agora - timedelta(days=1),
        primeira_resposta_em=agora - timedelta(days=2),
        sla_violado=True,
        grupo=True,
        titulo_conversa="Grupo da loja",
    )
    AIInsight.objects.create(
        empresa=empresa,
        ticket=fechado,
        tipo=AIInsight.Tipo.SENTIMENTO,
        sentimento="neutro",
        sentimento_score=None,
        intencao="desconhecida",
        provider="local",
    )
    entrada = MensagemFactory(ticket=cheio, dados={"a": [1, {"b": None}]}, data=agora)
    MensagemFactory(
        ticket=cheio,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo=Mensagem.Remetente.ATENDENTE,
        remetente_nome="Ana",
        atendente=atendente,
        tipo=Mensagem.Tipo.IMAGEM,
        conteudo="",
        status=Mensagem.Status.ERRO,
        erro_codigo="131047",
        erro_detalhe="Fora da janela",
        id_externo="wamid.X",
        responder_a=entrada,
        midia_mime="image/jpeg",
        midia_nome="foto.jpg",
        midia_tamanho=1234,
        midia_status=Mensagem.StatusMidia.DISPONIVEL,
        enviada_em=agora,
        entregue_em=agora,
        lida_em=agora,
        lida_pelo_atendente=True,
        editada_em=agora,
        data=agora + timedelta(seconds=1),
    )
    Historico.objects.create(empresa=empresa, ticket=cheio, acao=Historico.Acao.CRIADO)
    Historico.objects.create(
        empresa=empresa,
        ticket=cheio,
        acao=Historico.Acao.ATRIBUIDO,
        atendente=atendente,
        descricao="Atribuído",
        dados={"de": None, "para": str(atendente.id)},
    )
    return [vazio, cheio, fechado]


@pytest.mark.parametrize("fuso", ["America/Sao_Paulo", "UTC"])
def test_lista_igual_a_saida_generica_do_drf(variados, admin, generico, fuso):
    with timezone.override(fuso):
        lidos = list(sel_tickets.tickets_listar(atendente=admin).order_by("numero"))
        assert len(lidos) == 3
        rapida = TicketSerializer(lidos, many=True).data
        referencia = generico(lambda: TicketSerializer(lidos, many=True).data)
    assert rapida == referencia
    assert _json(rapida) == _json(referencia)  # same keys, same order, same values


@pytest.mark.parametrize("fuso", ["America/Sao_Paulo", "UTC"])
def test_detalhe_igual_a_saida_generica_do_drf(variados, admin, generico, fuso):
    with timezone.override(fuso):
        for ticket in variados:
            lido = sel_tickets.ticket_detalhe(atendente=admin, ticket_id=ticket.id)
            rapida = TicketDetalheSerializer(lido).data
            referencia = generico(lambda lido=lido: TicketDetalheSerializer(lido).data)
            assert _json(rapida) == _json(referencia)
            assert rapida == referencia


def test_casos_cobertos(variados, admin):
    """The fixture really exercises the branches the comparison relies on."""
    corpo = json.loads(
        _json(TicketSerializer(sel_tickets.tickets_listar(atendente=admin), many=True).data)
    )
    por_numero = {t["numero"]: t for t in corpo}
    vazio, cheio, fechado = (por_numero[t.numero] for t in variados)
    assert vazio["fila"] is None
    assert vazio["insights"] is None
    assert vazio["tags"] == []
    assert cheio["insights"]["classificacao"]["tags"] == ["atraso", "3"]
    assert [t["nome"] for t in cheio["tags"]] == ["a", "vip"]
    assert fechado["insights"]["sentimento"] == {"valor": "neutro", "score": None}
    assert fechado["insights"]["intencao"] is None
    detalhe = TicketDetalheSerializer(
        sel_tickets.ticket_detalhe(atendente=admin, ticket_id=variados[1].id)
    ).data
    assert detalhe["mensagens"][1]["midia"]["nome"] == "foto.jpg"
    assert {h["atendente_nome"] is None for h in detalhe["historico"]} == {True, False}
