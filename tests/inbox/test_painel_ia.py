"""The inbox's AI panel: badges, churn risk with its reasons, the suggested reply with its
sources, inserting it into the composer, sending it (aceita / editada), discarding it
(rejeitada), asking for a new one and for an analysis; other tickets' suggestions are 404."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from atendimento.models import Mensagem
from ia.models import AIInsight, AIMetrica, AIResposta, ArtigoConhecimento
from tests.canais.webhook_apoio import modo_eager
from tests.factories import MensagemFactory, TicketFactory

from .conftest import HTMX, texto

pytestmark = pytest.mark.django_db

TEXTO = "O prazo de entrega é de 5 dias úteis."


@pytest.fixture
def ticket_aberto(novo_ticket, atendente):
    ticket = novo_ticket(atendente=atendente, ultima_entrada_em=timezone.now())
    cache.delete(f"ia:analise:{ticket.id}")
    yield ticket
    cache.delete(f"ia:analise:{ticket.id}")


def _sugestao(ticket, **campos):
    campos.setdefault("resposta", TEXTO)
    return AIResposta.objects.create(
        empresa=ticket.empresa,
        ticket=ticket,
        pergunta="quando chega?",
        confianca=0.8,
        fontes=[{"id": "a1", "titulo": "Prazo de entrega", "trecho": "Entregamos em 5 dias."}],
        provider="local",
        **campos,
    )


def _lateral(cliente, ticket):
    return texto(cliente.get(f"/inbox/tickets/{ticket.id}/lateral/", **HTMX))


def test_selos_churn_com_motivos_e_sugestao_com_fontes(cliente_de, atendente, ticket_aberto):
    AIInsight.objects.create(
        empresa=ticket_aberto.empresa,
        ticket=ticket_aberto,
        tipo=AIInsight.Tipo.COMPLETA,
        resultado={
            "classificacao": {"subcategoria": "Prazo de entrega", "tags": ["entrega"]},
            "churn": {"risco": "alto", "probabilidade": 0.71, "motivos": ["pediu para cancelar"]},
        },
        sentimento="negativo",
        sentimento_score=-0.6,
        intencao="cancelamento",
        intencao_confianca=0.9,
        categoria="Cancelamento",
        urgencia="alta",
        churn_risco="alto",
        churn_probabilidade=0.71,
        provider="local",
    )
    sugestao = _sugestao(ticket_aberto)
    html = _lateral(cliente_de(atendente), ticket_aberto)
    assert 'class="selo selo--negativo" data-ia="sentimento"' in html
    assert "Intenção: Cancelamento (90%)" in html
    assert "Cancelamento \u203a Prazo de entrega" in html
    assert '<span class="selo selo--risco-alto">Alto</span>' in html
    assert "<li>pediu para cancelar</li>" in html
    assert "(71%)" in html
    assert "confiança 80%" in html
    assert "<strong>Prazo de entrega</strong>" in html
    assert f"/composer/?sugestao={sugestao.id}" in html
    assert f"/sugestoes/{sugestao.id}/descartar/" in html


def test_analise_nao_aparece_como_sugestao(cliente_de, atendente, ticket_aberto):
    _sugestao(ticket_aberto, funcionalidade="analise_completa", resposta='{"x": 1}')
    html = _lateral(cliente_de(atendente), ticket_aberto)
    assert '{"x": 1}' not in html
    assert "&quot;x&quot;" not in html
    assert 'data-acao="sugerir"' in html


def test_usar_e_enviar_sem_mudar_e_aceita(cliente_de, atendente, ticket_aberto):
    sugestao = _sugestao(ticket_aberto)
    cliente = cliente_de(atendente)
    composer = texto(
        cliente.get(f"/inbox/tickets/{ticket_aberto.id}/composer/?sugestao={sugestao.id}", **HTMX)
    )
    assert f'<input type="hidden" name="sugestao" value="{sugestao.id}">' in composer
    resposta = cliente.post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/",
        {"conteudo": TEXTO, "sugestao": sugestao.id},
        **HTMX,
    )
    assert resposta.status_code == 200
    sugestao.refresh_from_db()
    assert sugestao.resultado == "aceita"
    assert sugestao.mensagem.conteudo == TEXTO
    # a used suggestion leaves the panel
    assert TEXTO not in _lateral(cliente, ticket_aberto)


def test_enviar_editada(cliente_de, atendente, ticket_aberto):
    sugestao = _sugestao(ticket_aberto)
    cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/",
        {"conteudo": "Oi Maria! " + TEXTO, "sugestao": sugestao.id},
        **HTMX,
    )
    sugestao.refresh_from_db()
    assert sugestao.resultado == "editada"


def test_envio_recusado_mantem_a_sugestao_no_composer(cliente_de, atendente, novo_ticket):
    fora_da_janela = novo_ticket(atendente=atendente)
    sugestao = _sugestao(fora_da_janela)
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{fora_da_janela.id}/enviar/",
        {"conteudo": TEXTO, "sugestao": sugestao.id},
        **HTMX,
    )
    assert resposta.status_code == 422
    sugestao.refresh_from_db()
    assert sugestao.resultado == "pendente"


def test_descartar(cliente_de, atendente, ticket_aberto):
    sugestao = _sugestao(ticket_aberto)
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/sugestoes/{sugestao.id}/descartar/", **HTMX
    )
    assert resposta.status_code == 200
    sugestao.refresh_from_db()
    assert sugestao.resultado == "rejeitada"
    assert TEXTO not in texto(resposta)


def test_sugestao_de_outra_empresa_ou_ticket_e_404(
    cliente_de, atendente, ticket_aberto, outra_empresa
):
    alheia = _sugestao(TicketFactory(empresa=outra_empresa))
    de_outro_ticket = _sugestao(TicketFactory(empresa=ticket_aberto.empresa))
    cliente = cliente_de(atendente)
    for sugestao in (alheia, de_outro_ticket):
        assert (
            cliente.post(
                f"/inbox/tickets/{ticket_aberto.id}/sugestoes/{sugestao.id}/descartar/", **HTMX
            ).status_code
            == 404
        )
        assert (
            cliente.post(
                f"/inbox/tickets/{ticket_aberto.id}/enviar/",
                {"conteudo": TEXTO, "sugestao": sugestao.id},
                **HTMX,
            ).status_code
            == 404
        )
    assert not Mensagem.objects.filter(ticket=ticket_aberto).exists()
    assert set(AIResposta.objects.values_list("resultado", flat=True)) == {"pendente"}


@pytest.mark.django_db(transaction=True)  # the article is indexed after commit
def test_sugerir_resposta_pelo_painel(cliente_de, atendente, ticket_aberto):
    ArtigoConhecimento.objects.create(
        empresa=ticket_aberto.empresa,
        titulo="Prazo de entrega",
        conteudo="Os pedidos são entregues em até 5 dias úteis nas capitais.",
    )
    MensagemFactory(ticket=ticket_aberto, conteudo="em quantos dias chega meu pedido?")
    html = texto(cliente_de(atendente).post(f"/inbox/tickets/{ticket_aberto.id}/sugerir/", **HTMX))
    sugestao = AIResposta.objects.get(ticket=ticket_aberto, funcionalidade="sugestao_resposta")
    assert "5 dias úteis" in sugestao.resposta
    assert f'data-sugestao-id="{sugestao.id}"' in html
    assert AIMetrica.objects.get(funcionalidade="sugestao_resposta").chamadas == 1


def test_analisar_pelo_painel(cliente_de, atendente, ticket_aberto):
    MensagemFactory(ticket=ticket_aberto, conteudo="quero cancelar, pessimo atendimento")
    with modo_eager():
        resposta = cliente_de(atendente).post(
            f"/inbox/tickets/{ticket_aberto.id}/analisar/", **HTMX
        )
    assert resposta.status_code == 200
    insight = AIInsight.objects.get(ticket=ticket_aberto)
    assert insight.intencao == "cancelamento"
    html = _lateral(cliente_de(atendente), ticket_aberto)
    assert "Intenção: Cancelamento" in html
