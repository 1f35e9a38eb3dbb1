"""The AI endpoints from outside, offline (local provider): a knowledge-base article saved
through the API is found for a question worded differently and cited; ``analisar/`` on an angry
cancellation yields negativo / cancelamento in the ticket's insights; other empresas 404."""

from __future__ import annotations

import pytest

from ia.models import AIInsight, AIMetrica, AIResposta, TrechoConhecimento
from tests.canais.webhook_apoio import modo_eager
from tests.factories import MensagemFactory

from .conftest import API

pytestmark = pytest.mark.django_db(transaction=True)

ARTIGOS = [
    (
        "Prazo de entrega",
        "Os pedidos são entregues em até 5 dias úteis nas capitais e até 10 dias úteis no "
        "interior. O código de rastreio chega por e-mail assim que o pedido é despachado.",
    ),
    (
        "Troca e devolução",
        "Você pode devolver um produto em até 7 dias corridos após o recebimento. A troca é "
        "gratuita quando o produto chega com defeito.",
    ),
    (
        "Formas de pagamento",
        "Aceitamos Pix, boleto bancário e cartão de crédito em até 12 vezes sem juros.",
    ),
]


@pytest.fixture
def base(api_supervisor):
    ids = {}
    for titulo, conteudo in ARTIGOS:
        resposta = api_supervisor.post(
            f"{API}/base-conhecimento/", {"titulo": titulo, "conteudo": conteudo}, format="json"
        )
        assert resposta.status_code == 201, resposta.content
        ids[titulo] = resposta.json()["id"]
    return ids


def test_artigo_salvo_pela_api_e_indexado_e_citado(base, api_atendente, ticket):
    assert TrechoConhecimento.objects.filter(tipo="secao").count() == len(ARTIGOS)
    MensagemFactory(ticket=ticket, conteudo="oi, em quantos dias meu pedido chega aqui em casa?")
    resposta = api_atendente.get(f"{API}/tickets/{ticket.id}/sugestao-resposta/")
    assert resposta.status_code == 200, resposta.content
    dados = resposta.json()
    assert dados["fontes"][0]["id"] == base["Prazo de entrega"]
    assert "dias úteis" in dados["resposta"]
    assert 0 <= dados["confianca"] <= 1
    assert dados["provider"] == "local"
    assert dados["modelo"]
    log = AIResposta.objects.get(ticket=ticket)
    assert str(log.id) == dados["sugestao_id"]
    assert (log.funcionalidade, log.provider, log.resultado) == (
        "sugestao_resposta",
        "local",
        "pendente",
    )
    metrica = AIMetrica.objects.get(empresa=ticket.empresa, funcionalidade="sugestao_resposta")
    assert (metrica.chamadas, metrica.erros, metrica.provider) == (1, 0, "local")
    assert metrica.custo == 0


def test_artigo_inativo_nao_e_sugerido(base, api_supervisor, api_atendente, ticket):
    api_supervisor.patch(
        f"{API}/base-conhecimento/{base['Formas de pagamento']}/", {"ativo": False}, format="json"
    )
    MensagemFactory(ticket=ticket, conteudo="posso pagar no pix ou parcelar no cartao?")
    dados = api_atendente.get(f"{API}/tickets/{ticket.id}/sugestao-resposta/").json()
    assert base["Formas de pagamento"] not in [f["id"] for f in dados["fontes"]]


def test_artigo_de_outra_empresa_nunca_e_citado(base, api_atendente, ticket, outra_empresa):
    """Another empresa's article that matches the question word for word (and a rare word of it
    that only that article has) is never a source: both halves of the search are filtered by
    empresa."""
    from ia.models import ArtigoConhecimento

    alheio = ArtigoConhecimento.objects.create(
        empresa=outra_empresa,
        titulo="Em quantos dias meu pedido chega? Rastreio XK77",
        conteudo="Em quantos dias meu pedido chega aqui em casa: 2 dias. Rastreio XK77.",
    )
    MensagemFactory(ticket=ticket, conteudo="em quantos dias meu pedido chega aqui em casa? XK77")
    dados = api_atendente.get(f"{API}/tickets/{ticket.id}/sugestao-resposta/").json()
    fontes = [f["id"] for f in dados["fontes"]]
    assert str(alheio.id) not in fontes
    assert set(fontes) <= set(base.values())
    assert "XK77" not in dados["resposta"]


def test_analisar_cancelamento_irritado(api_atendente, ticket):
    MensagemFactory(
        ticket=ticket,
        conteudo="q absurdo!!! ja liguei 3x e ninguem resolve, quero cancelar essa porcaria agora",
    )
    with modo_eager():
        resposta = api_atendente.post(f"{API}/tickets/{ticket.id}/analisar/")
    assert resposta.status_code == 202, resposta.content
    assert resposta.json()["ticket_id"] == str(ticket.id)
    insights = api_atendente.get(f"{API}/tickets/{ticket.id}/").json()["insights"]
    assert insights["sentimento"]["valor"] == "negativo"
    assert insights["intencao"]["valor"] == "cancelamento"
    assert insights["classificacao"]["categoria"] == "Cancelamento"
    assert insights["classificacao"]["urgencia"] == "alta"
    assert insights["churn"]["risco"] in ("medio", "alto")
    assert "pediu para cancelar" in insights["churn"]["motivos"]
    metrica = AIMetrica.objects.get(empresa=ticket.empresa, funcionalidade="analise_completa")
    assert (metrica.chamadas, metrica.erros) == (1, 0)
    log = AIResposta.objects.get(ticket=ticket, funcionalidade="analise_completa")
    assert log.provider == "local"
    assert '"cancelamento"' in log.resposta


def test_falha_da_analise_conta_como_erro_sem_gravar_insight(api_atendente, ticket, monkeypatch):
    from ia.services import analise

    def quebrar(*args, **kwargs):
        raise RuntimeError("modelo indisponível")

    monkeypatch.setattr(analise, "predizer_churn", quebrar)
    MensagemFactory(ticket=ticket, conteudo="quero cancelar")
    with pytest.raises(RuntimeError):
        analise.analise_completa(ticket)
    assert not AIInsight.objects.filter(ticket=ticket).exists()
    assert not AIResposta.objects.filter(ticket=ticket).exists()
    metrica = AIMetrica.objects.get(empresa=ticket.empresa, funcionalidade="analise_completa")
    assert (metrica.chamadas, metrica.erros) == (1, 1)


def test_rajada_de_mensagens_agenda_uma_analise(ticket):
    from django.core.cache import cache

    from atendimento.services.reacoes import EntradaConfirmada
    from ia import tasks

    cache.delete(f"ia:analise:{ticket.id}")
    agendadas = []
    original = tasks.analise_lote.apply_async
    tasks.analise_lote.apply_async = lambda *a, **k: agendadas.append((a, k))
    try:
        entradas = [
            EntradaConfirmada(
                empresa_id=ticket.empresa_id,
                ticket_id=ticket.id,
                mensagem_id=ticket.id,
                canal_id=ticket.canal_id,
                contato_id=ticket.contato_id,
                ticket_novo=False,
            )
        ]
        for _ in range(10):
            tasks.analisar_entradas(entradas)
    finally:
        tasks.analise_lote.apply_async = original
        cache.delete(f"ia:analise:{ticket.id}")
    assert [k["args"] for _a, k in agendadas] == [[[str(ticket.id)]]]
    assert not AIInsight.objects.exists()  # nothing ran on the caller's path


def test_outra_empresa_404(api_admin, ticket_outra_empresa):
    assert api_admin.post(f"{API}/tickets/{ticket_outra_empresa.id}/analisar/").status_code == 404
    assert (
        api_admin.get(f"{API}/tickets/{ticket_outra_empresa.id}/sugestao-resposta/").status_code
        == 404
    )
