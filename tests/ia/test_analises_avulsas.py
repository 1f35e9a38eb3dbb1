"""The single analyses (jobs ``analisar_sentimento``, ``detectar_intencao``,
``classificar_ticket``, ``predizer_churn``): offline by default, through the empresa's provider
when configured, each call accounted under its own feature."""

from __future__ import annotations

import pytest

from atendimento.models import IntegracaoConfig
from ia import tasks
from ia.models import AIMetrica
from ia.provedores.sdk import cliente as clientes_sdk
from tests.factories import MensagemFactory, TagFactory, TicketFactory

from .servidores_ia import ANTHROPIC, CHAVE, OPENAI, corpo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clientes_novos():
    clientes_sdk.cache_clear()
    yield
    clientes_sdk.cache_clear()


@pytest.fixture
def ticket(empresa, canal_whatsapp, fila):
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)
    MensagemFactory(ticket=ticket, conteudo="a internet caiu de novo, quero cancelar essa porcaria")
    return ticket


def _configurar(empresa, formato, httpserver):
    IntegracaoConfig.objects.create(
        empresa=empresa, tipo="ia", configuracao={"provider": formato.nome}
    )
    IntegracaoConfig.objects.create(
        empresa=empresa,
        tipo=formato.nome,
        configuracao={"modelo": "m-teste", "base_url": formato.base_url(httpserver)},
        segredos={"api_key": CHAVE},
    )


def _chamadas(empresa, funcionalidade):
    return {
        (m.provider, m.chamadas, m.erros)
        for m in AIMetrica.objects.filter(empresa=empresa, funcionalidade=funcionalidade)
    }


def test_offline(ticket):
    empresa_id = str(ticket.empresa_id)
    sentimento = tasks.analisar_sentimento.run("que atendimento horrivel", empresa_id)
    assert sentimento["valor"] == "negativo"
    assert -1 <= sentimento["score"] < 0
    intencao = tasks.detectar_intencao.run("quero cancelar meu plano", empresa_id)
    assert intencao["valor"] == "cancelamento"
    classificacao = tasks.classificar_ticket.run(str(ticket.id))
    assert classificacao["categoria"] == "Cancelamento"
    assert set(classificacao) == {"categoria", "subcategoria", "urgencia", "tags"}
    churn = tasks.predizer_churn.run(str(ticket.id))
    assert churn["risco"] in ("medio", "alto")
    assert "pediu para cancelar" in churn["motivos"]
    for funcionalidade in ("sentimento", "intencao", "classificacao", "churn"):
        assert _chamadas(ticket.empresa, funcionalidade) == {("local", 1, 0)}
    assert tasks.classificar_ticket.run("00000000-0000-0000-0000-000000000000") is None


def test_sentimento_e_intencao_pelo_provedor(ticket, httpserver):
    _configurar(ticket.empresa, OPENAI, httpserver)
    httpserver.expect_ordered_request(OPENAI.caminho).respond_with_response(
        OPENAI.ok({"valor": "positivo", "score": 0.71234})
    )
    httpserver.expect_ordered_request(OPENAI.caminho).respond_with_response(
        OPENAI.ok({"valor": "elogio", "confianca": 0.9})
    )
    empresa_id = str(ticket.empresa_id)
    assert tasks.analisar_sentimento.run("vcs sao feras", empresa_id) == {
        "valor": "positivo",
        "score": 0.712,
    }
    assert tasks.detectar_intencao.run("vcs sao feras", empresa_id) == {
        "valor": "elogio",
        "confianca": 0.9,
    }
    assert _chamadas(ticket.empresa, "sentimento") == {("openai", 1, 0)}
    assert _chamadas(ticket.empresa, "intencao") == {("openai", 1, 0)}
    # without an empresa: offline, whatever the environment says
    assert tasks.analisar_sentimento.run("vcs sao feras")["valor"] in ("positivo", "neutro")
    assert len(httpserver.log) == 2


def test_classificacao_pelo_provedor_so_com_tags_da_empresa(ticket, httpserver, outra_empresa):
    _configurar(ticket.empresa, ANTHROPIC, httpserver)
    TagFactory(empresa=ticket.empresa, nome="internet")
    TagFactory(empresa=outra_empresa, nome="segredo-alheio")
    httpserver.expect_request(ANTHROPIC.caminho).respond_with_response(
        ANTHROPIC.ok(
            {
                "sentimento": "negativo",
                "sentimento_score": -0.8,
                "intencao": "cancelamento",
                "intencao_confianca": 0.9,
                "categoria": "Cancelamento",
                "subcategoria": "Queda de internet",
                "urgencia": "alta",
                "tags": ["internet", "segredo-alheio"],
                "motivos_churn": [],
            }
        )
    )
    classificacao = tasks.classificar_ticket.run(str(ticket.id))
    assert classificacao == {
        "categoria": "Cancelamento",
        "subcategoria": "Queda de internet",
        "urgencia": "alta",
        "tags": ["internet"],
    }
    enviado = corpo(httpserver.log[0][0])
    assert "segredo-alheio" not in str(enviado)
    assert _chamadas(ticket.empresa, "classificacao") == {("anthropic", 1, 0)}


def test_churn_com_provedor_quebrado_cai_para_local(ticket, httpserver):
    _configurar(ticket.empresa, OPENAI, httpserver)
    httpserver.expect_request(OPENAI.caminho).respond_with_response(OPENAI.erro(400, "bad"))
    churn = tasks.predizer_churn.run(str(ticket.id))
    assert "pediu para cancelar" in churn["motivos"]
    assert _chamadas(ticket.empresa, "churn") == {("openai", 1, 1), ("local", 1, 0)}
