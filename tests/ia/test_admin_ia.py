"""The AI accounting in the admin: metrics and call logs read-only and scoped to the
supervisor's empresa; the price and exchange-rate tables readable by supervisors and edited
only by a platform superuser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from atendimento.models import Atendente
from ia.models import AIMetrica, AIResposta, CotacaoMoeda, PrecoModeloIA
from tests.factories import AtendenteFactory, TicketFactory, UsuarioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cliente_sup(client, empresa):
    usuario = UsuarioFactory(is_staff=True)
    AtendenteFactory(empresa=empresa, usuario=usuario, papel=Atendente.Papel.SUPERVISOR)
    client.force_login(usuario)
    return client


def _metrica(empresa, funcionalidade):
    return AIMetrica.objects.create(
        empresa=empresa,
        data=dt.date(2026, 12, 5),
        provider="openai",
        modelo="gpt-4o-mini",
        funcionalidade=funcionalidade,
        chamadas=3,
        custo=Decimal("0.5"),
        custo_brl=Decimal("2.675"),
    )


def test_metricas_e_respostas_so_da_propria_empresa_e_somente_leitura(
    cliente_sup, empresa, outra_empresa
):
    minha = _metrica(empresa, "funcionalidade_minha")
    alheia = _metrica(outra_empresa, "funcionalidade_alheia")
    ticket_b = TicketFactory(empresa=outra_empresa)
    resposta_b = AIResposta.objects.create(
        empresa=outra_empresa, ticket=ticket_b, pergunta="?", resposta="segredo da B", provider="x"
    )
    lista = cliente_sup.get(reverse("admin:ia_aimetrica_changelist")).content.decode()
    assert "funcionalidade_minha" in lista
    assert "funcionalidade_alheia" not in lista
    assert (
        cliente_sup.get(reverse("admin:ia_aimetrica_change", args=[alheia.pk])).status_code == 302
    )
    assert "segredo da B" not in (
        cliente_sup.get(reverse("admin:ia_airesposta_changelist")).content.decode()
    )
    assert (
        cliente_sup.get(reverse("admin:ia_airesposta_change", args=[resposta_b.pk])).status_code
        == 302
    )
    # read-only: the change page shows the row, a POST changes nothing, no add page
    assert cliente_sup.get(reverse("admin:ia_aimetrica_change", args=[minha.pk])).status_code == 200
    cliente_sup.post(reverse("admin:ia_aimetrica_change", args=[minha.pk]), {"chamadas": 999})
    minha.refresh_from_db()
    assert minha.chamadas == 3
    assert cliente_sup.get(reverse("admin:ia_aimetrica_add")).status_code == 403


def test_supervisor_le_precos_mas_nao_altera(cliente_sup):
    preco = PrecoModeloIA.objects.create(
        provider="openai",
        modelo="gpt-teste",
        vigente_desde=dt.date(2026, 1, 1),
        usd_entrada_por_milhao=1,
        usd_saida_por_milhao=2,
    )
    assert (
        "gpt-teste"
        in cliente_sup.get(reverse("admin:ia_precomodeloia_changelist")).content.decode()
    )
    assert cliente_sup.get(reverse("admin:ia_precomodeloia_add")).status_code == 403
    assert cliente_sup.get(reverse("admin:ia_cotacaomoeda_add")).status_code == 403
    cliente_sup.post(
        reverse("admin:ia_precomodeloia_change", args=[preco.pk]),
        {
            "provider": "openai",
            "modelo": "gpt-teste",
            "vigente_desde": "2026-01-01",
            "usd_entrada_por_milhao": "0",
            "usd_saida_por_milhao": "0",
        },
    )
    preco.refresh_from_db()
    assert preco.usd_entrada_por_milhao == 1


def test_superusuario_cadastra_novo_preco_e_cotacao(admin_client):
    resposta = admin_client.post(
        reverse("admin:ia_precomodeloia_add"),
        {
            "provider": "anthropic",
            "modelo": "claude-haiku-5-5",
            "vigente_desde": "2026-10-07",
            "usd_entrada_por_milhao": "0.10",
            "usd_saida_por_milhao": "0.50",
            "usd_cache_por_milhao": "0.01",
            "fonte": "página de preços",
        },
    )
    assert resposta.status_code == 302, resposta.content
    assert PrecoModeloIA.objects.get(modelo="claude-haiku-5-5").usd_saida_por_milhao == Decimal(
        "0.5"
    )
    resposta = admin_client.post(
        reverse("admin:ia_cotacaomoeda_add"),
        {"moeda": "BRL", "vigente_desde": "2026-12-05", "valor": "-1"},
    )
    assert resposta.status_code == 200  # form error: the rate must be positive
    assert not CotacaoMoeda.objects.filter(vigente_desde=dt.date(2026, 12, 5)).exists()
