"""The analysis queued by customer messages: one ``AIInsight`` per new latest customer message.
A job of the same burst that finds that message already analysed does nothing (a backlogged
queue holds several per ticket); a person's request (``analisar/``) always analyses again.
The offline analysis reads its text once (one embedding for the classifiers and the search)."""

from __future__ import annotations

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
