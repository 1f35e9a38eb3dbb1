"""Inbound reactions and housekeeping with a frozen clock: out-of-hours reply once per
conversation, automatic closing (and reopening when the customer writes), the agent who
replies takes the ticket, new inbound tickets distributed, the API's queue settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from atendimento.models import Fila, Historico, Mensagem, Ticket
from atendimento.services.automacoes import fechar_inativos
from atendimento.services.entrada import evento_processar
from atendimento.services.saida import mensagem_enviar
from atendimento.services.tickets import ticket_atualizar
from tests.atendimento.test_entrada import msg_wa
from tests.factories import AtendenteFactory, AtendenteFilaFactory, CanalFactory, FilaFactory

SP = ZoneInfo("America/Sao_Paulo")
COMERCIAL = {d: ["09:00", "18:00"] for d in ("seg", "ter", "qua", "qui", "sex")}
WA = "5511987654321"


def sp(*args) -> datetime:
    return datetime(*args, tzinfo=SP)


@pytest.fixture
def enviadas(monkeypatch):
    fila_envio: list[str] = []
    monkeypatch.setattr(
        "canais.tasks.envio.enviar_mensagem.apply_async",
        lambda args=(), **k: fila_envio.append(args[0]),
    )
    return fila_envio


def _canal(empresa, **fila_extra):
    fila = FilaFactory(empresa=empresa, horario=COMERCIAL, **fila_extra)
    return CanalFactory(empresa=empresa, fila_padrao=fila), fila


@pytest.mark.django_db(transaction=True)
def test_fora_do_horario_responde_uma_vez_por_conversa(empresa, enviadas):
    canal, _ = _canal(empresa, mensagem_fora_horario="Voltamos às 9h!")
    sabado = sp(2026, 12, 5, 22)
    with time_machine.travel(sabado, tick=False):
        evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1", data=sabado))
        evento_processar(
            canal=canal, evento=msg_wa(WA, "wamid.2", data=sabado + timedelta(minutes=1))
        )
    automaticas = Mensagem.objects.filter(remetente_tipo=Mensagem.Remetente.BOT)
    assert [m.conteudo for m in automaticas] == ["Voltamos às 9h!"]
    assert enviadas == [str(automaticas[0].pk)]
    ticket = Ticket.objects.get()
    assert ticket.primeira_resposta_em is None  # not a response: the SLA clock keeps running
    # closed and reopened within the window: same conversation, no second reply
    from atendimento.services.tickets import ticket_fechar

    with time_machine.travel(sabado + timedelta(hours=1), tick=False):
        ticket_fechar(ticket=ticket, por=None)
        evento_processar(
            canal=canal, evento=msg_wa(WA, "wamid.3", data=sabado + timedelta(hours=1))
        )
    assert automaticas.count() == 1


@pytest.mark.django_db(transaction=True)
def test_dentro_do_horario_nao_responde(empresa, enviadas):
    canal, _ = _canal(empresa, mensagem_fora_horario="Voltamos às 9h!")
    terca = sp(2026, 12, 1, 10)
    with time_machine.travel(terca, tick=False):
        evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1", data=terca))
    assert not Mensagem.objects.filter(remetente_tipo=Mensagem.Remetente.BOT).exists()
    assert enviadas == []


@pytest.mark.django_db(transaction=True)
def test_novo_ticket_de_entrada_e_distribuido(empresa):
    canal, fila = _canal(empresa)
    Fila.objects.filter(pk=fila.pk).update(distribuicao="round_robin")
    agente = AtendenteFactory(empresa=empresa)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1"))
    assert Ticket.objects.get().atendente_id == agente.pk


@pytest.mark.django_db(transaction=True)
def test_fecha_quem_aguarda_o_cliente_e_reabre_quando_ele_volta(empresa, enviadas):
    canal, fila = _canal(
        empresa, fechar_aguardando_horas=12, mensagem_fechamento="Encerramos, até logo!"
    )
    agente = AtendenteFactory(empresa=empresa)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    inicio = sp(2026, 12, 1, 10)
    with time_machine.travel(inicio, tick=False):
        evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1", data=inicio))
        ticket = Ticket.objects.get()
        ticket_atualizar(ticket=ticket, por=agente, status="aguardando")
    with time_machine.travel(inicio + timedelta(hours=11), tick=False):
        assert fechar_inativos() == 0
    with time_machine.travel(inicio + timedelta(hours=12, minutes=1), tick=False):
        assert fechar_inativos() == 1
        assert fechar_inativos() == 0
    ticket.refresh_from_db()
    assert ticket.status == "fechado"
    assert "aguardando o cliente" in ticket.motivo_fechamento
    bot = Mensagem.objects.get(remetente_tipo=Mensagem.Remetente.BOT)
    assert bot.conteudo == "Encerramos, até logo!"
    assert enviadas == [str(bot.pk)]
    volta = inicio + timedelta(hours=20)
    with time_machine.travel(volta, tick=False):
        evento_processar(canal=canal, evento=msg_wa(WA, "wamid.2", data=volta))
    ticket.refresh_from_db()
    assert ticket.status == "aberto"  # the queue's rule: reopen within 24 h


@pytest.mark.django_db(transaction=True)
def test_fechamento_fora_da_janela_do_whatsapp_nao_manda_texto_livre(empresa, enviadas):
    canal, _ = _canal(empresa, fechar_aguardando_horas=48, mensagem_fechamento="Tchau")
    agente = AtendenteFactory(empresa=empresa)
    inicio = sp(2026, 12, 1, 10)
    with time_machine.travel(inicio, tick=False):
        evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1", data=inicio))
        ticket_atualizar(ticket=Ticket.objects.get(), por=agente, status="aguardando")
    with time_machine.travel(inicio + timedelta(hours=49), tick=False):
        assert fechar_inativos() == 1
    assert not Mensagem.objects.filter(remetente_tipo=Mensagem.Remetente.BOT).exists()
    h = Historico.objects.get(acao=Historico.Acao.MENSAGEM_AUTOMATICA)
    assert h.dados["enviada"] is False
    assert "janela" in h.dados["impedimento"]


@pytest.mark.django_db(transaction=True)
def test_quem_responde_ticket_sem_atendente_assume(empresa, enviadas):
    canal, fila = _canal(empresa)
    agente = AtendenteFactory(empresa=empresa)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1"))
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(ultima_entrada_em=datetime.now(SP))

    mensagem_enviar(atendente=agente, ticket=ticket, conteudo="Olá!")

    ticket.refresh_from_db()
    assert ticket.atendente_id == agente.pk
    h = Historico.objects.get(acao=Historico.Acao.ATRIBUIDO)
    assert h.dados["motivo"] == "respondeu ao ticket sem atendente"


@pytest.mark.django_db(transaction=True)
def test_sem_assumir_ao_responder(empresa, enviadas):
    canal, fila = _canal(empresa, assumir_ao_responder=False)
    agente = AtendenteFactory(empresa=empresa)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    evento_processar(canal=canal, evento=msg_wa(WA, "wamid.1"))
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(ultima_entrada_em=datetime.now(SP))
    mensagem_enviar(atendente=agente, ticket=ticket, conteudo="Olá!")
    ticket.refresh_from_db()
    assert ticket.atendente_id is None
