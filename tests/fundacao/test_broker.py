"""The broker transport of every process (conectcrm/broker.py) and what the inbound path logs
while Redis is away."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from kombu import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from atendimento.services import reacoes
from conectcrm import broker


def test_url_do_broker_usa_o_transporte_que_sobrevive_a_reconexao():
    conexao = Connection(settings.CELERY_BROKER_URL)
    assert conexao.transport_cls == "redis"
    assert type(conexao.transport) is broker.Transport


def test_canal_de_conexao_ja_liberada_fala_em_erro_de_conexao():
    """What Celery's reconnection does (collect, then close): the channel's close must meet a
    connection error, which kombu ignores while closing, not an AttributeError that kills the
    worker."""
    conexao = Connection(settings.CELERY_BROKER_URL)
    canal = conexao.channel()
    try:
        conexao.transport.client = None  # what Connection.collect() leaves behind
        with pytest.raises(RedisConnectionError):
            canal._connparams()
        assert isinstance(RedisConnectionError(), conexao.connection_errors)
    finally:
        conexao.transport.client = conexao
        conexao.release()


def test_reacao_com_redis_fora_do_ar_vira_um_aviso_por_intervalo(caplog, monkeypatch):
    chamadas = []

    def cai(entradas):
        chamadas.append(len(entradas))
        raise RedisConnectionError("Error 111 connecting")

    def outra(entradas):
        chamadas.append(-len(entradas))

    monkeypatch.setattr(reacoes, "_REACOES", [cai, outra])
    monkeypatch.setattr(reacoes, "aviso", reacoes.AvisoLimitado(reacoes.logger))
    with caplog.at_level(logging.WARNING, logger=reacoes.logger.name):
        for _ in range(5):
            reacoes.apos_entrada([object()])
    assert chamadas == [1, -1] * 5  # the other reactions still ran
    linhas = [r for r in caplog.records if r.name == reacoes.logger.name]
    assert len(linhas) == 1
    assert linhas[0].levelno == logging.WARNING
    assert linhas[0].exc_info is None
    assert "Redis unreachable" in linhas[0].getMessage()
