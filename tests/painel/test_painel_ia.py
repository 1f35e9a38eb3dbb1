"""The dashboard's AI part: sentiment mix with its share, AI cost in USD and BRL with the
agents' acceptance of suggestions (table, CSV and cards), only the empresa's own."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from ia.models import AIInsight, AIMetrica, AIResposta
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _resposta(ticket, resultado):
    return AIResposta.objects.create(
        empresa=ticket.empresa,
        ticket=ticket,
        funcionalidade="sugestao_resposta",
        pergunta="?",
        resposta="!",
        provider="openai",
        modelo="gpt-4o-mini",
        resultado=resultado,
    )


@pytest.fixture
def dados(empresa, outra_empresa, supervisor):
    hoje = timezone.localdate()
    meus = [TicketFactory(empresa=empresa) for _ in range(4)]
    alheio = TicketFactory(empresa=outra_empresa)
    for ticket, sentimento in zip(
        meus, ["negativo", "negativo", "neutro", "positivo"], strict=True
    ):
        AIInsight.objects.create(
            empresa=empresa, ticket=ticket, tipo="completa", sentimento=sentimento, provider="local"
        )
    AIMetrica.objects.create(
        empresa=empresa, data=hoje, provider="openai", modelo="gpt-4o-mini",
        funcionalidade="sugestao_resposta", chamadas=4, erros=1,
        custo=Decimal("1.25"), custo_brl=Decimal("6.6875"),
    )  # fmt: skip
    AIMetrica.objects.create(
        empresa=outra_empresa, data=hoje, provider="openai", modelo="gpt-4o-mini",
        funcionalidade="sugestao_resposta", chamadas=99, custo=Decimal("99"),
        custo_brl=Decimal("500"),
    )  # fmt: skip
    for resultado in ("aceita", "editada", "editada", "rejeitada", "pendente"):
        _resposta(meus[0], resultado)
    for _ in range(5):
        _resposta(alheio, "rejeitada")
    return meus


def test_tabela_cartoes_e_csv(client, supervisor, dados):
    client.force_login(supervisor.usuario)
    pagina = client.get("/dashboard/")
    assert pagina.status_code == 200
    ia = pagina.context["ia"]
    assert (ia["chamadas"], ia["erros"]) == (4, 1)
    assert ia["custo_brl"] == Decimal("6.6875")
    assert ia["taxa_aceitacao"] == 75.0
    html = pagina.content.decode()
    assert "1,2500 / 6,6875" in html
    assert "75.0 %" in html or "75,0 %" in html

    linhas = list(
        csv.reader(io.StringIO(client.get("/dashboard/csv/custo_ia/").content.decode("utf-8-sig")))
    )
    assert linhas[0][-6:] == [
        "Custo (US$)",
        "Custo (R$)",
        "Sugestões aceitas",
        "Sugestões editadas",
        "Sugestões descartadas",
        "Aceitação",
    ]
    assert linhas[1:] == [
        [
            *["sugestao_resposta", "openai", "gpt-4o-mini", "4", "1", "0", "0"],
            *["1.250000", "6.687500", "1", "2", "1", "75.0"],
        ]
    ]

    sentimentos = list(
        csv.reader(
            io.StringIO(client.get("/dashboard/csv/sentimentos/").content.decode("utf-8-sig"))
        )
    )
    assert sentimentos[1:] == [
        ["negativo", "2", "50.0"],
        ["neutro", "1", "25.0"],
        ["positivo", "1", "25.0"],
    ]


def test_sem_uso_de_ia_cartoes_vazios(client, supervisor):
    client.force_login(supervisor.usuario)
    ia = client.get("/dashboard/").context["ia"]
    assert ia["chamadas"] == 0
    assert ia["taxa_aceitacao"] is None


def test_atendente_nao_ve_o_painel(client, atendente, dados):
    client.force_login(atendente.usuario)
    assert client.get("/dashboard/csv/custo_ia/").status_code == 403
