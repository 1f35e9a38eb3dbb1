"""``Lacunas``: which holes in a group's sequence numbers are losses (times given explicitly)."""

from __future__ import annotations

from atendimento.realtime.sequencia import Lacunas


def test_sem_buraco_nada_a_fazer():
    lacunas = Lacunas(espera=2)
    for seq in (7, 8, 9):
        assert lacunas.registrar("fila.a", seq, agora=0) is False
    assert not lacunas.pendentes()
    assert lacunas.vencidas(agora=100) == 0


def test_numero_atrasado_fecha_o_buraco():
    lacunas = Lacunas(espera=2)
    lacunas.registrar("fila.a", 1, agora=0)
    lacunas.registrar("fila.a", 3, agora=0)
    assert lacunas.pendentes()
    lacunas.registrar("fila.a", 2, agora=1)  # only late: two publishers raced
    assert not lacunas.pendentes()
    assert lacunas.vencidas(agora=10) == 0


def test_buraco_que_dura_a_espera_e_perda():
    lacunas = Lacunas(espera=2)
    lacunas.registrar("fila.a", 1, agora=0)
    lacunas.registrar("fila.a", 4, agora=0)
    assert lacunas.vencidas(agora=1.9) == 0
    assert lacunas.vencidas(agora=2.0) == 2
    assert lacunas.zerar() == 2
    assert not lacunas.pendentes()


def test_buraco_largo_e_perda_na_hora():
    lacunas = Lacunas(espera=2)
    lacunas.registrar("fila.a", 1, agora=0)
    assert lacunas.registrar("fila.a", 1000, agora=0) is True
    assert lacunas.zerar() == 998


def test_grupos_independentes_e_nova_base_ao_reentrar():
    lacunas = Lacunas(espera=2)
    lacunas.registrar("fila.a", 5, agora=0)
    lacunas.registrar("ticket.b", 90, agora=0)
    lacunas.registrar("fila.a", 6, agora=0)
    assert not lacunas.pendentes()
    lacunas.esquecer("ticket.b")  # left the room; rejoining later starts anew
    lacunas.registrar("ticket.b", 200, agora=0)
    assert not lacunas.pendentes()


def test_contador_reiniciado_vira_nova_base():
    lacunas = Lacunas(espera=2)
    lacunas.registrar("fila.a", 5000, agora=0)
    lacunas.registrar("fila.a", 1, agora=0)  # the counter's key expired and started again
    lacunas.registrar("fila.a", 2, agora=0)
    assert not lacunas.pendentes()


def test_repeticao_nao_e_buraco():
    lacunas = Lacunas(espera=2)
    lacunas.registrar("fila.a", 3, agora=0)
    lacunas.registrar("fila.a", 3, agora=0)
    lacunas.registrar("fila.a", 2, agora=0)
    assert not lacunas.pendentes()
