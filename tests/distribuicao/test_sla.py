"""SLA on business hours with a frozen clock: weekends, holidays (national and the empresa's),
the pause while waiting on the customer, breaches recorded once, alerta_sla sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from atendimento.models import AlertaSla, Historico, Notificacao, Ticket, ViolacaoSla
from atendimento.services.alertas_sla import alertar
from atendimento.services.expediente import expediente
from atendimento.services.sla import verificar_violacoes
from atendimento.services.tickets import ticket_atualizar, ticket_criar, ticket_fechar
from tests.factories import AtendenteFactory, AtendenteFilaFactory, CanalFactory, FilaFactory

SP = ZoneInfo("America/Sao_Paulo")
COMERCIAL = {d: ["09:00", "18:00"] for d in ("seg", "ter", "qua", "qui", "sex")}


def sp(*args) -> datetime:
    return datetime(*args, tzinfo=SP)


# ------------------------------------------------------------------------------- pure clock
def test_soma_atravessa_fim_de_semana():
    exp = expediente(COMERCIAL)
    # Friday 2026-12-04 17:00 + 2 h of business time -> Monday 10:00
    assert exp.somar(sp(2026, 12, 4, 17), timedelta(hours=2)) == sp(2026, 12, 7, 10)


def test_soma_pula_feriado_nacional_e_da_empresa():
    exp = expediente(COMERCIAL, feriados=["2026-12-24"])
    # Wed 23/12 17:00 + 3 h: 1 h on Wed, Thu 24 (empresa) and Fri 25 (Christmas) closed,
    # then the weekend -> Monday 28/12 11:00
    assert exp.somar(sp(2026, 12, 23, 17), timedelta(hours=3)) == sp(2026, 12, 28, 11)
    # Friday 20/11 (Consciência Negra, national since 2024) is closed
    assert not exp.aberto(sp(2026, 11, 20, 10))
    assert exp.aberto(sp(2026, 11, 19, 10))


def test_inicio_fora_do_horario_comeca_na_abertura():
    exp = expediente(COMERCIAL)
    assert exp.somar(sp(2026, 12, 5, 22), timedelta(minutes=30)) == sp(2026, 12, 7, 9, 30)
    assert exp.entre(sp(2026, 12, 4, 17), sp(2026, 12, 7, 10)) == timedelta(hours=2)


def test_sem_horario_e_24x7():
    exp = expediente({})
    assert exp.somar(sp(2026, 12, 5, 22), timedelta(minutes=30)) == sp(2026, 12, 5, 22, 30)


# ------------------------------------------------------------------------------- tickets
@pytest.fixture
def cenario(empresa):
    fila = FilaFactory(
        empresa=empresa,
        horario=COMERCIAL,
        sla_primeira_resposta_min=60,
        sla_proxima_resposta_min=30,
        sla_resolucao_min=8 * 60,
        sla_prioridades={"urgente": {"primeira_resposta_min": 15}},
    )
    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    agente = AtendenteFactory(empresa=empresa, capacidade=5)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    supervisor = AtendenteFactory(empresa=empresa, papel="supervisor")
    AtendenteFilaFactory(atendente=supervisor, fila=fila)
    return fila, canal, agente, supervisor


def _abrir(empresa, canal, prioridade="media"):
    return ticket_criar(
        empresa=empresa,
        canal=canal,
        novo_contato={"nome": "Ana", "telefone": "5511999990000"},
        prioridade=prioridade,
    )


@pytest.mark.django_db
def test_prazos_em_horario_comercial_no_fim_de_semana_e_por_prioridade(empresa, cenario):
    _, canal, *_ = cenario
    with time_machine.travel(sp(2026, 12, 4, 17, 30), tick=False):  # Friday
        ticket = _abrir(empresa, canal)
    assert ticket.sla_primeira_resposta_em == sp(2026, 12, 7, 9, 30)  # Monday
    assert ticket.sla_resolucao_em == sp(2026, 12, 7, 16, 30)  # 30 min on Friday + 7 h 30
    with time_machine.travel(sp(2026, 12, 4, 17, 30), tick=False):
        urgente = ticket_criar(
            empresa=empresa,
            canal=canal,
            novo_contato={"nome": "Bia", "telefone": "5511999990001"},
            prioridade="urgente",
        )
    assert urgente.sla_primeira_resposta_em == sp(2026, 12, 4, 17, 45)


@pytest.mark.django_db
def test_pausa_aguardando_o_cliente_estende_o_prazo(empresa, cenario):
    _, canal, agente, _ = cenario
    with time_machine.travel(sp(2026, 12, 1, 9), tick=False):  # Tuesday
        ticket = _abrir(empresa, canal)
    assert ticket.sla_resolucao_em == sp(2026, 12, 1, 17)
    with time_machine.travel(sp(2026, 12, 1, 10), tick=False):
        ticket_atualizar(ticket=ticket, por=agente, status="aguardando")
    # waits on the customer overnight: 10:00-18:00 + 09:00-11:00 next day = 10 business hours
    with time_machine.travel(sp(2026, 12, 2, 11), tick=False):
        assert verificar_violacoes() == []  # paused: no breach although 17:00 passed
        ticket = ticket_atualizar(ticket=ticket, por=agente, status="em_atendimento")
    ticket.refresh_from_db()
    assert ticket.aguardando_desde is None
    assert ticket.sla_pausa_segundos == 10 * 3600
    # 8 h target + 10 h pause from Tue 09:00 in business time -> Thu 3/12 09:00+ (18 h): Wed
    # 18:00 is 18 h exactly
    assert ticket.sla_resolucao_em == sp(2026, 12, 2, 18)


@pytest.mark.django_db
def test_violacao_registrada_uma_vez_com_responsavel_e_atraso(empresa, cenario):
    _, canal, agente, _ = cenario
    with time_machine.travel(sp(2026, 12, 1, 9), tick=False):
        ticket = _abrir(empresa, canal)
        Ticket.objects.filter(pk=ticket.pk).update(atendente=agente)
    with time_machine.travel(sp(2026, 12, 1, 10, 5), tick=False):
        novas = verificar_violacoes()
        assert verificar_violacoes() == []  # a re-run records nothing twice
    assert len(novas) == 1
    v = ViolacaoSla.objects.get()
    assert (v.alvo, v.atendente_id, v.atraso) == (
        "primeira_resposta",
        agente.pk,
        timedelta(minutes=5),
    )
    ticket.refresh_from_db()
    assert ticket.sla_violado
    assert Historico.objects.filter(ticket=ticket, acao="sla_violado").count() == 1
    # closed later than the resolution deadline: one more record, final lateness kept
    with time_machine.travel(sp(2026, 12, 1, 17, 20), tick=False):
        ticket_fechar(ticket=ticket, por=agente)
    r = ViolacaoSla.objects.get(alvo="resolucao")
    assert (r.atraso, r.cumprido_em) == (timedelta(minutes=20), sp(2026, 12, 1, 17, 20))


@pytest.mark.django_db
def test_feriado_no_meio_do_prazo(empresa, cenario):
    _, canal, *_ = cenario
    empresa.configuracoes = {"feriados": ["2026-12-24"]}
    empresa.save()
    with time_machine.travel(sp(2026, 12, 23, 14), tick=False):  # Wednesday
        ticket = _abrir(empresa, canal)
    # 8 business hours: Wed 14-18 (4 h), 24 (empresa) and 25 (Christmas) closed, weekend,
    # Monday 28 09:00-13:00
    assert ticket.sla_resolucao_em == sp(2026, 12, 28, 13)
    with time_machine.travel(sp(2026, 12, 26, 12), tick=False):
        verificar_violacoes()
    assert not ViolacaoSla.objects.filter(alvo="resolucao").exists()


@pytest.mark.django_db
def test_alerta_sla_antes_e_no_vencimento_uma_vez(empresa, cenario):
    _, canal, agente, supervisor = cenario
    AtendenteFactory(empresa=empresa, papel="supervisor")  # not in the queue: not told
    with time_machine.travel(sp(2026, 12, 1, 9), tick=False):
        ticket = _abrir(empresa, canal)
        Ticket.objects.filter(pk=ticket.pk).update(atendente=agente)
    with time_machine.travel(sp(2026, 12, 1, 9, 50), tick=False):  # 10 of 60 min left
        assert alertar() == {"antes": 1, "violado": 0}
        assert alertar() == {"antes": 0, "violado": 0}
    avisos = Notificacao.objects.filter(tipo="alerta_sla")
    assert {n.atendente_id for n in avisos} == {agente.pk, supervisor.pk}
    assert all("perto de vencer" in n.titulo for n in avisos)
    with time_machine.travel(sp(2026, 12, 1, 10, 1), tick=False):
        assert alertar()["violado"] == 1
        assert alertar()["violado"] == 0
    assert AlertaSla.objects.count() == 2
    avisos = Notificacao.objects.filter(tipo="alerta_sla")
    assert avisos.count() == 4
    assert avisos.filter(titulo__startswith="SLA violado").count() == 2
    assert ViolacaoSla.objects.count() == 1


@pytest.mark.django_db
def test_rodada_sem_nada_novo_nao_custa_por_ticket_vencido(
    empresa, cenario, django_assert_max_num_queries
):
    """Clocks already recorded and alerted are left out by the queries themselves: a minute
    with nothing new costs the same with 1 or 20 overdue tickets (it used to cost a
    transaction per clock, every minute, for as long as the tickets stayed open)."""
    _, canal, *_ = cenario

    def abrir(n: int) -> None:
        with time_machine.travel(sp(2026, 12, 1, 9), tick=False):
            for i in range(n):
                ticket_criar(
                    empresa=empresa,
                    canal=canal,
                    novo_contato={
                        "nome": "Ana",
                        "telefone": f"55119999{Ticket.objects.count() + i:05d}",
                    },
                )

    def rodada() -> int:
        with time_machine.travel(sp(2026, 12, 1, 18), tick=False):
            verificar_violacoes()
            alertar()
        with (
            time_machine.travel(sp(2026, 12, 1, 18), tick=False),
            django_assert_max_num_queries(30) as consultas,
        ):
            assert verificar_violacoes() == []
            assert alertar() == {"antes": 0, "violado": 0}
        return len(consultas)

    abrir(1)
    uma = rodada()
    abrir(19)
    assert rodada() == uma
    assert ViolacaoSla.objects.count() == 2 * 20  # first response and resolution, each once


@pytest.mark.django_db
def test_proxima_resposta_conta_da_mensagem_mais_antiga_sem_resposta(empresa, cenario):
    from atendimento.services import sla

    _, canal, *_ = cenario
    with time_machine.travel(sp(2026, 12, 1, 9), tick=False):
        ticket = _abrir(empresa, canal)
    ticket.primeira_resposta_em = sp(2026, 12, 1, 9, 5)
    sla.ao_mensagem_do_cliente(ticket, sp(2026, 12, 1, 10))
    sla.ao_mensagem_do_cliente(ticket, sp(2026, 12, 1, 10, 20))  # older one still waiting
    assert ticket.sla_proxima_resposta_em == sp(2026, 12, 1, 10, 30)
    assert datetime(2026, 12, 1, 13, 30, tzinfo=UTC) == ticket.sla_proxima_resposta_em


@pytest.mark.django_db
def test_alerta_antes_pelo_alvo_da_fila_e_da_prioridade_de_cada_ticket(empresa):
    """The near alert compares each clock with its own queue's target for the ticket's
    priority: one pass over every active queue, whatever queue holds the longest target."""

    def fila_com_canal(**alvos):
        fila = FilaFactory(empresa=empresa, horario=COMERCIAL, **alvos)
        return fila, CanalFactory(empresa=empresa, fila_padrao=fila)

    sem_resolucao = {"sla_proxima_resposta_min": None, "sla_resolucao_min": None}
    _, canal_a = fila_com_canal(sla_primeira_resposta_min=60, **sem_resolucao)
    _, canal_c = fila_com_canal(
        sla_primeira_resposta_min=600,
        sla_prioridades={"urgente": {"primeira_resposta_min": 60}},
        **sem_resolucao,
    )
    inativa, canal_e = fila_com_canal(sla_primeira_resposta_min=60, **sem_resolucao)
    telefones = iter(range(100))

    def abrir(canal, prioridade="media"):
        return ticket_criar(
            empresa=empresa,
            canal=canal,
            novo_contato={"nome": "Ana", "telefone": f"55119888{next(telefones):05d}"},
            prioridade=prioridade,
        )

    with time_machine.travel(sp(2026, 12, 1, 9), tick=False):
        a1 = abrir(canal_a)  # due 10:00: 10 of 60 min left at 9:50 -> alerted
        c1 = abrir(canal_c, "urgente")  # due 10:00 by its priority's 60 min -> alerted
        abrir(canal_c)  # due the next day (600 business minutes)
        abrir(canal_e)  # due 10:00, but its queue is inactive
    with time_machine.travel(sp(2026, 12, 1, 9, 30), tick=False):
        abrir(canal_a)  # due 10:30: 40 of 60 min left at 9:50 -> not yet
    inativa.ativo = False
    inativa.save(update_fields=["ativo"])
    with time_machine.travel(sp(2026, 12, 1, 9, 50), tick=False):
        assert alertar() == {"antes": 2, "violado": 0}
        assert alertar() == {"antes": 0, "violado": 0}
    assert set(AlertaSla.objects.values_list("ticket_id", "alvo", "momento")) == {
        (a1.pk, "primeira_resposta", "antes"),
        (c1.pk, "primeira_resposta", "antes"),
    }


@pytest.mark.django_db
def test_rodada_custa_o_mesmo_com_uma_ou_dez_filas(empresa, cenario, django_assert_max_num_queries):
    """A minute with nothing to send costs the same whatever the number of queues (it was
    three queries per active queue)."""
    _, canal, *_ = cenario
    with time_machine.travel(sp(2026, 12, 1, 9), tick=False):
        _abrir(empresa, canal)

    def rodada() -> int:
        with (
            time_machine.travel(sp(2026, 12, 1, 9, 10), tick=False),
            django_assert_max_num_queries(30) as consultas,
        ):
            assert alertar() == {"antes": 0, "violado": 0}
        return len(consultas)

    uma = rodada()
    for _ in range(9):
        FilaFactory(empresa=empresa, horario=COMERCIAL, sla_primeira_resposta_min=60)
    assert rodada() == uma
