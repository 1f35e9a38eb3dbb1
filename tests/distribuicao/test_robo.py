"""The bot's policy from outside: customers write through the real webhook URLs (signed
fixtures); the AI provider is the empresa's (``IntegracaoConfig``), an OpenAI one pointed at a
local server speaking Chat Completions.  Offline answers are never sent; a customer who asks
for a person is handed off with the queue's message and a history line; ``fora_horario`` only
takes conversations that start outside business hours (frozen clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from atendimento.models import Canal, Historico, IntegracaoConfig, Mensagem, Ticket
from tests.canais.webhook_apoio import canal_wa, celery_eager  # noqa: F401
from tests.factories import AtendenteFactory, AtendenteFilaFactory, FilaFactory
from tests.ia.servidores_ia import CHAVE

from .conversa_apoio import PNID, enviados, escrever_whatsapp, servir_whatsapp

SP = ZoneInfo("America/Sao_Paulo")
TERCA = datetime(2026, 12, 1, 10, tzinfo=SP)
SABADO_NOITE = datetime(2026, 12, 5, 22, tzinfo=SP)
COMERCIAL = {d: ["09:00", "18:00"] for d in ("seg", "ter", "qua", "qui", "sex")}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


def openai_da_empresa(empresa, httpserver) -> None:
    IntegracaoConfig.objects.create(empresa=empresa, tipo="ia", configuracao={"provider": "openai"})
    IntegracaoConfig.objects.create(
        empresa=empresa,
        tipo="openai",
        configuracao={"base_url": httpserver.url_for("/v1"), "max_retries": 0, "timeout": 5},
        segredos={"api_key": CHAVE},
    )


@pytest.fixture
def cenario(empresa, httpserver):
    fila = FilaFactory(
        empresa=empresa,
        nome="Suporte",
        distribuicao="round_robin",
        horario=COMERCIAL,
        resposta_automatica="confiante",
        mensagem_transferencia="Já chamo alguém da equipe, {{contato.nome}}!",
    )
    agente = AtendenteFactory(empresa=empresa)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    canal = canal_wa(empresa, fila, pnid=PNID, api_base_url=httpserver.url_for("")[:-1])
    servir_whatsapp(httpserver)
    return canal, fila, agente


def _textos(httpserver) -> list[str]:
    return [c["text"]["body"] for c in enviados(httpserver, "/messages") if c.get("type") == "text"]


def test_provedor_local_so_sugere_e_o_ticket_segue_para_a_fila(
    client, empresa, fixture_bytes, httpserver, cenario
):
    _canal, _fila, agente = cenario
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "como faço pra trocar minha senha?")
    ticket = Ticket.objects.get()
    assert ticket.automacao == ""
    assert ticket.atendente_id == agente.pk
    assert not Mensagem.objects.filter(direcao="saida").exists()
    assert _textos(httpserver) == []


@pytest.mark.parametrize(
    "texto",
    [
        "quero falar com um atendente",
        "HUMANO",
        "atendete pfv",
        "me passa pra uma pessoa de verdade",
    ],
)
def test_cliente_pede_atendente_e_o_robo_transfere(
    client, empresa, fixture_bytes, httpserver, cenario, texto
):
    _canal, fila, agente = cenario
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, texto)

    ticket = Ticket.objects.get()
    assert ticket.automacao == ""
    assert ticket.atendente_id == agente.pk  # handed to the queue's distribution
    aviso = Mensagem.objects.get(direcao="saida")
    assert aviso.remetente_tipo == Mensagem.Remetente.BOT
    assert aviso.dados["robo"] == {"transferencia": "pediu_atendente"}
    assert _textos(httpserver) == [aviso.conteudo]
    linhas = Historico.objects.filter(ticket=ticket, dados__automacao="robo").order_by("criado_em")
    assert [linha.dados.get("motivo") for linha in linhas] == [None, "pediu_atendente"]
    assert linhas[1].dados["cliente_avisado"] is True
    assert f"fila {fila.nome}" in linhas[1].descricao
    # no AI call was needed to see that
    assert enviados(httpserver, "/chat/completions") == []


def test_mensagem_de_transferencia_e_editavel(client, empresa, fixture_bytes, httpserver, cenario):
    _canal, fila, _agente = cenario
    fila.mensagem_transferencia = "Um momento, vou chamar um especialista."
    fila.save()
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "atendente por favor")
    assert _textos(httpserver) == ["Um momento, vou chamar um especialista."]


def test_canal_desligado_vence_a_fila(client, empresa, fixture_bytes, httpserver, cenario):
    canal, _fila, agente = cenario
    Canal.objects.filter(pk=canal.pk).update(resposta_automatica="desligada")
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "quero falar com atendente")
    ticket = Ticket.objects.get()
    assert ticket.atendente_id == agente.pk
    assert not Historico.objects.filter(ticket=ticket, dados__automacao="robo").exists()
    assert _textos(httpserver) == []


def test_fora_do_horario_so_fora_do_expediente(client, empresa, fixture_bytes, httpserver, cenario):
    _canal, fila, agente = cenario
    fila.resposta_automatica = "fora_horario"
    fila.save()
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "humano")
    primeiro = Ticket.objects.get()
    assert not Historico.objects.filter(ticket=primeiro, dados__automacao="robo").exists()
    assert primeiro.atendente_id == agente.pk
    from atendimento.services.tickets import ticket_fechar

    ticket_fechar(ticket=primeiro, por=None)
    Ticket.objects.filter(pk=primeiro.pk).update(fechado_em=TERCA - timedelta(days=30))

    with time_machine.travel(SABADO_NOITE, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "humano")
    segundo = Ticket.objects.exclude(pk=primeiro.pk).get()
    assert Historico.objects.filter(
        ticket=segundo, dados__automacao="robo", dados__motivo="pediu_atendente"
    ).exists()


def test_atendente_que_assume_encerra_a_vez_do_robo(empresa, cenario, httpserver):
    from atendimento.services import robo
    from atendimento.services.tickets import ticket_atribuir
    from tests.factories import ContatoFactory

    canal, fila, agente = cenario
    ticket = Ticket.objects.create(
        empresa=empresa,
        canal=canal,
        fila=fila,
        contato=ContatoFactory(empresa=empresa),
        automacao="robo",
    )
    ticket_atribuir(ticket=ticket, atendente_destino=agente, por=agente)
    assert robo.responder(ticket.pk) == "nada"
    ticket.refresh_from_db()
    assert ticket.automacao == ""
    assert not Mensagem.objects.filter(ticket=ticket).exists()
