"""Churn risk per contact, kept current: stored by each analysis, recomputed on a ticket's
close and by the daily sweep; ``alerta_churn`` tells the ticket's agent and the queue's
supervisors once when the risk turns high (again only after it went down and up)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from atendimento.models import Atendente, Notificacao, PreferenciaNotificacao, Ticket
from atendimento.services.tickets import ticket_fechar
from ia.models import AIInsight, RiscoChurn
from ia.services import churn as servico
from ia.services.analise import analise_completa
from tests.canais.webhook_apoio import modo_eager
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    ContatoFactory,
    MensagemFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

IRRITADO = "q absurdo!!! ja liguei 3x e ninguem resolve, quero cancelar essa porcaria agora"


@pytest.fixture
def pessoas(empresa, fila, atendente, outra_empresa):
    sup_fila = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR, nome="Sup Fila")
    AtendenteFilaFactory(atendente=sup_fila, fila=fila)
    sup_fora = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR, nome="Sup Fora")
    alheio = AtendenteFactory(empresa=outra_empresa, papel=Atendente.Papel.ADMIN, nome="Alheio")
    return {"atendente": atendente, "sup_fila": sup_fila, "sup_fora": sup_fora, "alheio": alheio}


@pytest.fixture
def contato(empresa):
    return ContatoFactory(empresa=empresa, nome="Maria Cliente")


def _ticket(contato, fila, atendente, **campos):
    return TicketFactory(
        empresa=contato.empresa, contato=contato, fila=fila, atendente=atendente, **campos
    )


def _alertas():
    return Notificacao.objects.filter(tipo="alerta_churn")


def _historico_ruim(contato, fila, atendente, n=2):
    """Earlier tickets of the contact analysed as negative complaints."""
    for _ in range(n):
        antigo = _ticket(contato, fila, atendente)
        AIInsight.objects.create(
            empresa=contato.empresa,
            ticket=antigo,
            tipo="completa",
            sentimento="negativo",
            intencao="reclamacao",
            provider="local",
        )


def test_analise_grava_o_risco_e_alerta_uma_vez(contato, fila, pessoas):
    _historico_ruim(contato, fila, pessoas["atendente"])
    ticket = _ticket(contato, fila, pessoas["atendente"])
    MensagemFactory(ticket=ticket, conteudo=IRRITADO)

    with modo_eager():
        analise_completa(ticket)
        analise_completa(ticket)  # still high: no second alert

    risco = RiscoChurn.objects.get(contato=contato)
    assert risco.risco == "alto"
    assert risco.alto_desde is not None
    assert "pediu para cancelar" in risco.motivos
    assert risco.ticket_id == ticket.id
    destinatarios = set(_alertas().values_list("atendente__nome", flat=True))
    assert destinatarios == {"Beto Atendente", "Sup Fila"}
    alerta = _alertas().first()
    assert alerta.ticket_id == ticket.id
    assert "Maria Cliente" in alerta.titulo
    assert "pediu para cancelar" in alerta.corpo


def test_alerta_de_novo_so_depois_de_baixar_e_subir(contato, fila, pessoas):
    ticket = _ticket(contato, fila, pessoas["atendente"])
    alto = {"risco": "alto", "probabilidade": 0.8, "motivos": ["pediu para cancelar"]}
    medio = {"risco": "medio", "probabilidade": 0.4, "motivos": []}
    with modo_eager():
        servico.churn_registrar(ticket=ticket, churn=alto)
        servico.churn_registrar(ticket=ticket, churn=alto)
        assert _alertas().filter(atendente=pessoas["atendente"]).count() == 1
        servico.churn_registrar(ticket=ticket, churn=medio)
        assert RiscoChurn.objects.get(contato=contato).alto_desde is None
        servico.churn_registrar(ticket=ticket, churn=alto)
    assert _alertas().filter(atendente=pessoas["atendente"]).count() == 2


def test_alerta_respeita_preferencia_e_nao_vaza(contato, fila, pessoas):
    PreferenciaNotificacao.objects.create(
        empresa=contato.empresa, atendente=pessoas["atendente"], tipo="alerta_churn", ativa=False
    )
    ticket = _ticket(contato, fila, pessoas["atendente"])
    with modo_eager():
        servico.churn_registrar(
            ticket=ticket, churn={"risco": "alto", "probabilidade": 0.9, "motivos": []}
        )
    assert set(_alertas().values_list("atendente__nome", flat=True)) == {"Sup Fila"}
    assert not Notificacao.objects.filter(atendente=pessoas["alheio"]).exists()


def test_alerta_reexecutado_nao_repete(contato, fila, pessoas):
    ticket = _ticket(contato, fila, pessoas["atendente"])
    servico.churn_registrar(  # not eager: the job is only queued (and lost here)
        ticket=ticket, churn={"risco": "alto", "probabilidade": 0.9, "motivos": []}
    )
    risco = RiscoChurn.objects.get(contato=contato)
    assert servico.alertar_churn(risco.pk, risco.alto_desde.isoformat()) == 2
    assert servico.alertar_churn(risco.pk, risco.alto_desde.isoformat()) == 0
    assert servico.realertar_recentes() == 0
    # a stale job of an earlier turn sends nothing
    assert servico.alertar_churn(risco.pk, (risco.alto_desde - timedelta(1)).isoformat()) == 0


def test_varredura_diaria_alerta_turno_perdido(contato, fila, pessoas):
    ticket = _ticket(contato, fila, pessoas["atendente"])
    servico.churn_registrar(
        ticket=ticket, churn={"risco": "alto", "probabilidade": 0.9, "motivos": []}
    )
    assert not _alertas().exists()  # the queued job was lost
    assert servico.realertar_recentes() == 2


def test_fechar_ticket_recalcula_o_risco(contato, fila, pessoas):
    ticket = _ticket(contato, fila, pessoas["atendente"])
    MensagemFactory(ticket=ticket, conteudo="adorei o atendimento, muito obrigado!")
    with modo_eager():
        ticket_fechar(ticket=ticket, por=pessoas["atendente"])
    risco = RiscoChurn.objects.get(contato=contato)
    assert risco.risco == "baixo"
    assert risco.ticket_id == ticket.id


def test_recalculo_diario_so_de_contatos_ativos(empresa, fila, pessoas):
    ativo, antigo = ContatoFactory(empresa=empresa), ContatoFactory(empresa=empresa)
    recente = _ticket(ativo, fila, pessoas["atendente"])
    MensagemFactory(ticket=recente, conteudo=IRRITADO)
    velho = _ticket(antigo, fila, pessoas["atendente"])
    Ticket.objects.filter(pk=velho.pk).update(atualizado_em=timezone.now() - timedelta(days=200))

    assert servico.recalcular_ativos() == 1
    assert list(RiscoChurn.objects.values_list("contato_id", flat=True)) == [ativo.id]
    assert RiscoChurn.objects.get().probabilidade > 0.3


def test_agendamento_e_filas():
    rotas = settings.CELERY_TASK_ROUTES
    assert rotas["ia.tasks.alerta_churn"] == {"queue": "notifications"}
    from celery import current_app

    assert current_app.amqp.router.route({}, "ia.tasks.alerta_churn")["queue"].name == (
        "notifications"
    )
    assert current_app.amqp.router.route({}, "ia.tasks.recalcular_churn")["queue"].name == (
        "ai-analysis"
    )
    agenda = settings.CELERY_BEAT_SCHEDULE["recalcular-churn"]
    assert agenda["task"] == "ia.tasks.recalcular_churn"
