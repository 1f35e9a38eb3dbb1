"""Knowledge base: indexed on save, hybrid retrieval (vectors + accent-insensitive Portuguese
full text, fused with RRF), one empresa's articles never seen by another."""

from __future__ import annotations

import pytest

from ia.models import ArtigoConhecimento, TrechoConhecimento
from ia.services.busca import buscar
from ia.services.indexacao import dividir
from tests.factories import EmpresaFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARTIGOS = [
    ("Segunda via do boleto", "Para emitir a segunda via da fatura acesse o app, menu Financeiro."),
    ("Prazo de entrega", "Os pedidos são entregues em até 7 dias úteis nas capitais."),
    (
        "Cancelamento do plano",
        "Você pode cancelar o plano a qualquer momento pelo app ou telefone.",
    ),
    ("Pagamento com Pix", "Aceitamos Pix: a chave é o CNPJ da empresa e a baixa é imediata."),
]


def _kb(empresa):
    return [
        ArtigoConhecimento.objects.create(empresa=empresa, titulo=t, conteudo=c) for t, c in ARTIGOS
    ]


def test_artigo_indexado_ao_salvar_e_reindexado_ao_editar():
    empresa = EmpresaFactory()
    artigo = _kb(empresa)[0]
    artigo.refresh_from_db()
    assert artigo.indexado_em is not None
    trecho = TrechoConhecimento.objects.get(artigo=artigo)
    assert trecho.texto.startswith("Segunda via do boleto: ")
    assert trecho.embedding is not None
    assert len(trecho.embedding) == 384

    artigo.conteudo = "Agora a segunda via sai também pelo WhatsApp."
    artigo.save()
    assert list(
        TrechoConhecimento.objects.filter(artigo=artigo).values_list("texto", flat=True)
    ) == ["Segunda via do boleto: Agora a segunda via sai também pelo WhatsApp."]


def test_pergunta_com_outras_palavras_acha_o_artigo_certo_primeiro():
    empresa = EmpresaFactory()
    artigos = {a.titulo: a for a in _kb(empresa)}
    achados = buscar(empresa, "perdi o boleto, como pego outro?", k=3)
    assert achados[0].artigo_id == artigos["Segunda via do boleto"].id
    assert len({a.artigo_id for a in achados}) == len(achados) <= 3
    assert buscar(empresa, "quero encerrar minha assinatura", k=1)[0].artigo_id == (
        artigos["Cancelamento do plano"].id
    )


def test_texto_ignora_acentos_e_usa_ou():
    empresa = EmpresaFactory()
    artigos = {a.titulo: a for a in _kb(empresa)}
    # "uteis"/"entregues" without accents and a chatty question: the full-text half must hit.
    achados = buscar(empresa, "em quantos dias uteis meu pedido e entregue la em casa?", k=2)
    entrega = [a for a in achados if a.artigo_id == artigos["Prazo de entrega"].id]
    assert entrega
    assert entrega[0].pos_texto == 1


def test_outra_empresa_e_artigo_inativo_nao_aparecem():
    empresa, outra = EmpresaFactory(), EmpresaFactory()
    _kb(outra)
    assert buscar(empresa, "segunda via do boleto", k=5) == []
    inativo = ArtigoConhecimento.objects.create(
        empresa=empresa, titulo="Segunda via do boleto", conteudo="Pelo app.", ativo=False
    )
    assert inativo.id not in {a.artigo_id for a in buscar(empresa, "segunda via", k=5)}
    assert buscar(empresa, "   ", k=5) == []


def test_dividir_artigo_longo_em_trechos_com_titulo():
    paragrafo = "Frase de teste sobre o assunto. " * 30
    trechos = dividir("Título", "\n\n".join([paragrafo] * 4))
    assert len(trechos) >= 3
    assert all(t.startswith("Título: ") for t in trechos)
    assert dividir("Só título", "") == ["Só título"]
