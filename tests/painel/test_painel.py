"""The supervisors' dashboard: figures, scoping to the empresa, agents refused, CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from atendimento.models.sla import ViolacaoSla
from ia.models import AIInsight, AIMetrica
from tests.factories import CanalFactory, MensagemFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _logado(client, atendente):
    client.force_login(atendente.usuario)
    return client


def _csv(resposta) -> list[list[str]]:
    assert resposta.status_code == 200, resposta.content
    assert resposta["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(resposta.content.decode("utf-8-sig"))))


@pytest.fixture
def dados(empresa, fila, atendente, supervisor, admin_outra_empresa):
    """Two tickets of the empresa (one answered in 10 min and closed after 2 h, one open and
    late), one of another empresa, with sentiment and AI cost on both sides."""
    agora = timezone.now()
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", nome="WhatsApp Aurora")
    t1 = TicketFactory(empresa=empresa, canal=canal, fila=fila, atendente=atendente)
    t1.criado_em = agora - timedelta(hours=3)
    t1.primeira_resposta_em = t1.criado_em + timedelta(minutes=10)
    t1.fechado_em = t1.criado_em + timedelta(hours=2)
    t1.status = "fechado"
    t1.sla_primeira_resposta_em = t1.criado_em + timedelta(minutes=15)
    t1.save()
    t2 = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    t2.criado_em = agora - timedelta(hours=1)
    t2.sla_primeira_resposta_em = t2.criado_em + timedelta(minutes=15)  # passed, unanswered
    t2.save()
    MensagemFactory(ticket=t1, data=t1.criado_em)
    outra = admin_outra_empresa.empresa
    canal_alheio = CanalFactory(empresa=outra, tipo="telegram", nome="Telegram Concorrente")
    alheio = TicketFactory(empresa=outra, canal=canal_alheio)
    AIInsight.objects.create(
        empresa=empresa, ticket=t1, tipo="sentimento", sentimento="positivo", provider="local"
    )
    AIInsight.objects.create(
        empresa=outra, ticket=alheio, tipo="sentimento", sentimento="negativo", provider="local"
    )
    AIMetrica.objects.create(
        empresa=empresa, data=timezone.localdate(), provider="openai", modelo="gpt-4o-mini",
        funcionalidade="sentimento", chamadas=12, custo=Decimal("0.0123"),
    )  # fmt: skip
    AIMetrica.objects.create(
        empresa=outra, data=timezone.localdate(), provider="anthropic", modelo="claude",
        funcionalidade="sugestao", chamadas=99, custo=Decimal("9.99"),
    )  # fmt: skip
    return t1, t2


def test_anonimo_vai_ao_login(client):
    resposta = client.get("/dashboard/")
    assert resposta.status_code == 302
    assert resposta["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/csv/filas/"])
def test_atendente_recebe_403(client, atendente, url):
    assert _logado(client, atendente).get(url).status_code == 403


def test_pagina_do_supervisor(client, supervisor, dados):
    resposta = _logado(client, supervisor).get("/dashboard/")
    assert resposta.status_code == 200
    html = resposta.content.decode()
    assert "WhatsApp Aurora" in html
    assert "Telegram Concorrente" not in html  # never another empresa's
    assert "data-graficos=" in html
    assert "chart-4.6.2.umd.min.js" in html
    assert "<script>" not in html  # no inline scripts (data goes through json_script)
    contexto = resposta.context
    assert contexto["totais"]["tickets"] == 2
    assert contexto["totais"]["primeira_resposta_p50"] == pytest.approx(600)
    assert contexto["totais"]["sla_violados"] == 1
    assert contexto["totais"]["sla_cumprimento"] == 50.0
    assert contexto["agora"]["aberto"] == 1
    assert contexto["fechados"] == 1
    assert contexto["graficos"]["sentimentos"]["rotulos"] == [
        "Positivo"
    ]  # the chart shows words; the CSV keeps the codes


def test_atualizacao_htmx_devolve_so_os_dados(client, admin, dados):
    resposta = _logado(client, admin).get("/dashboard/", headers={"HX-Request": "true"})
    assert resposta.status_code == 200
    html = resposta.content.decode()
    assert html.lstrip().startswith('<div id="painel-dados"')
    assert 'hx-trigger="every 30s"' in html


@pytest.mark.parametrize(
    "consulta", ["de=ontem", "de=2026-12-05&ate=2026-12-01", "de=2024-01-01&ate=2026-01-01"]
)
def test_periodo_invalido_e_400(client, supervisor, consulta):
    _logado(client, supervisor)
    assert client.get(f"/dashboard/?{consulta}").status_code == 400
    resposta = client.get(f"/dashboard/csv/canais/?{consulta}")
    assert resposta.status_code == 400
    assert resposta.content


def test_tabela_desconhecida_e_404(client, supervisor):
    assert _logado(client, supervisor).get("/dashboard/csv/senhas/").status_code == 404


def test_periodo_sem_dados(client, supervisor, dados):
    resposta = _logado(client, supervisor).get("/dashboard/?de=2026-01-01&ate=2026-01-31")
    assert resposta.status_code == 200
    assert resposta.context["totais"]["tickets"] == 0
    assert "Sem análises de sentimento no período" in resposta.content.decode()


def test_csv_canais_e_dias(client, supervisor, dados):
    _logado(client, supervisor)
    linhas = _csv(client.get("/dashboard/csv/canais/"))
    assert linhas == [["Canal", "Tipo", "Tickets"], ["WhatsApp Aurora", "whatsapp", "2"]]
    dias = _csv(client.get("/dashboard/csv/dias/"))
    assert dias[0] == ["Dia", "Tickets abertos", "Mensagens recebidas", "Mensagens enviadas"]
    assert len(dias) == 1 + 30  # the default period: the last 30 days, one row each
    assert sum(int(linha[1]) for linha in dias[1:]) == 2


def test_csv_filas_e_atendentes(client, supervisor, fila, atendente, dados):
    _logado(client, supervisor)
    filas = _csv(client.get("/dashboard/csv/filas/"))
    assert filas[0][:3] == ["Fila", "Tickets", "1ª resposta (mediana)"]
    assert filas[1][:3] == [fila.nome, "2", "600.0"]
    assert filas[1][-3:] == ["2", "1", "50.0"]
    atendentes = {linha[0]: linha for linha in _csv(client.get("/dashboard/csv/atendentes/"))}
    assert atendentes[atendente.nome][1] == "1"
    assert atendentes["Sem atendente"][1] == "1"


def test_csv_carga_sentimentos_e_custo(client, supervisor, atendente, admin_outra_empresa, dados):
    _logado(client, supervisor)
    carga = _csv(client.get("/dashboard/csv/carga/"))
    nomes = [linha[0] for linha in carga[1:]]
    assert atendente.nome in nomes
    assert admin_outra_empresa.nome not in nomes
    linha = next(linha for linha in carga if linha[0] == atendente.nome)
    assert linha[3] == "0"  # their only ticket is closed
    assert _csv(client.get("/dashboard/csv/sentimentos/"))[1:] == [["positivo", "1", "100.0"]]
    custo = _csv(client.get("/dashboard/csv/custo_ia/"))
    assert custo[1:] == [
        [
            *["sentimento", "openai", "gpt-4o-mini", "12", "0", "0", "0"],
            *["0.012300", "0.000000", "0", "0", "0", ""],
        ]
    ]


def test_exportacao_csv_fica_na_trilha_de_auditoria(client, supervisor, dados):
    from atendimento.models import RegistroAuditoria

    _logado(client, supervisor)
    _csv(client.get("/dashboard/csv/canais/"))
    registro = RegistroAuditoria.objects.get(acao="exportar")
    assert registro.usuario == supervisor.usuario
    assert registro.empresa_id == supervisor.empresa_id
    assert registro.objeto_repr.startswith("canais_")
    assert registro.detalhe == "CSV canais: 1 linha(s)"


def test_csv_violacoes_registradas(client, supervisor, atendente, fila, dados, admin_outra_empresa):
    t1, t2 = dados
    agora = timezone.now()
    ViolacaoSla.objects.create(
        empresa=t1.empresa, ticket=t2, fila=fila, atendente=None, alvo="primeira_resposta",
        prioridade="media", prazo=t2.sla_primeira_resposta_em, violado_em=agora,
        atraso=timedelta(minutes=30),
    )  # fmt: skip
    ViolacaoSla.objects.create(
        empresa=t1.empresa, ticket=t1, fila=fila, atendente=atendente, alvo="resolucao",
        prioridade="media", prazo=agora - timedelta(hours=1), violado_em=agora,
        cumprido_em=agora, atraso=timedelta(minutes=90),
    )  # fmt: skip
    _logado(client, supervisor)
    linhas = _csv(client.get("/dashboard/csv/violacoes/"))
    assert linhas[0] == [
        "Alvo", "Responsável", "Violações", "Ainda não cumpridas", "Atraso (mediana)",
        "Atraso (p90)",
    ]  # fmt: skip
    assert sorted(linhas[1:]) == [
        ["primeira_resposta", "Sem atendente", "1", "1", "1800.0", "1800.0"],
        ["resolucao", atendente.nome, "1", "0", "5400.0", "5400.0"],
    ]
    # the breach record counts for the ticket's SLA too (t1 had met its first-response target)
    assert client.get("/dashboard/").context["totais"]["sla_violados"] == 2
    # another empresa sees none of it
    client.force_login(admin_outra_empresa.usuario)
    assert _csv(client.get("/dashboard/csv/violacoes/"))[1:] == []
