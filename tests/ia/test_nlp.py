"""Offline sentiment/intent (ia/local/nlp.py) on clear cases, its rules and its shipped seeds.

Accuracy on the labelled sets is a benchmark (bench/ai_eval.py), not a test."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ia.local import nlp, pistas

CLAROS = [
    ("quero cancelar essa porcaria", "negativo", "cancelamento"),
    ("QUERO CANCELAR ESSA PORCARIA!!!", "negativo", "cancelamento"),
    ("muito obrigado, vcs resolveram rapidinho 🙏", "positivo", "elogio"),
    ("absurdo, cobraram duas vezes no meu cartao e ninguem resolve", "negativo", "reclamacao"),
    ("qual o horario de funcionamento da loja?", "neutro", "informacao"),
    ("como faço pra pagar com pix?", "neutro", "duvida"),
    ("nao consigo entrar no app, da erro de senha", "neutro", "suporte"),
]


@pytest.mark.parametrize(("texto", "sentimento", "intencao"), CLAROS)
def test_casos_claros(texto, sentimento, intencao):
    assert nlp.sentimento(texto)[0] == sentimento
    assert nlp.intencao(texto)[0] == intencao


def test_formato_dos_resultados():
    rotulo, score = nlp.sentimento("pessimo atendimento, to indignada")
    assert rotulo in nlp.SENTIMENTOS
    assert -1.0 <= score < 0
    rotulo, confianca = nlp.intencao("pessimo atendimento, to indignada")
    assert rotulo in nlp.INTENCOES
    assert 0.0 <= confianca <= 1.0
    assert nlp.sentimento("amei, nota 10!")[1] > 0


def test_negacao_inverte_o_elogio():
    assert nlp.sentimento("nao gostei nada do atendimento")[0] == "negativo"
    assert nlp.sentimento("não tenho do que reclamar, tudo certo")[0] == "positivo"


def test_cancelamento_passivo_nao_e_pedido_de_cancelamento():
    assert nlp.intencao("vcs cancelaram meu pedido sem avisar, um absurdo")[0] == "reclamacao"


def test_regra_de_cancelamento_vence_o_modelo():
    # polite, positive wording the statistical model alone would read as praise
    rotulo, confianca = nlp.intencao("adoro vcs, obrigado por tudo, mas preciso cancelar o plano")
    assert rotulo == "cancelamento"
    assert confianca >= nlp.CONFIANCA_REGRA


def test_texto_vazio_e_tipo_errado():
    assert nlp.sentimento("   ") == ("neutro", 0.0)
    assert nlp.intencao("")[1] == 0.0
    with pytest.raises(TypeError):
        nlp.sentimento(None)


def test_analisar_lote_usa_uma_chamada_do_embedder(monkeypatch):
    chamadas = []
    original = nlp.embutir

    def contando(textos):
        chamadas.append(len(textos))
        return original(textos)

    modelo = nlp.modelo()
    monkeypatch.setattr(nlp, "embutir", contando)
    resultados = nlp.analisar_lote(["oi, qual o cnpj?", "obrigado!", "cancela tudo"], modelo)
    assert chamadas == [3]
    assert [r.intencao for r in resultados][2] == "cancelamento"


# --- rules ------------------------------------------------------------------------------------


def test_normalizar():
    assert pistas.normalizar("  Obrigadaaaa   pela ATENÇÃO ") == "obrigada pela atencao"


@pytest.mark.parametrize(
    "texto",
    [
        "quero cancelar o plano",
        "como faço pra cancelar?",
        "cancela minha conta",
        "solicito o cancelamento do contrato",
        "quero encerrar minha conta",
        "nao quero mais renovar",
        "vou fazer a portabilidade pra outra operadora",
        "quero dar baixa na linha",
        "desisti da compra",
        "quero rescindir o contrato",
    ],
)
def test_regra_de_cancelamento_pega(texto):
    assert pistas.cancelamento_explicito(pistas.normalizar(texto))


@pytest.mark.parametrize(
    "texto",
    [
        "vcs cancelaram meu pedido sem avisar",
        "o pedido foi cancelado?",
        "minha reserva foi cancelada",
        "quero meu boleto",
        "nao quero mais esperar na fila",  # impatience, not leaving
    ],
)
def test_regra_de_cancelamento_nao_pega(texto):
    assert not pistas.cancelamento_explicito(pistas.normalizar(texto))


def test_escopo_da_negacao():
    nomes = pistas.NOMES_PISTAS
    negado = dict(zip(nomes, pistas.pistas(pistas.normalizar("nao gostei")), strict=True))
    assert negado["elogio"] == 0.0
    assert negado["elogio_negado"] == 1.0
    afirmado = dict(zip(nomes, pistas.pistas(pistas.normalizar("gostei muito")), strict=True))
    assert afirmado["elogio"] == 1.0
    assert afirmado["elogio_negado"] == 0.0


def _alternativas(padrao: re.Pattern[str]) -> list[str]:
    """Top-level alternatives of a pattern built by ``pistas._re``."""
    partes, nivel, atual = [], 0, ""
    for caractere in padrao.pattern:
        nivel += {"(": 1, ")": -1}.get(caractere, 0)
        if caractere == "|" and nivel == 0:
            partes.append(atual)
            atual = ""
        else:
            atual += caractere
    return [*partes, atual]


def test_toda_pista_aparece_no_conjunto_de_ajuste():
    """Rules come from the tune set only: an alternative no tune message uses is not allowed
    (the formal-threat words are the documented exception)."""
    textos = [pistas.normalizar(s.texto) for s in nlp.carregar_sementes()]
    sem_exemplo = [
        alternativa
        for padrao in pistas.PISTAS.values()
        for alternativa in _alternativas(padrao)
        if not any(re.search(alternativa, texto) for texto in textos)
    ]
    assert all(("advogad" in a or "justica" in a) for a in sem_exemplo), sem_exemplo


# --- seeds --------------------------------------------------------------------------------------


def test_sementes_sao_o_conjunto_de_ajuste():
    sementes = nlp.carregar_sementes()
    assert nlp.ARQUIVO_SEMENTES.name == "mensagens_ajuste.jsonl"
    assert len(sementes) >= 300
    assert {s.intencao for s in sementes} == set(nlp.INTENCOES)


def test_vetores_enviados_correspondem_as_sementes():
    """ia/local/sementes.npz is rebuilt by `manage.py ia_sementes` whenever the seeds change."""
    textos = [s.texto for s in nlp.carregar_sementes()]
    with np.load(nlp.ARQUIVO_VETORES) as guardado:
        assert str(guardado["impressao"]) == nlp.impressao(textos)
        assert guardado["vetores"].shape == (len(textos), 384)
        amostra = guardado["vetores"][[0, len(textos) // 2, -1]].astype(np.float32)
    novos = nlp.embutir([textos[0], textos[len(textos) // 2], textos[-1]])
    assert np.all(np.sum(novos * amostra, axis=1) > 0.99)


def test_vetores_desatualizados_sao_refeitos(monkeypatch, tmp_path):
    """Another embedder (or edited seeds) → the model is refitted from freshly embedded seeds."""

    def falso(textos):
        vetores = np.zeros((len(textos), 384), dtype=np.float32)
        for i, texto in enumerate(textos):
            vetores[i, hash(texto) % 384] = 1.0
        return vetores

    monkeypatch.setattr(nlp, "embutir", falso)
    sementes = nlp.carregar_sementes()
    vetores = nlp._vetores_das_sementes(sementes)
    assert np.array_equal(vetores, falso([s.texto for s in sementes]))
    modelo = nlp.treinar(sementes, vetores)
    assert nlp.analisar_lote(["quero cancelar"], modelo)[0].intencao == "cancelamento"


def test_conjunto_de_medida_nunca_e_lido(monkeypatch):
    lidos = []
    original = nlp.Path.open

    def registrando(self, *args, **kwargs):
        lidos.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(nlp.Path, "open", registrando)
    nlp.redefinir()
    try:
        nlp.sentimento("oi")
    finally:
        monkeypatch.undo()
        nlp.redefinir()
    assert "mensagens_medida.jsonl" not in lidos
    assert "mensagens_ajuste.jsonl" in lidos


def test_comando_ia_sementes_reconstroi_os_vetores(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    saida = StringIO()
    call_command("ia_sementes", saida=tmp_path / "s.npz", stdout=saida)
    assert f"{len(nlp.carregar_sementes())} sementes ->" in saida.getvalue()
    textos = [s.texto for s in nlp.carregar_sementes()]
    with np.load(tmp_path / "s.npz") as novo, np.load(nlp.ARQUIVO_VETORES) as enviado:
        assert str(novo["impressao"]) == nlp.impressao(textos)
        assert np.allclose(novo["vetores"], enviado["vetores"], atol=1e-2)
