"""Accounting of AI calls: cost from the dated price and exchange-rate tables, one day's
AIMetrica row per empresa/provider/model/feature, updated atomically under concurrency."""

from __future__ import annotations

import datetime as dt
import importlib
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection

from ia.models import AIMetrica, CotacaoMoeda, PrecoModeloIA
from ia.services.registro import calcular_custo, registrar_chamada
from tests.factories import EmpresaFactory

pytestmark = pytest.mark.django_db(transaction=True)

SP = ZoneInfo("America/Sao_Paulo")


@pytest.fixture
def precos(db):
    # The data migration's rows are flushed by transactional tests: seed them again here.
    PrecoModeloIA.objects.all().delete()
    CotacaoMoeda.objects.all().delete()
    importlib.import_module("ia.migrations.0006_precos_iniciais").semear(apps, None)


def test_migracao_semeia_precos_e_cotacao(precos):
    assert set(PrecoModeloIA.objects.values_list("provider", "modelo")) == {
        ("local", ""),
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4.1-mini"),
        ("anthropic", "claude-3-5-haiku"),
        ("anthropic", "claude-haiku-4-5"),
    }
    mini = PrecoModeloIA.objects.get(modelo="gpt-4o-mini")
    assert (mini.usd_entrada_por_milhao, mini.usd_saida_por_milhao) == (
        Decimal("0.15"),
        Decimal("0.60"),
    )
    assert CotacaoMoeda.objects.get(moeda="BRL").valor == Decimal("5.35")


def test_custo_em_usd_e_brl_pelo_prefixo_mais_longo(precos):
    PrecoModeloIA.objects.create(
        provider="openai",
        modelo="gpt-4o",
        vigente_desde=dt.date(2024, 5, 13),
        usd_entrada_por_milhao=Decimal("2.50"),
        usd_saida_por_milhao=Decimal("10"),
    )
    custo = calcular_custo(
        provider="openai",
        modelo="gpt-4o-mini-2024-07-18",
        dia=dt.date(2026, 12, 5),
        tokens_entrada=2_000_000,
        tokens_saida=500_000,
        tokens_cache=1_000_000,
    )
    # 2M x 0.15 + 1M cached x 0.075 + 0.5M x 0.60
    assert custo.usd == Decimal("0.6750000000")
    assert custo.brl == Decimal("3.6112500000")
    assert custo.precificado
    grande = calcular_custo(
        provider="openai", modelo="gpt-4o-2024-08-06", dia=dt.date(2026, 12, 5), tokens_saida=1000
    )
    assert grande.usd == Decimal("0.0100000000")


def test_preco_e_cotacao_vigentes_no_dia_da_chamada(precos):
    PrecoModeloIA.objects.create(
        provider="anthropic",
        modelo="claude-haiku-4-5",
        vigente_desde=dt.date(2026, 12, 1),
        usd_entrada_por_milhao=Decimal("0.50"),
        usd_saida_por_milhao=Decimal("2.50"),
    )
    CotacaoMoeda.objects.create(moeda="BRL", vigente_desde=dt.date(2026, 12, 3), valor=6)
    antes = calcular_custo(
        provider="anthropic",
        modelo="claude-haiku-4-5-20251001",
        dia=dt.date(2026, 11, 30),
        tokens_entrada=1_000_000,
    )
    depois = calcular_custo(
        provider="anthropic",
        modelo="claude-haiku-4-5-20251001",
        dia=dt.date(2026, 12, 5),
        tokens_entrada=1_000_000,
    )
    assert (antes.usd, antes.brl) == (Decimal("1.0000000000"), Decimal("5.3500000000"))
    assert (depois.usd, depois.brl) == (Decimal("0.5000000000"), Decimal("3.0000000000"))


def test_modelo_sem_preco_custa_zero_e_e_marcado(precos):
    custo = calcular_custo(
        provider="openai", modelo="o9-ultra", dia=dt.date(2026, 12, 5), tokens_entrada=1000
    )
    assert (custo.usd, custo.brl, custo.precificado) == (Decimal(0), Decimal(0), False)
    # a price in force only later does not apply to an earlier day
    assert not calcular_custo(
        provider="openai", modelo="gpt-4.1-mini", dia=dt.date(2025, 1, 1), tokens_entrada=1
    ).precificado


def test_chamadas_somam_na_linha_do_dia(precos):
    empresa = EmpresaFactory()
    quando = dt.datetime(2026, 12, 5, 22, 30, tzinfo=SP)
    for erro in (False, False, True):
        registrar_chamada(
            empresa_id=empresa.id,
            funcionalidade="sugestao_resposta",
            provider="openai",
            modelo="gpt-4o-mini",
            tokens_entrada=1000,
            tokens_saida=200,
            latencia_ms=300,
            erro=erro,
            quando=quando,
        )
    linha = AIMetrica.objects.get()
    assert linha.empresa_id == empresa.id
    assert linha.data == dt.date(2026, 12, 5)
    assert (linha.chamadas, linha.erros) == (3, 1)
    assert (linha.tokens_entrada, linha.tokens_saida) == (3000, 600)
    assert linha.latencia_total_ms == 900
    # 3 x (1000 x 0.15 + 200 x 0.60) / 1M
    assert linha.custo == Decimal("0.000810")
    assert linha.custo_brl == Decimal("0.000810") * Decimal("5.35")


def test_linhas_separadas_por_dia_local_funcionalidade_modelo_e_empresa(precos):
    empresa, outra = EmpresaFactory(), EmpresaFactory()
    # 01:30 UTC on the 6th is still the 5th in São Paulo
    registrar_chamada(
        empresa_id=empresa.id,
        funcionalidade="analise_completa",
        provider="local",
        modelo="e5",
        quando=dt.datetime(2026, 12, 6, 1, 30, tzinfo=dt.UTC),
    )
    registrar_chamada(
        empresa_id=empresa.id,
        funcionalidade="analise_completa",
        provider="local",
        modelo="e5",
        quando=dt.datetime(2026, 12, 6, 3, 30, tzinfo=dt.UTC),
    )
    registrar_chamada(
        empresa_id=empresa.id, funcionalidade="sugestao_resposta", provider="local", modelo="e5"
    )
    registrar_chamada(
        empresa_id=outra.id, funcionalidade="sugestao_resposta", provider="local", modelo="e5"
    )
    assert AIMetrica.objects.count() == 4
    assert sorted(
        AIMetrica.objects.filter(empresa=empresa, funcionalidade="analise_completa").values_list(
            "data", flat=True
        )
    ) == [dt.date(2026, 12, 5), dt.date(2026, 12, 6)]
    assert AIMetrica.objects.filter(custo__gt=0).count() == 0


def test_registro_concorrente_nao_perde_chamadas(precos):
    empresa = EmpresaFactory()

    def chamar(_):
        try:
            for _ in range(5):
                registrar_chamada(
                    empresa_id=empresa.id,
                    funcionalidade="analise_completa",
                    provider="openai",
                    modelo="gpt-4.1-mini",
                    tokens_entrada=100,
                    tokens_saida=10,
                )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(chamar, range(8)))
    linha = AIMetrica.objects.get()
    assert linha.chamadas == 40
    assert linha.tokens_entrada == 4000
    # 40 x (100 x 0.40 + 10 x 1.60) / 1M
    assert linha.custo == Decimal("0.00224")


def test_valores_negativos_recusados_sem_gravar(precos):
    empresa = EmpresaFactory()
    with pytest.raises(ValueError, match="negativos"):
        registrar_chamada(
            empresa_id=empresa.id,
            funcionalidade="x",
            provider="openai",
            modelo="gpt-4o-mini",
            tokens_entrada=-1,
        )
    assert not AIMetrica.objects.exists()


def test_dia_no_fuso_da_empresa(precos):
    toquio = EmpresaFactory(fuso_horario="Asia/Tokyo")
    # 20:00 in São Paulo on the 5th is already 08:00 on the 6th in Tokyo
    registrar_chamada(
        empresa_id=toquio.id,
        funcionalidade="sugestao_resposta",
        provider="local",
        modelo="e5",
        quando=dt.datetime(2026, 12, 5, 20, 0, tzinfo=SP),
    )
    assert AIMetrica.objects.get(empresa=toquio).data == dt.date(2026, 12, 6)
