"""The analysis queued by customer messages: one ``AIInsight`` per new latest customer message.
A job of the same burst that finds that message already analysed does nothing (a backlogged
queue holds several per ticket); a person's request (``analisar/``) always analyses again.
The offline analysis reads its text once (one embedding for the classifiers and the search)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from atendimento.models import Mensagem
from ia import embeddings, tasks
from ia.models import AIInsight, ArtigoConhecimento, RiscoChurn
from ia.services import analise
from ia.services.indexacao import indexar_artigo
from tests.factories import MensagemFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _cliente(ticket, texto):
    return MensagemFactory(
        ticket=ticket, empresa=ticket.empresa, direcao=Mensagem.Direcao.ENTRADA, conteudo=texto
    )


def test_rajada_gera_um_insight_por_ultima_mensagem(empresa):
    ticket = TicketFactory(empresa=empresa)
    primeira = _cliente(ticket, "vcs cobraram duas vezes o meu boleto")
    tasks.analise_completa.run(str(ticket.pk), tasks.POR_MENSAGEM)
    tasks.analise_completa.run(str(ticket.pk), tasks.POR_MENSAGEM)  # same burst, late job
    assert list(AIInsight.objects.filter(ticket=ticket).values_list("mensagem", flat=True)) == [
        primeira.pk
    ]
    assert RiscoChurn.objects.filter(contato=ticket.contato).count() == 1

    segunda = _cliente(ticket, "quero cancelar essa porcaria")
    tasks.analise_completa.run(str(ticket.pk), tasks.POR_MENSAGEM)
    ultimo = AIInsight.objects.filter(ticket=ticket).latest("criado_em")
    assert (ultimo.mensagem_id, ultimo.intencao) == (segunda.pk, "cancelamento")
    assert RiscoChurn.objects.get(contato=ticket.contato).ticket_id == ticket.pk

    tasks.analise_completa.run(str(ticket.pk))  # asked by a person: analysed again
    assert AIInsight.objects.filter(ticket=ticket, mensagem=segunda).count() == 2
    assert AIInsight.objects.filter(ticket=ticket).count() == 3


def test_insight_de_outra_empresa_nao_conta(empresa, outra_empresa):
    """The skip looks at this ticket's own insight only."""
    ticket = TicketFactory(empresa=empresa)
    _cliente(ticket, "minha internet caiu de novo")
    alheio = TicketFactory(empresa=outra_empresa)
    _cliente(alheio, "minha internet caiu de novo")
    tasks.analise_completa.run(str(alheio.pk), tasks.POR_MENSAGEM)
    tasks.analise_completa.run(str(ticket.pk), tasks.POR_MENSAGEM)
    assert AIInsight.objects.filter(ticket=ticket, empresa=empresa).count() == 1
    assert AIInsight.objects.filter(empresa=outra_empresa).count() == 1


def test_analise_embute_o_texto_uma_vez(empresa, monkeypatch):
    """With a knowledge base (the search runs) and slang in the text (the search expands it),
    the classifiers and the search share one embedding of the ticket's text."""
    artigo = ArtigoConhecimento.objects.create(
        empresa=empresa, titulo="Segunda via da fatura", conteudo="Como emitir a segunda via."
    )
    indexar_artigo(artigo)
    ticket = TicketFactory(empresa=empresa)
    _cliente(ticket, "vc pode mandar o boleto de novo? nao chegou")
    embutidos: list[str] = []
    original = embeddings._modelo

    class Contador:
        def __init__(self, modelo):
            self.modelo = modelo

        def query(self, textos):
            embutidos.extend(textos)
            return self.modelo.query(textos)

        def passage(self, textos):
            return self.modelo.passage(textos)

    monkeypatch.setattr(embeddings, "_modelo", lambda: Contador(original()))
    embeddings._cache.clear()
    analise.analise_completa(ticket)
    assert len(embutidos) == 1
    assert "fatura" in embutidos[0]  # the expanded question ("boleto" → "fatura")
    assert np.isfinite(AIInsight.objects.get(ticket=ticket).sentimento_score)


def test_um_job_por_lote_de_entrada(empresa, outra_empresa, monkeypatch):
    """The customer messages of one inbound batch queue one ``analise_lote`` job for their
    tickets (once per ticket and burst); it analyses each in its own empresa, skips what is
    already analysed and goes on past a ticket whose analysis fails."""
    from django.core.cache import cache

    nosso, alheio, quebrado = (
        TicketFactory(empresa=empresa),
        TicketFactory(empresa=outra_empresa),
        TicketFactory(empresa=empresa),
    )
    for ticket in (nosso, alheio, quebrado):
        _cliente(ticket, "a net caiu de novo, quero cancelar")
    cache.delete_many([tasks._chave_analise(t.pk) for t in (nosso, alheio, quebrado)])
    jobs = []
    monkeypatch.setattr(
        tasks.analise_lote, "apply_async", lambda args, countdown: jobs.append(args)
    )
    entradas = [SimpleNamespace(ticket_id=t.pk) for t in (nosso, alheio, nosso, quebrado)]
    tasks.analisar_entradas(entradas)
    tasks.analisar_entradas(entradas[:2])  # same burst: already queued
    assert jobs == [[[str(nosso.pk), str(alheio.pk), str(quebrado.pk)]]]
    assert tasks.analise_agendada(nosso.pk)

    original = analise.analise_completa

    def quebrar(ticket):
        if ticket.pk == quebrado.pk:
            raise RuntimeError("falhou")
        return original(ticket)

    monkeypatch.setattr(analise, "analise_completa", quebrar)
    assert tasks.analise_lote.run(*jobs[0]) == 2
    assert not tasks.analise_agendada(nosso.pk)
    assert AIInsight.objects.get(ticket=nosso).empresa_id == empresa.pk
    assert AIInsight.objects.get(ticket=alheio).empresa_id == outra_empresa.pk
    assert not AIInsight.objects.filter(ticket=quebrado).exists()

    monkeypatch.setattr(analise, "analise_completa", original)
    assert tasks.analise_lote.run(*jobs[0]) == 1  # only the one without its insight
    _cliente(nosso, "alo??")
    assert tasks.analise_lote.run([str(nosso.pk), str(alheio.pk)]) == 1
    assert AIInsight.objects.filter(ticket=nosso).count() == 2
