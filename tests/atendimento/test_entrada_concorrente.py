"""Concurrent deliveries, each thread on its own database connection: the unique indexes and the
ticket row lock decide, so nothing is stored twice and no counter update is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from atendimento.models import Contato, IdentidadeContato, Mensagem, Ticket
from atendimento.services.entrada import evento_processar
from canais.adapters.base import (
    Conversa,
    Identidade,
    MensagemEntrada,
    Remetente,
    TipoIdentidade,
    TipoMensagem,
)

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
WA = "5511987654321"


def em_paralelo(funcoes: list[Callable[[], object]]) -> list[object]:
    """Run each function in its own thread (own DB connection), released together."""
    largada = threading.Barrier(len(funcoes))
    resultados: list[object] = [None] * len(funcoes)
    erros: list[BaseException] = []

    def rodar(i: int, funcao: Callable[[], object]) -> None:
        try:
            largada.wait()
            resultados[i] = funcao()
        except BaseException as exc:  # reported by the test thread
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


def mensagem(id_externo: str, segundos: int = 0) -> MensagemEntrada:
    return MensagemEntrada(
        id_externo=id_externo,
        conversa=Conversa(WA),
        remetente=Remetente(
            identidades=(
                Identidade(TipoIdentidade.WHATSAPP, WA),
                Identidade(TipoIdentidade.TELEFONE, WA),
            ),
            nome="Maria",
            telefone=WA,
        ),
        tipo=TipoMensagem.TEXTO,
        data=T0 + timedelta(seconds=segundos),
        conteudo=f"texto {id_externo}",
    )


@pytest.mark.django_db(transaction=True)
def test_mesma_mensagem_em_quatro_workers_ao_mesmo_tempo(canal_whatsapp):
    evento = mensagem("wamid.unica")

    resultados = em_paralelo([lambda: evento_processar(canal=canal_whatsapp, evento=evento)] * 4)

    assert sum(r is not None for r in resultados) == 1
    assert Mensagem.objects.count() == 1
    ticket = Ticket.objects.get()
    assert (ticket.nao_lidas, ticket.total_mensagens, ticket.numero) == (1, 1, 1)
    assert Contato.objects.count() == 1
    assert IdentidadeContato.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_primeiras_mensagens_de_uma_conversa_nova_ao_mesmo_tempo(canal_whatsapp):
    eventos = [mensagem(f"wamid.{n}", segundos=n) for n in range(6)]

    em_paralelo([lambda e=e: evento_processar(canal=canal_whatsapp, evento=e) for e in eventos])

    ticket = Ticket.objects.get()
    assert (ticket.nao_lidas, ticket.total_mensagens) == (6, 6)
    assert ticket.ultima_mensagem_em == T0 + timedelta(seconds=5)
    assert ticket.ultima_mensagem_resumo == "texto wamid.5"
    assert list(ticket.mensagens.values_list("id_externo", flat=True)) == [
        f"wamid.{n}" for n in range(6)
    ]
    assert Contato.objects.count() == 1
    assert ticket.historico.filter(acao="criado").count() == 1
