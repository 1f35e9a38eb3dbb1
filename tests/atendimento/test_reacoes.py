"""The post-commit extension point of the inbound path (atendimento.services.reacoes)."""

from __future__ import annotations

import pytest

from atendimento.services import reacoes
from atendimento.services.entrada import evento_processar
from tests.atendimento.test_entrada import msg_wa
from tests.factories import CanalFactory


@pytest.fixture
def registradas(monkeypatch):
    recebidas: list[list[reacoes.EntradaConfirmada]] = []
    monkeypatch.setattr(reacoes, "_REACOES", [])

    @reacoes.reagir_a_entrada
    def _anotar(entradas):
        recebidas.append(entradas)

    return recebidas


@pytest.mark.django_db(transaction=True)
def test_reacao_recebe_a_mensagem_apos_o_commit_uma_vez(registradas):
    canal = CanalFactory(tipo="whatsapp")
    mensagem = evento_processar(canal=canal, evento=msg_wa("5511987654321", "wamid.1"))
    assert evento_processar(canal=canal, evento=msg_wa("5511987654321", "wamid.1")) is None
    assert len(registradas) == 1
    (entrada,) = registradas[0]
    assert entrada.mensagem_id == mensagem.pk
    assert entrada.ticket_id == mensagem.ticket_id
    assert entrada.empresa_id == canal.empresa_id
    assert entrada.ticket_novo is True
    evento_processar(canal=canal, evento=msg_wa("5511987654321", "wamid.2"))
    assert registradas[1][0].ticket_novo is False


@pytest.mark.django_db(transaction=True)
def test_reacao_que_falha_nao_impede_as_outras_nem_a_entrada(registradas, monkeypatch):
    def _quebra(entradas):
        raise RuntimeError("boom")

    reacoes._REACOES.insert(0, _quebra)
    canal = CanalFactory(tipo="whatsapp")
    assert evento_processar(canal=canal, evento=msg_wa("5511987654321", "wamid.9")) is not None
    assert len(registradas) == 1


@pytest.mark.django_db
def test_nada_roda_se_a_transacao_for_desfeita(registradas, django_capture_on_commit_callbacks):
    canal = CanalFactory(tipo="whatsapp")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evento_processar(canal=canal, evento=msg_wa("5511987654321", "wamid.3"))
    assert registradas == []
    assert callbacks  # scheduled for commit, not run inside the transaction
