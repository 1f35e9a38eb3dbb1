"""``ia/metricas/`` from outside: real calls counted, cost in USD and BRL, acceptance of the
suggested replies per day / provider / feature, filters, and the tenant boundary."""

from __future__ import annotations

import datetime as dt
import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from atendimento.models import Ticket
from ia.models import AIMetrica, AIResposta, CotacaoMoeda, PrecoModeloIA
from ia.services.registro import registrar_chamada
from tests.factories import MensagemFactory, TicketFactory

from .conftest import API

pytestmark = pytest.mark.django_db

URL = f"{API}/ia/metricas/"


@pytest.fixture(autouse=True)
def precos(db):
    PrecoModeloIA.objects.all().delete()
    CotacaoMoeda.objects.all().delete()
    importlib.import_module("ia.migrations.0006_precos_iniciais").semear(apps, None)


def _resposta(ticket, resultado, provider="openai", funcionalidade="sugestao_resposta", **k):
    return AIResposta.objects.create(
        empresa=ticket.empresa,
        ticket=ticket,
        funcionalidade=funcionalidade,
        pergunta="?",
        resposta="!",
        provider=provider,
        resultado=resultado,
        **k,
    )


def test_chamadas_reais_contadas_com_custo_em_usd_e_brl(api_supervisor, empresa, ticket):
    quando = timezone.now()
    for _ in range(2):
        registrar_chamada(
            empresa_id=empresa.id,
            funcionalidade="sugestao_resposta",
            provider="openai",
            modelo="gpt-4o-mini-2024-07-18",
            tokens_entrada=10_000,
            tokens_saida=1_000,
            latencia_ms=500,
        )
    registrar_chamada(
        empresa_id=empresa.id,
        funcionalidade="analise_completa",
        provider="openai",
        modelo="gpt-4o-mini",
        tokens_entrada=1_000,
        erro=True,
    )
    _resposta(ticket, "aceita")
    _resposta(ticket, "editada")
    _resposta(ticket, "rejeitada")
    _resposta(ticket, "pendente")  # not evaluated: not in the rate
    _resposta(ticket, "pendente", funcionalidade="analise_completa")

    corpo = api_supervisor.get(URL).json()

    hoje = quando.astimezone(dt.timezone(timedelta(hours=-3))).date().isoformat()
    total = corpo["total"]
    assert (total["chamadas"], total["erros"]) == (3, 1)
    assert (total["tokens_entrada"], total["tokens_saida"]) == (21_000, 2_000)
    # 2 x (10k x 0.15 + 1k x 0.60)/1M + 1k x 0.15/1M = 0.00435 USD; x 5.35 BRL
    assert total["custo"] == "0.004350"
    assert total["custo_brl"] == "0.023273"
    assert (total["aceitas"], total["editadas"], total["rejeitadas"]) == (1, 1, 1)
    assert total["taxa_aceitacao"] == pytest.approx(2 / 3, abs=1e-4)

    [dia] = corpo["resultados"]
    assert (dia["data"], dia["provider"], dia["chamadas"]) == (hoje, "openai", 3)
    por_func = {r["funcionalidade"]: r for r in corpo["por_funcionalidade"]}
    assert set(por_func) == {"sugestao_resposta", "analise_completa"}
    sugestao = por_func["sugestao_resposta"]
    assert (sugestao["chamadas"], sugestao["latencia_media_ms"]) == (2, 500.0)
    assert sugestao["custo"] == "0.004200"
    assert sugestao["taxa_aceitacao"] == pytest.approx(0.6667)
    analise = por_func["analise_completa"]
    assert (analise["chamadas"], analise["erros"], analise["taxa_aceitacao"]) == (1, 1, None)


def test_sugestao_pela_api_aparece_nas_metricas(api_supervisor, ticket):
    MensagemFactory(ticket=ticket, conteudo="qual o prazo de entrega?")
    Ticket.objects.filter(pk=ticket.pk).update(ultima_entrada_em=timezone.now())
    sugestao = api_supervisor.get(f"{API}/tickets/{ticket.id}/sugestao-resposta/").json()
    enviada = api_supervisor.post(
        f"{API}/mensagens/enviar/",
        {
            "ticket_id": str(ticket.id),
            "conteudo": sugestao["resposta"],
            "sugestao_id": sugestao["sugestao_id"],
        },
        format="json",
    )
    assert enviada.status_code == 201, enviada.content
    corpo = api_supervisor.get(URL, {"funcionalidade": "sugestao_resposta"}).json()
    assert corpo["total"]["chamadas"] == 1
    assert corpo["total"]["aceitas"] == 1
    assert corpo["total"]["taxa_aceitacao"] == 1.0
    assert [r["provider"] for r in corpo["resultados"]] == ["local"]


def test_periodo_provider_e_funcionalidade_filtram(api_admin, empresa, ticket):
    def metrica(dia, provider, funcionalidade):
        AIMetrica.objects.create(
            empresa=empresa,
            data=dia,
            provider=provider,
            funcionalidade=funcionalidade,
            chamadas=1,
            custo=Decimal("0.1"),
            custo_brl=Decimal("0.5"),
        )

    metrica(dt.date(2026, 3, 1), "openai", "sugestao_resposta")
    metrica(dt.date(2026, 3, 2), "anthropic", "analise_completa")
    metrica(dt.date(2026, 4, 1), "openai", "sugestao_resposta")
    corpo = api_admin.get(URL, {"de": "2026-03-01", "ate": "2026-03-31"}).json()
    assert [(r["data"], r["provider"]) for r in corpo["resultados"]] == [
        ("2026-03-01", "openai"),
        ("2026-03-02", "anthropic"),
    ]
    assert corpo["total"]["custo_brl"] == "1.000000"
    so_analise = api_admin.get(
        URL, {"de": "2026-03-01", "ate": "2026-04-30", "funcionalidade": "analise_completa"}
    ).json()
    assert [r["funcionalidade"] for r in so_analise["por_funcionalidade"]] == ["analise_completa"]
    so_openai = api_admin.get(
        URL, {"de": "2026-03-01", "ate": "2026-04-30", "provider": "openai"}
    ).json()
    assert so_openai["total"]["chamadas"] == 2


def test_datas_invalidas_sao_400(api_admin):
    assert api_admin.get(URL, {"de": "ontem"}).status_code == 400
    assert api_admin.get(URL, {"de": "2026-03-10", "ate": "2026-03-01"}).status_code == 400


def test_outra_empresa_nunca_aparece(api_admin, empresa, outra_empresa, ticket):
    alheio = TicketFactory(empresa=outra_empresa)
    registrar_chamada(
        empresa_id=outra_empresa.id,
        funcionalidade="sugestao_resposta",
        provider="openai",
        modelo="gpt-4o-mini",
        tokens_entrada=1_000_000,
    )
    _resposta(alheio, "aceita")
    _resposta(alheio, "rejeitada")
    corpo = api_admin.get(URL).json()
    assert corpo["resultados"] == []
    assert corpo["por_funcionalidade"] == []
    assert corpo["total"]["chamadas"] == 0
    assert corpo["total"]["aceitas"] == 0
    assert corpo["total"]["taxa_aceitacao"] is None


def test_so_gestores(api_atendente, anonimo):
    assert api_atendente.get(URL).status_code == 403
    assert anonimo.get(URL).status_code == 401
