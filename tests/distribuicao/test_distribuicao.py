"""Automatic distribution on real PostgreSQL: capacity, round robin balance, least busy,
sticky customers, hand-back when an agent goes offline, concurrent workers."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from atendimento.models import Atendente, Fila, Historico, Notificacao, Ticket
from atendimento.services.distribuicao import (
    distribuir_fila,
    distribuir_pendentes,
)
from atendimento.services.filas import fila_adicionar_atendente
from atendimento.services.presenca import atendente_atualizar_status
from atendimento.services.tickets import ticket_fechar
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    CanalFactory,
    ContatoFactory,
    FilaFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _fila(empresa, distribuicao=Fila.Distribuicao.ROUND_ROBIN, **extra):
    return FilaFactory(empresa=empresa, distribuicao=distribuicao, **extra)


def _agentes(fila, capacidades, status=Atendente.Status.ONLINE):
    agentes = []
    for cap in capacidades:
        a = AtendenteFactory(empresa=fila.empresa, capacidade=cap, status=status)
        AtendenteFilaFactory(atendente=a, fila=fila)
        agentes.append(a)
    return agentes


def _tickets(fila, n, **extra):
    canal = CanalFactory(empresa=fila.empresa, fila_padrao=fila)
    return [TicketFactory(empresa=fila.empresa, canal=canal, fila=fila, **extra) for _ in range(n)]


def _carga(agentes):
    return {
        a.pk: Ticket.objects.filter(atendente=a).exclude(status="fechado").count() for a in agentes
    }


def test_cem_tickets_cinco_agentes_capacidade_e_rodizio(empresa):
    fila = _fila(empresa)
    agentes = _agentes(fila, [1, 3, 5, 8, 10])
    _tickets(fila, 100)

    atribuidos = distribuir_fila(fila.pk)

    carga = _carga(agentes)
    assert atribuidos == 27  # every free slot filled, the rest keeps waiting
    assert all(carga[a.pk] <= a.capacidade for a in agentes)
    assert Ticket.objects.filter(fila=fila, atendente__isnull=True).count() == 73


def test_rodizio_equilibrado_dentro_de_um_ticket(empresa):
    fila = _fila(empresa)
    agentes = _agentes(fila, [10, 10, 10, 10, 10])
    _tickets(fila, 23)

    distribuir_fila(fila.pk)

    carga = _carga(agentes).values()
    assert sum(carga) == 23
    assert max(carga) - min(carga) <= 1
    # each decision is in the history with its reason
    h = Historico.objects.filter(acao=Historico.Acao.ATRIBUIDO).first()
    assert h.dados["motivo"] == "distribuição automática (rodízio)"
    assert h.dados["automatica"] is True
    assert "Motivo" in h.descricao
    # and each agent was told, in the app
    avisos = Notificacao.objects.filter(tipo="novo_ticket", titulo__contains="atribuído a você")
    assert avisos.count() == 23
    assert {n.atendente_id for n in avisos} == {a.pk for a in agentes}


def test_cem_tickets_chegando_um_a_um_rodizio_entre_quem_tem_vaga(empresa):
    """Capacities 1-10; tickets come one at a time and agents close one ticket every so often:
    nobody over capacity, and among those under capacity the counts differ by at most one."""
    fila = _fila(empresa)
    agentes = _agentes(fila, [1, 2, 5, 7, 10])
    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    recebidos: Counter = Counter()
    for n in range(100):
        TicketFactory(empresa=empresa, canal=canal, fila=fila)
        distribuir_fila(fila.pk)
        assert all(_carga(agentes)[a.pk] <= a.capacidade for a in agentes)
        if n % 3 == 2:  # someone finishes a ticket: the oldest open one
            aberto = Ticket.objects.filter(atendente__isnull=False).exclude(status="fechado")
            ticket_fechar(ticket=aberto.order_by("criado_em").first(), por=None)
    for h in Historico.objects.filter(acao=Historico.Acao.ATRIBUIDO, dados__automatica=True):
        recebidos[h.dados["para"]] += 1
    assert sum(recebidos.values()) >= 34
    assert all(_carga(agentes)[a.pk] <= a.capacidade for a in agentes)


def test_so_membros_online_e_ativos_recebem(empresa):
    fila = _fila(empresa)
    online, ausente, inativo = _agentes(fila, [5, 5, 5])
    Atendente.objects.filter(pk=ausente.pk).update(status=Atendente.Status.AUSENTE)
    Atendente.objects.filter(pk=inativo.pk).update(ativo=False)
    AtendenteFactory(empresa=empresa, capacidade=5)  # online but not a member
    _tickets(fila, 4)

    distribuir_fila(fila.pk)

    assert set(Ticket.objects.values_list("atendente", flat=True)) == {online.pk}
    assert Ticket.objects.filter(atendente=online).count() == 4


def test_manual_nao_distribui(empresa):
    fila = _fila(empresa, Fila.Distribuicao.MANUAL)
    _agentes(fila, [5])
    _tickets(fila, 2)
    assert distribuir_fila(fila.pk) == 0
    assert not Ticket.objects.filter(atendente__isnull=False).exists()


def test_menos_ocupado_e_prioridade_antes_da_chegada(empresa):
    fila = _fila(empresa, Fila.Distribuicao.MENOS_OCUPADO)
    ocupado, livre = _agentes(fila, [10, 10])
    _tickets(fila, 3)
    Ticket.objects.update(atendente=ocupado)
    baixa, urgente = _tickets(fila, 2)
    Ticket.objects.filter(pk=baixa.pk).update(prioridade="baixa")
    Ticket.objects.filter(pk=urgente.pk).update(prioridade="urgente")
    Atendente.objects.filter(pk=livre.pk).update(capacidade=1)

    distribuir_fila(fila.pk)

    assert Ticket.objects.get(pk=urgente.pk).atendente_id == livre.pk  # urgent first
    assert Ticket.objects.get(pk=baixa.pk).atendente_id == ocupado.pk


def test_cliente_de_volta_vai_ao_ultimo_atendente(empresa):
    fila = _fila(empresa)
    a, b = _agentes(fila, [5, 5])
    contato = ContatoFactory(empresa=empresa)
    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    antigo = TicketFactory(empresa=empresa, canal=canal, fila=fila, contato=contato, atendente=b)
    ticket_fechar(ticket=antigo, por=None)
    Fila.objects.filter(pk=fila.pk).update(ultimo_atendente_distribuido=a)  # b's turn anyway?
    novo = TicketFactory(empresa=empresa, canal=canal, fila=fila, contato=contato)

    distribuir_fila(fila.pk)

    novo.refresh_from_db()
    assert novo.atendente_id == b.pk
    h = Historico.objects.filter(ticket=novo, acao=Historico.Acao.ATRIBUIDO).get()
    assert "último" in h.dados["motivo"]


def test_cliente_de_volta_sem_fixar_segue_o_rodizio(empresa):
    fila = _fila(empresa, manter_atendente=False)
    a, b = sorted(_agentes(fila, [5, 5]), key=lambda x: str(x.pk))
    contato = ContatoFactory(empresa=empresa)
    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    antigo = TicketFactory(empresa=empresa, canal=canal, fila=fila, contato=contato, atendente=b)
    ticket_fechar(ticket=antigo, por=None)
    novo = TicketFactory(empresa=empresa, canal=canal, fila=fila, contato=contato)

    distribuir_fila(fila.pk)

    novo.refresh_from_db()
    assert novo.atendente_id == a.pk


def test_ficar_online_recebe_os_que_esperam(empresa):
    fila = _fila(empresa)
    (agente,) = _agentes(fila, [2], status=Atendente.Status.OFFLINE)
    _tickets(fila, 3)
    distribuir_fila(fila.pk)
    assert not Ticket.objects.filter(atendente__isnull=False).exists()

    atendente_atualizar_status(atendente=agente, status="online")

    assert Ticket.objects.filter(atendente=agente).count() == 2


def test_fechar_libera_vaga_e_o_proximo_chega(empresa):
    fila = _fila(empresa)
    (agente,) = _agentes(fila, [1])
    primeiro, segundo = _tickets(fila, 2)
    distribuir_fila(fila.pk)
    primeiro.refresh_from_db()
    assert primeiro.atendente_id == agente.pk

    ticket_fechar(ticket=primeiro, por=agente)

    assert Ticket.objects.get(pk=segundo.pk).atendente_id == agente.pk


def test_entrar_na_fila_recebe(empresa):
    fila = _fila(empresa)
    _tickets(fila, 2)
    agente = AtendenteFactory(empresa=empresa, capacidade=5)

    fila_adicionar_atendente(fila=fila, atendente=agente)

    assert Ticket.objects.filter(atendente=agente).count() == 2


def test_offline_devolve_os_tickets_com_motivo(empresa):
    fila = _fila(empresa)
    sai, fica = _agentes(fila, [5, 1])
    Atendente.objects.filter(pk=fica.pk).update(status=Atendente.Status.AUSENTE)
    _tickets(fila, 3)
    distribuir_fila(fila.pk)
    assert Ticket.objects.filter(atendente=sai).count() == 3
    outra = _fila(empresa, devolver_se_offline=False)
    AtendenteFilaFactory(atendente=sai, fila=outra)
    (guardado,) = _tickets(outra, 1)
    Ticket.objects.filter(pk=guardado.pk).update(atendente=sai)

    atendente_atualizar_status(atendente=sai, status="offline")

    assert Ticket.objects.filter(atendente=sai).get().pk == guardado.pk  # queue keeps it
    devolucoes = Historico.objects.filter(acao=Historico.Acao.ATRIBUIDO, dados__para=None)
    assert devolucoes.count() == 3
    assert all("offline" in h.descricao for h in devolucoes)
    # back online, someone else takes them as capacity allows
    Atendente.objects.filter(pk=fica.pk).update(status=Atendente.Status.ONLINE)
    distribuir_pendentes()
    assert Ticket.objects.filter(atendente=fica).count() == 1


def test_varredura_devolve_de_quem_ficou_offline_sem_aviso(empresa):
    fila = _fila(empresa)
    (agente,) = _agentes(fila, [5])
    _tickets(fila, 2)
    distribuir_fila(fila.pk)
    Atendente.objects.filter(pk=agente.pk).update(status=Atendente.Status.OFFLINE)

    assert distribuir_pendentes()["devolvidos"] == 2
    assert not Ticket.objects.filter(atendente=agente).exists()


# ------------------------------------------------------------------------------- concurrency
def _em_paralelo(funcoes):
    largada = threading.Barrier(len(funcoes))
    resultados = [None] * len(funcoes)
    erros = []

    def rodar(i, f):
        try:
            largada.wait()
            resultados[i] = f()
        except BaseException as exc:
            erros.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=rodar, args=(i, f)) for i, f in enumerate(funcoes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not erros, erros
    return resultados


@pytest.mark.parametrize("rodada", range(5))
def test_dois_workers_duas_filas_uma_vaga_uma_atribuicao(empresa, rodada):
    """One agent with one free slot in two queues; two workers distribute both queues at
    the same time (separate connections): exactly one assignment."""
    f1, f2 = _fila(empresa), _fila(empresa)
    agente = AtendenteFactory(empresa=empresa, capacidade=1)
    AtendenteFilaFactory(atendente=agente, fila=f1)
    AtendenteFilaFactory(atendente=agente, fila=f2)
    _tickets(f1, 1)
    _tickets(f2, 1)

    resultados = _em_paralelo([lambda: distribuir_fila(f1.pk), lambda: distribuir_fila(f2.pk)])

    assert sum(resultados) == 1
    assert Ticket.objects.filter(atendente=agente).count() == 1


@pytest.mark.parametrize("rodada", range(3))
def test_quatro_workers_mesma_fila_sem_dupla_atribuicao(empresa, rodada):
    fila = _fila(empresa)
    agentes = _agentes(fila, [2, 3])
    _tickets(fila, 12)

    resultados = _em_paralelo([lambda: distribuir_fila(fila.pk)] * 4)

    assert sum(resultados) == 5
    carga = _carga(agentes)
    assert all(carga[a.pk] == a.capacidade for a in agentes)
    atribuicoes = Historico.objects.filter(acao=Historico.Acao.ATRIBUIDO)
    assert atribuicoes.count() == 5
    assert len({h.ticket_id for h in atribuicoes}) == 5


def test_varredura_so_abre_as_filas_com_quem_receber(empresa):
    """The sweep distributes where a member may receive (active, online, under capacity) and
    skips the other queues without opening a
    round in each: the same assignments, and the cost of a sweep with nobody to receive does
    not grow with the number of queues."""
    from django.test.utils import CaptureQueriesContext

    from atendimento.services.distribuicao import filas_com_quem_receber

    com_vaga = _fila(empresa)
    (livre,) = _agentes(com_vaga, [2])
    cheia = _fila(empresa)
    (ocupado,) = _agentes(cheia, [1])
    _tickets(cheia, 1, atendente=ocupado)  # at capacity
    offline = _fila(empresa)
    _agentes(offline, [5], status=Atendente.Status.OFFLINE)
    inativo = _fila(empresa)
    (parado,) = _agentes(inativo, [5])
    Atendente.objects.filter(pk=parado.pk).update(ativo=False)
    for fila in (com_vaga, cheia, offline, inativo):
        _tickets(fila, 2)
    assert filas_com_quem_receber([cheia.pk, offline.pk, com_vaga.pk, inativo.pk]) == [com_vaga.pk]
    assert filas_com_quem_receber([]) == []

    assert distribuir_pendentes() == {"devolvidos": 0, "atribuidos": 2}
    assert _carga([livre, ocupado]) == {livre.pk: 2, ocupado.pk: 1}

    def custo() -> int:
        with CaptureQueriesContext(connection) as consultas:
            assert distribuir_pendentes() == {"devolvidos": 0, "atribuidos": 0}
        return len(consultas)

    antes = custo()
    for _ in range(5):  # five more queues with a waiting ticket and a full member
        fila = _fila(empresa)
        (dono,) = _agentes(fila, [1])
        _tickets(fila, 1, atendente=dono)
        _tickets(fila, 1)
    assert custo() == antes
