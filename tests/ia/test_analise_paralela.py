"""``analise_completa`` with an external provider: sentiment, intent and classification are
three calls in flight at the same time (the fake provider holds each request until all three
arrived, with a bounded wait, so calls made one after the other would not meet), each accounted
under its own feature; one failing falls back to the local analysis for that part only."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request

from atendimento.models import IntegracaoConfig
from ia.models import AIInsight, AIMetrica, AIResposta
from ia.provedores.sdk import cliente as clientes_sdk
from ia.services.analise import analise_completa
from tests.factories import MensagemFactory, TagFactory, TicketFactory

from .servidores_ia import ANTHROPIC, CHAVE, OPENAI, Encontro, tarefa_da_analise

pytestmark = pytest.mark.django_db

RESPOSTAS = {
    "sentimento": {"valor": "negativo", "score": -0.91},
    "intencao": {"valor": "cancelamento", "confianca": 0.97},
    "classificacao": {
        "categoria": "Cancelamento",
        "subcategoria": "Cancelamento por atraso na entrega",
        "urgencia": "alta",
        "tags": ["entrega", "inventada"],
        "motivos_churn": ["Pediu o cancelamento após atraso na entrega"],
    },
}
#: (tokens in, tokens out) each call reports
USO = {"sentimento": (300, 10), "intencao": (310, 12), "classificacao": (700, 60)}


@pytest.fixture(autouse=True)
def _clientes_novos():
    clientes_sdk.cache_clear()
    yield
    clientes_sdk.cache_clear()


@pytest.fixture
def servidor():
    """A fake provider that answers requests concurrently (the shared ``httpserver`` serves
    one request at a time, which would serialise the calls under test)."""
    servidor = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    servidor.start()
    yield servidor
    servidor.clear()
    servidor.stop()


@pytest.fixture
def ticket(empresa, canal_whatsapp, fila):
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)
    TagFactory(empresa=empresa, nome="entrega")
    MensagemFactory(
        ticket=ticket, conteudo="ja faz 20 dias e nada da entrega, quero cancelar essa porcaria"
    )
    return ticket


def _configurar(empresa, formato, servidor):
    IntegracaoConfig.objects.create(
        empresa=empresa, tipo="ia", configuracao={"provider": formato.nome}
    )
    IntegracaoConfig.objects.create(
        empresa=empresa,
        tipo=formato.nome,
        configuracao={
            "modelo": "gpt-4o-mini" if formato is OPENAI else "claude-haiku-4-5",
            "base_url": formato.base_url(servidor),
            "timeout": 20,
            "max_retries": 0,
        },
        segredos={"api_key": CHAVE},
    )


def _servir(servidor, formato, *, falhar: str = "") -> dict[str, bool]:
    """Answer each analysis call once all three are in flight; ``falhar`` names the call that
    gets a 400 instead. Returns, per call, whether it met the other two."""
    encontro = Encontro(3, espera=8)
    juntos: dict[str, bool] = {}

    def responder(request: Request):
        tarefa = tarefa_da_analise(request)
        juntos[tarefa] = encontro.chegar()
        if tarefa == falhar or not juntos[tarefa]:
            return formato.erro(400, "recusado")
        entrada, saida = USO[tarefa]
        return formato.ok(RESPOSTAS[tarefa], entrada=entrada, saida=saida)

    servidor.expect_request(formato.caminho, method="POST").respond_with_handler(responder)
    return juntos


def _chamadas(empresa, funcionalidade):
    return {
        (m.provider, m.chamadas, m.erros, m.tokens_entrada, m.tokens_saida)
        for m in AIMetrica.objects.filter(empresa=empresa, funcionalidade=funcionalidade)
    }


@pytest.mark.parametrize("formato", [OPENAI, ANTHROPIC], ids=lambda f: f.nome)
def test_tres_analises_simultaneas_cada_uma_contabilizada(ticket, servidor, formato):
    _configurar(ticket.empresa, formato, servidor)
    juntos = _servir(servidor, formato)

    insight = analise_completa(ticket)

    assert juntos == {"sentimento": True, "intencao": True, "classificacao": True}
    assert len(servidor.log) == 3
    assert insight.provider == formato.nome
    resultado = insight.resultado
    assert resultado["sentimento"] == {"valor": "negativo", "score": -0.91}
    assert resultado["intencao"] == {"valor": "cancelamento", "confianca": 0.97}
    assert resultado["classificacao"] == {
        "categoria": "Cancelamento",
        "subcategoria": "Cancelamento por atraso na entrega",
        "urgencia": "alta",
        "tags": ["entrega"],  # the empresa's own tags only
    }
    assert resultado["churn"]["motivos"] == ["Pediu o cancelamento após atraso na entrega"]
    assert resultado["provedores"] == dict.fromkeys(RESPOSTAS, formato.nome)
    for funcionalidade, (entrada, saida) in USO.items():
        assert _chamadas(ticket.empresa, funcionalidade) == {(formato.nome, 1, 0, entrada, saida)}
    # the three calls are the analysis' calls: not counted a fourth time
    assert not AIMetrica.objects.filter(funcionalidade="analise_completa").exists()
    log = AIResposta.objects.get(ticket=ticket, funcionalidade="analise_completa")
    assert (log.provider, log.tokens_entrada, log.tokens_saida) == (formato.nome, 1310, 82)
    assert log.custo > 0


@pytest.mark.parametrize("falhar", ["sentimento", "classificacao"])
def test_uma_analise_falha_so_ela_cai_para_local(ticket, servidor, falhar):
    _configurar(ticket.empresa, OPENAI, servidor)
    juntos = _servir(servidor, OPENAI, falhar=falhar)

    insight = analise_completa(ticket)

    assert all(juntos.values())
    assert insight.resultado["provedores"] == {
        tarefa: "local" if tarefa == falhar else "openai" for tarefa in RESPOSTAS
    }
    assert insight.provider == "openai"
    assert insight.intencao == "cancelamento"
    if falhar == "sentimento":
        assert insight.sentimento == "negativo"
        assert insight.sentimento_score != -0.91  # the local classifier's score
        assert insight.resultado["classificacao"]["subcategoria"] == (
            "Cancelamento por atraso na entrega"
        )
    else:
        assert insight.sentimento_score == -0.91
        assert insight.categoria == "Cancelamento"  # the local classification
        assert insight.resultado["classificacao"]["subcategoria"] != (
            "Cancelamento por atraso na entrega"
        )
    for tarefa, (entrada, saida) in USO.items():
        esperado = {("openai", 1, 0, entrada, saida)}
        if tarefa == falhar:
            esperado = {("openai", 1, 1, 0, 0), ("local", 1, 0, 0, 0)}
        assert _chamadas(ticket.empresa, tarefa) == esperado, tarefa
    assert AIInsight.objects.filter(ticket=ticket).count() == 1


def test_provedor_local_continua_uma_chamada_em_processo(ticket, servidor):
    insight = analise_completa(ticket)
    assert insight.provider == "local"
    assert insight.intencao == "cancelamento"
    assert servidor.log == []
    assert _chamadas(ticket.empresa, "analise_completa") == {("local", 1, 0, 0, 0)}
