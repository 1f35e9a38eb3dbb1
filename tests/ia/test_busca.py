"""Knowledge base: indexed on save, hybrid retrieval (vectors + accent-insensitive Portuguese
full text, fused with RRF), one empresa's articles never seen by another."""

from __future__ import annotations

import pytest

from ia.models import ArtigoConhecimento, TrechoConhecimento
from ia.services.busca import buscar
from ia.services.expansao import expandir
from ia.services.indexacao import dividir, trechos
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
    trechos = TrechoConhecimento.objects.filter(artigo=artigo)
    assert {(t.tipo, t.texto) for t in trechos} == {
        ("secao", "Segunda via do boleto: " + ARTIGOS[0][1]),
        ("titulo", "Segunda via do boleto"),
    }
    assert all(len(t.embedding) == 384 for t in trechos)

    artigo.conteudo = "Agora sai pelo WhatsApp. Ou pelo e-mail. Ou no app."
    artigo.save()
    assert list(TrechoConhecimento.objects.filter(artigo=artigo).values_list("tipo", "texto")) == [
        ("secao", "Segunda via do boleto: " + artigo.conteudo),
        ("titulo", "Segunda via do boleto"),
        ("janela", "Segunda via do boleto: Agora sai pelo WhatsApp. Ou pelo e-mail."),
        ("janela", "Segunda via do boleto: Ou pelo e-mail. Ou no app."),
    ]


def test_pergunta_com_outras_palavras_acha_o_artigo_certo_primeiro():
    empresa = EmpresaFactory()
    artigos = {a.titulo: a for a in _kb(empresa)}
    achados = buscar(empresa, "perdi o boleto, como pego outro?", k=3)
    assert achados[0].artigo_id == artigos["Segunda via do boleto"].id
    assert len({a.artigo_id for a in achados}) == len(achados) <= 3
    # the passage quoted is the article's section, not its title or a sentence window
    assert achados[0].texto == "Segunda via do boleto: " + ARTIGOS[0][1]
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


def test_pergunta_com_giria_e_expandida():
    assert expandir("cade o boleto? a net caiu") == (
        "cade o boleto? a net caiu onde fatura internet queda"
    )
    assert expandir("Fatura de março") == "Fatura de março"


def test_filtro_por_empresa_com_muitas_empresas_no_indice():
    """The empresa filter is inside the HNSW scan: another empresa's many near-identical chunks
    never push this empresa's article out of the candidates."""
    empresa, outra = EmpresaFactory(), EmpresaFactory()
    for i in range(40):
        ArtigoConhecimento.objects.create(
            empresa=outra, titulo=f"Segunda via do boleto {i}", conteudo="Segunda via no app."
        )
    certo = ArtigoConhecimento.objects.create(
        empresa=empresa, titulo="Pagamento com Pix", conteudo="Aceitamos Pix com a chave CNPJ."
    )
    achados = buscar(empresa, "segunda via do boleto", k=3)
    assert [a.artigo_id for a in achados] == [certo.id]


def test_dividir_artigo_longo_em_trechos_com_titulo():
    paragrafo = "Frase de teste sobre o assunto. " * 30
    secoes = dividir("Título", "\n\n".join([paragrafo] * 4))
    assert len(secoes) >= 3
    assert all(t.startswith("Título: ") for t in secoes)
    assert dividir("Só título", "") == ["Só título"]
    assert trechos("Só título", "") == [("secao", "Só título")]
    janelas = [texto for tipo, texto in trechos("T", "A. B. C.") if tipo == "janela"]
    assert janelas == ["T: A. B.", "T: B. C."]


def test_palavras_frequentes_nao_buscam_candidatos_mas_pontuam(monkeypatch):
    """In a large knowledge base the full-text candidates come from the question's rare stems only
    (the frequent ones would make the index scan read most of the table); the frequent stems still
    rank the candidates."""
    from ia.services import busca

    empresa = EmpresaFactory()
    artigos = {a.titulo: a for a in _kb(empresa)}
    codigo = ArtigoConhecimento.objects.create(
        empresa=empresa, titulo="Erro XZ42 no roteador", conteudo="O erro XZ42 some ao reiniciar."
    )
    # "boleto"/"via"/"segunda" estimated in 1M chunks each: pruned; "xz42" is rare and kept.
    frequentes = ("{bolet,via,segund}", "{1e6,1e6,1e6}")
    monkeypatch.setattr(busca, "lexemas_frequentes", lambda: frequentes)
    monkeypatch.setattr(busca, "CANDIDATOS_VETOR", 1)  # one vector candidate: the boleto article
    achados = {a.artigo_id: a for a in buscar(empresa, "segunda via do boleto, erro xz42", k=5)}
    boleto = artigos["Segunda via do boleto"].id
    assert set(achados) == {boleto, codigo.id}
    # both ranked by every stem of the question, the frequent ones included
    assert achados[boleto].pos_texto is not None
    assert achados[codigo.id].pos_texto is not None
    # only frequent stems: no full-text candidates, the vector half still answers
    assert [a.artigo_id for a in buscar(empresa, "segunda via do boleto", k=5)] == [boleto]


def test_frequencias_vem_das_estatisticas_do_planejador(monkeypatch):
    from django.db import connection

    from ia.services import busca

    empresa = EmpresaFactory()
    for i in range(30):
        ArtigoConhecimento.objects.create(
            empresa=empresa, titulo=f"Fatura {i}", conteudo=f"A fatura número {i} vence amanhã."
        )
    monkeypatch.setattr(busca, "ORCAMENTO_TEXTO", 5)
    monkeypatch.setattr(busca, "_frequencias", {"ate": 0.0, "valor": ("{}", "{}")})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TrechoConhecimento._meta.db_table}")
    lexemas, linhas = busca.lexemas_frequentes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::text[]), unnest(%s::float8[])", [lexemas, linhas])
        estimadas = dict(cursor.fetchall())
    assert estimadas["fatur"] >= 30  # in every chunk of the 30 articles
    assert busca.lexemas_frequentes() == (lexemas, linhas)  # cached
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TrechoConhecimento._meta.db_table}")
        cursor.execute(f"ANALYZE {TrechoConhecimento._meta.db_table}")
    assert busca.lexemas_frequentes() == (lexemas, linhas)
    busca.esquecer_frequencias()  # after a bulk change: read again
    assert busca.lexemas_frequentes() == ("{}", "{}")


def test_sem_artigo_ativo_nao_embute_a_pergunta(monkeypatch):
    """Without an active indexed article every search is empty: the question is not embedded
    (the costly part of an offline analysis); another empresa's articles do not count."""
    from ia.services import busca

    empresa, outra = EmpresaFactory(), EmpresaFactory()
    _kb(outra)
    embutidas = []
    original = busca.embutir
    monkeypatch.setattr(
        busca, "embutir", lambda textos, **kw: embutidas.append(textos) or original(textos, **kw)
    )
    assert buscar(empresa, "segunda via do boleto", k=1) == []
    assert embutidas == []
    artigo = ArtigoConhecimento.objects.create(
        empresa=empresa, titulo="Segunda via do boleto", conteudo="Pelo app, menu Financeiro."
    )
    assert [a.artigo_id for a in buscar(empresa, "segunda via do boleto", k=1)] == [artigo.id]
    assert len(embutidas) == 1
    artigo.ativo = False
    artigo.save()
    assert buscar(empresa, "segunda via do boleto", k=1) == []
    assert len(embutidas) == 1
