"""Offline pt-BR sentiment and intent of a customer message.

    sentimento("quero cancelar essa porcaria")  -> ("negativo", -0.99)
    intencao("quero cancelar essa porcaria")    -> ("cancelamento", 0.99)

Two layers:

1. Rules for the unambiguous cues (``ia/local/pistas.py``): an explicit wish to cancel, not renew
   or take the number elsewhere is ``cancelamento`` whatever the model says.
2. A linear few-shot classifier over the offline embedder's 384-d vector of the message plus 0/1
   cue features (praise, complaint words, formal threats, failure words, "como faço", "qual o
   valor"..., with a negation scope for praise). It is a ridge one-vs-rest fit on the seed examples
   shipped in ``ia/dados/mensagens_ajuste.jsonl`` (the tune set; the measure set is never read
   here). Scores become probabilities with a softmax; ``confianca`` is the top probability and the
   sentiment ``score`` is P(positivo) - P(negativo), in -1..1.

The seed vectors are shipped in ``ia/local/sementes.npz`` (built by ``manage.py ia_sementes``) so
that a process does not embed 300 examples at start-up. They are checked against the live embedder
at first use and rebuilt in memory when the embedder changed (another model, a fake embedder).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import pistas as _pistas

logger = logging.getLogger(__name__)

SENTIMENTOS = ("negativo", "neutro", "positivo")
INTENCOES = ("cancelamento", "duvida", "elogio", "informacao", "reclamacao", "suporte")

DADOS = Path(__file__).resolve().parent.parent / "dados"
ARQUIVO_SEMENTES = DADOS / "mensagens_ajuste.jsonl"
ARQUIVO_VETORES = Path(__file__).resolve().parent / "sementes.npz"

#: Weight of the 0/1 cue features next to the unit-norm embedding and the ridge penalty per task,
#: chosen by 5-fold cross-validation on the tune set (see ``ia/dados/README.md``); the softmax
#: temperature puts the mean ``confianca`` near the cross-validated accuracy. LeIA's ``compound``
#: was tried as a further feature and did not improve the cross-validated sentiment accuracy.
PESO_PISTAS = 0.25
LAMBDA_SENTIMENTO = 0.1
LAMBDA_INTENCAO = 1.0
TEMPERATURA = 10.0
CONFIANCA_REGRA = 0.95


@dataclass(frozen=True)
class Semente:
    texto: str
    sentimento: str
    intencao: str


def carregar_sementes(arquivo: Path = ARQUIVO_SEMENTES) -> list[Semente]:
    with arquivo.open(encoding="utf-8") as linhas:
        return [
            Semente(dado["texto"], dado["sentimento"], dado["intencao"])
            for dado in map(json.loads, filter(str.strip, linhas))
        ]


def impressao(textos: list[str]) -> str:
    """Fingerprint of the seed texts the shipped vectors were computed from."""
    return hashlib.sha256("\n".join(textos).encode()).hexdigest()


def embutir(textos: list[str]) -> np.ndarray:
    """The project's offline embedder (``query`` side: short texts compared with each other)."""
    from ia.embeddings import embutir as _embutir

    return np.asarray(_embutir(textos, tipo="query"), dtype=np.float32)


def construir_vetores(sementes: list[Semente], destino: Path = ARQUIVO_VETORES) -> Path:
    """Embed the seed examples and write them next to this module (``manage.py ia_sementes``)."""
    textos = [semente.texto for semente in sementes]
    np.savez_compressed(
        destino, vetores=embutir(textos).astype(np.float16), impressao=np.array(impressao(textos))
    )
    return destino


def _vetores_das_sementes(sementes: list[Semente]) -> np.ndarray:
    textos = [semente.texto for semente in sementes]
    if ARQUIVO_VETORES.exists():
        with np.load(ARQUIVO_VETORES) as guardado:
            vetores = guardado["vetores"].astype(np.float32)
            mesma_base = str(guardado["impressao"]) == impressao(textos)
        # the shipped vectors hold only if the live embedder still gives the same vector
        if mesma_base and float(embutir(textos[:1])[0] @ vetores[0]) > 0.99:
            return vetores
    logger.warning("ia.local.nlp: seed vectors missing or stale; embedding %d seeds", len(textos))
    return embutir(textos)


def caracteristicas(vetores: np.ndarray, normalizados: list[str]) -> np.ndarray:
    """[unit embedding | cue features * PESO_PISTAS | 1] per message."""
    normas = np.linalg.norm(vetores, axis=1, keepdims=True)
    unitarios = vetores / np.where(normas == 0, 1, normas)
    cues = np.array([_pistas.pistas(texto) for texto in normalizados], dtype=np.float32)
    return np.hstack([unitarios, cues * PESO_PISTAS, np.ones((len(normalizados), 1), np.float32)])


class ClassificadorLinear:
    """Ridge one-vs-rest: W = (XᵀX + λI)⁻¹ XᵀY, scores = xW, probabilities = softmax(T·scores)."""

    def __init__(
        self, x: np.ndarray, rotulos: list[str], classes: tuple[str, ...], penalidade: float
    ) -> None:
        self.classes = classes
        y = np.array([[1.0 if rotulo == c else 0.0 for c in classes] for rotulo in rotulos])
        gram = x.T @ x + penalidade * np.eye(x.shape[1])
        self.pesos = np.linalg.solve(gram, x.T @ y).astype(np.float32)

    def probabilidades(self, x: np.ndarray) -> np.ndarray:
        z = (x @ self.pesos) * TEMPERATURA
        z -= z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Modelo:
    sentimento: ClassificadorLinear
    intencao: ClassificadorLinear


def treinar(sementes: list[Semente], vetores: np.ndarray) -> Modelo:
    x = caracteristicas(vetores, [_pistas.normalizar(s.texto) for s in sementes])
    return Modelo(
        sentimento=ClassificadorLinear(
            x, [s.sentimento for s in sementes], SENTIMENTOS, LAMBDA_SENTIMENTO
        ),
        intencao=ClassificadorLinear(x, [s.intencao for s in sementes], INTENCOES, LAMBDA_INTENCAO),
    )


_trava = threading.Lock()
_modelo: Modelo | None = None


def modelo() -> Modelo:
    """The per-process model, fitted at first use from the shipped seeds."""
    global _modelo
    if _modelo is None:
        with _trava:
            if _modelo is None:
                sementes = carregar_sementes()
                _modelo = treinar(sementes, _vetores_das_sementes(sementes))
    return _modelo


def redefinir() -> None:
    """Forget the fitted model (after the embedder or the seeds changed)."""
    global _modelo
    with _trava:
        _modelo = None
    _analisar.cache_clear()


@dataclass(frozen=True)
class Analise:
    sentimento: str
    score: float
    intencao: str
    confianca: float


def analisar_lote(textos: list[str], atual: Modelo | None = None) -> list[Analise]:
    """Sentiment and intent of several messages with one embedder call."""
    if not textos:
        return []
    atual = atual or modelo()
    normalizados = [_pistas.normalizar(texto) for texto in textos]
    x = caracteristicas(embutir(textos), normalizados)
    p_sent = atual.sentimento.probabilidades(x)
    p_int = atual.intencao.probabilidades(x)
    resultados = []
    for normalizado, ps, pi in zip(normalizados, p_sent, p_int, strict=True):
        intencao_i = int(pi.argmax())
        confianca = float(pi[intencao_i])
        intencao = INTENCOES[intencao_i]
        if _pistas.cancelamento_explicito(normalizado):
            intencao, confianca = "cancelamento", max(confianca, CONFIANCA_REGRA)
        score = float(ps[SENTIMENTOS.index("positivo")] - ps[SENTIMENTOS.index("negativo")])
        resultados.append(
            Analise(
                sentimento=SENTIMENTOS[int(ps.argmax())],
                score=round(score, 4),
                intencao=intencao,
                confianca=round(confianca, 4),
            )
        )
    return resultados


@lru_cache(maxsize=512)
def _analisar(texto: str) -> Analise:
    return analisar_lote([texto])[0]


def analisar(texto: str) -> Analise:
    """Both analyses of one message; cached, so ``sentimento`` + ``intencao`` embed it once."""
    if not isinstance(texto, str):
        raise TypeError("texto must be a str")
    if not texto.strip():
        return Analise("neutro", 0.0, "duvida", 0.0)
    return _analisar(texto)


def sentimento(texto: str) -> tuple[str, float]:
    """("positivo"|"negativo"|"neutro", score in -1..1)."""
    resultado = analisar(texto)
    return resultado.sentimento, resultado.score


def intencao(texto: str) -> tuple[str, float]:
    """(one of ``INTENCOES``, confianca in 0..1)."""
    resultado = analisar(texto)
    return resultado.intencao, resultado.confianca
