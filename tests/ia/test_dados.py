"""The labelled pt-BR sets under ia/dados/: schema, sizes and the tune/measure separation."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

DADOS = Path(__file__).resolve().parents[2] / "ia" / "dados"
SENTIMENTOS = {"positivo", "negativo", "neutro"}
INTENCOES = {"duvida", "reclamacao", "elogio", "suporte", "cancelamento", "informacao"}


def _ler(nome: str) -> list[dict]:
    with (DADOS / nome).open(encoding="utf-8") as arquivo:
        return [json.loads(linha) for linha in arquivo if linha.strip()]


def _normal(texto: str) -> str:
    return " ".join(texto.lower().split())


@pytest.mark.parametrize(
    ("nome", "minimo"), [("mensagens_ajuste.jsonl", 300), ("mensagens_medida.jsonl", 150)]
)
def test_mensagens_rotuladas(nome, minimo):
    linhas = _ler(nome)
    assert len(linhas) >= minimo
    for linha in linhas:
        assert set(linha) == {"id", "texto", "sentimento", "intencao"}, linha
        assert linha["texto"].strip()
        assert linha["sentimento"] in SENTIMENTOS, linha
        assert linha["intencao"] in INTENCOES, linha
    assert len({linha["id"] for linha in linhas}) == len(linhas)
    # every label is represented well enough to be measured
    assert set(Counter(linha["intencao"] for linha in linhas)) == INTENCOES
    assert min(Counter(linha["intencao"] for linha in linhas).values()) >= 20
    assert set(Counter(linha["sentimento"] for linha in linhas)) == SENTIMENTOS


def test_conjunto_de_medida_nao_repete_o_de_ajuste():
    ajuste = {_normal(linha["texto"]) for linha in _ler("mensagens_ajuste.jsonl")}
    medida = [_normal(linha["texto"]) for linha in _ler("mensagens_medida.jsonl")]
    assert not ajuste & set(medida)
    assert len(set(medida)) == len(medida)


def test_base_de_conhecimento_e_perguntas():
    artigos = _ler("kb_artigos.jsonl")
    assert len(artigos) >= 25
    for artigo in artigos:
        assert set(artigo) == {"id", "titulo", "conteudo", "categoria"}, artigo
        assert artigo["titulo"].strip()
        assert len(artigo["conteudo"]) > 200
        assert artigo["categoria"]
    ids = [artigo["id"] for artigo in artigos]
    assert len(set(ids)) == len(ids)

    perguntas = _ler("kb_perguntas.jsonl")
    assert len(perguntas) >= 80
    for pergunta in perguntas:
        assert set(pergunta) == {"id", "pergunta", "artigos", "conjunto"}, pergunta
        assert pergunta["conjunto"] == ("ajuste" if int(pergunta["id"][1:]) % 2 else "medida")
        assert pergunta["artigos"], pergunta
        assert set(pergunta["artigos"]) <= set(ids), pergunta
    # every article is asked about, and no question copies an article title
    assert {i for pergunta in perguntas for i in pergunta["artigos"]} == set(ids)
    for conjunto in ("ajuste", "medida"):  # both halves ask about every article
        metade = [p for p in perguntas if p["conjunto"] == conjunto]
        assert {i for p in metade for i in p["artigos"]} == set(ids), conjunto
    titulos = {_normal(artigo["titulo"]) for artigo in artigos}
    assert not titulos & {_normal(pergunta["pergunta"]) for pergunta in perguntas}
