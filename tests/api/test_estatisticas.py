"""``tickets/estatisticas/geral/`` and ``ia/metricas/``: aggregates computed in the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from atendimento.models import Ticket
from ia.models import AIMetrica
from tests.factories import TicketFactory

from .conftest import API

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
AGORA = datetime(2026, 3, 10, 15, 0, tzinfo=SP)


def criar(ticket_kw, **campos):
    ticket = TicketFactory(**ticket_kw)
    Ticket.objects.filter(pk=ticket.pk).update(**campos)
    return ticket


@pytest.fixture
def no_dia():
    """Travel to AGORA; the JWTs are issued inside the trip (a token from the future is
    refused)."""
    with time_machine.travel(AGORA, tick=False):
        yield


def test_estatisticas_gerais(
    no_dia, cliente_de, admin, empresa, canal_whatsapp, canal_telegram, fila, outra_fila
):
    api_admin = cliente_de(admin)
    base = AGORA - timedelta(days=1)
    kw = {"empresa": empresa, "canal": canal_whatsapp, "fila": fila}
    # first responses after 60, 120, 180, 240 and 300 s; two resolutions (600 s and 1200 s)
    for i, segundos in enumerate((60, 120, 180, 240, 300)):
        criar(
            {**kw, "conversa_id_externo": f"c{i}"},
            criado_em=base,
            primeira_resposta_em=base + timedelta(seconds=segundos),
            sla_primeira_resposta_em=base + timedelta(seconds=150),
        )
    criar(
        {**kw, "conversa_id_externo": "f1"},
        criado_em=base,
        status=Ticket.Status.FECHADO,
        fechado_em=base + timedelta(seconds=600),
        sla_resolucao_em=base + timedelta(seconds=900),
    )
    criar(
        {
            "empresa": empresa,
            "canal": canal_telegram,
            "fila": outra_fila,
            "conversa_id_externo": "f2",
        },
        criado_em=base,
        status=Ticket.Status.FECHADO,
        fechado_em=base + timedelta(seconds=1200),
        sla_resolucao_em=base + timedelta(seconds=900),
    )
    criar(  # no answer and the deadline passed
        {**kw, "conversa_id_externo": "s1", "status": Ticket.Status.AGUARDANDO},
        criado_em=base,
        sla_primeira_resposta_em=base + timedelta(minutes=5),
    )
    criar({**kw, "conversa_id_externo": "velho"}, criado_em=AGORA - timedelta(days=60))

    resposta = api_admin.get(f"{API}/tickets/estatisticas/geral/")

    assert resposta.status_code == 200, resposta.content
    corpo = resposta.json()
    assert (corpo["de"], corpo["ate"]) == ("2026-02-09", "2026-03-10")
    assert corpo["total"] == 8
    assert corpo["por_status"] == {"aberto": 5, "em_atendimento": 0, "aguardando": 1, "fechado": 2}
    assert corpo["por_fila"] == [
        {"fila_id": str(fila.id), "nome": "Suporte", "total": 7},
        {"fila_id": str(outra_fila.id), "nome": "Financeiro", "total": 1},
    ]
    assert [c["tipo"] for c in corpo["por_canal"]] == ["whatsapp", "telegram"]
    assert corpo["primeira_resposta"] == {"media_segundos": 180.0, "p90_segundos": 276.0}
    assert corpo["resolucao"] == {"media_segundos": 900.0, "p90_segundos": 1140.0}
    assert corpo["sla"] == {
        "violados": 5,
        "primeira_resposta_violada": 4,
        "resolucao_violada": 1,
    }


def test_estatisticas_periodo_e_visibilidade(
    no_dia,
    cliente_de,
    admin,
    atendente,
    empresa,
    canal_whatsapp,
    fila,
    outra_fila,
    ticket_outra_empresa,
):
    api_admin, api_atendente = cliente_de(admin), cliente_de(atendente)
    criar(
        {"empresa": empresa, "canal": canal_whatsapp, "fila": fila},
        criado_em=AGORA - timedelta(days=3),
    )
    criar(
        {"empresa": empresa, "canal": canal_whatsapp, "fila": outra_fila},
        criado_em=AGORA - timedelta(days=3),
    )
    criar(
        {"empresa": empresa, "canal": canal_whatsapp, "fila": fila},
        criado_em=AGORA - timedelta(days=10),
    )

    ultimos = api_admin.get(
        f"{API}/tickets/estatisticas/geral/", {"de": "2026-03-05", "ate": "2026-03-10"}
    ).json()
    do_atendente = api_atendente.get(f"{API}/tickets/estatisticas/geral/").json()
    vazio = api_admin.get(
        f"{API}/tickets/estatisticas/geral/", {"de": "2020-01-01", "ate": "2020-01-31"}
    ).json()

    assert ultimos["total"] == 2
    assert do_atendente["total"] == 2  # only the tickets of their queue
    assert vazio["total"] == 0
    assert vazio["primeira_resposta"] == {"media_segundos": None, "p90_segundos": None}
    assert vazio["por_fila"] == []


def test_estatisticas_validacao(api_admin):
    assert api_admin.get(f"{API}/tickets/estatisticas/geral/", {"de": "ontem"}).status_code == 400
    invertido = {"de": "2026-03-10", "ate": "2026-03-01"}
    assert api_admin.get(f"{API}/tickets/estatisticas/geral/", invertido).status_code == 400
    extremo = {"de": "0001-01-01", "ate": "9999-12-31"}
    assert api_admin.get(f"{API}/tickets/estatisticas/geral/", extremo).status_code == 400


def test_estatisticas_401(anonimo):
    assert anonimo.get(f"{API}/tickets/estatisticas/geral/").status_code == 401


# ------------------------------------------------------------------------------- ia/metricas
def test_metricas_ia_por_dia_e_provider(api_supervisor, empresa, outra_empresa):
    def metrica(dia, provider, funcionalidade, chamadas, custo, latencia, emp=empresa):
        AIMetrica.objects.create(
            empresa=emp,
            data=dia,
            provider=provider,
            funcionalidade=funcionalidade,
            chamadas=chamadas,
            erros=1,
            tokens_entrada=100 * chamadas,
            tokens_saida=10 * chamadas,
            custo=Decimal(custo),
            latencia_total_ms=latencia,
        )

    metrica(date(2026, 3, 1), "openai", "sugestao", 4, "0.010000", 4000)
    metrica(date(2026, 3, 1), "openai", "sentimento", 6, "0.005000", 1000)
    metrica(date(2026, 3, 2), "local", "sentimento", 2, "0", 100)
    metrica(date(2026, 3, 1), "openai", "sugestao", 99, "9", 1, emp=outra_empresa)

    corpo = api_supervisor.get(
        f"{API}/ia/metricas/", {"de": "2026-03-01", "ate": "2026-03-31"}
    ).json()

    desfechos = {
        "custo_brl": "0.000000",
        "aceitas": 0,
        "editadas": 0,
        "rejeitadas": 0,
        "taxa_aceitacao": None,
    }
    assert corpo["resultados"] == [
        {
            "data": "2026-03-01",
            "provider": "openai",
            "chamadas": 10,
            "erros": 2,
            "tokens_entrada": 1000,
            "tokens_saida": 100,
            "custo": "0.015000",
            "latencia_media_ms": 500.0,
            **desfechos,
        },
        {
            "data": "2026-03-02",
            "provider": "local",
            "chamadas": 2,
            "erros": 1,
            "tokens_entrada": 200,
            "tokens_saida": 20,
            "custo": "0.000000",
            "latencia_media_ms": 50.0,
            **desfechos,
        },
    ]
    assert corpo["total"]["chamadas"] == 12
    so_local = api_supervisor.get(
        f"{API}/ia/metricas/", {"de": "2026-03-01", "ate": "2026-03-31", "provider": "local"}
    ).json()
    assert [r["provider"] for r in so_local["resultados"]] == ["local"]


def test_metricas_ia_papel(api_atendente, anonimo, api_admin):
    assert api_atendente.get(f"{API}/ia/metricas/").status_code == 403
    assert anonimo.get(f"{API}/ia/metricas/").status_code == 401
    vazio = api_admin.get(f"{API}/ia/metricas/").json()
    assert vazio["resultados"] == []
    assert vazio["total"]["latencia_media_ms"] is None
