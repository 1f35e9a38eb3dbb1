"""Reading what customers type in chat: no accents, typos, repeated letters, emoji digits.

Used to match a first-contact menu answer ("1", "suporte", "suprote", "1️⃣") and to notice a
customer asking for a person ("quero falar com um atendente", "humano", "atendente pfv").
"""

from __future__ import annotations

import difflib
import re
import unicodedata

#: a typo still matches a word when difflib's similarity ratio reaches this
SEMELHANCA = 0.8


def normalizar(texto: str) -> str:
    """Lower case, no accents, only letters, digits and single spaces (``"Suporte!! 2️⃣"`` →
    ``"suporte 2"``)."""
    decomposto = unicodedata.normalize("NFKD", texto or "")
    sem_acento = "".join(c for c in decomposto if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", sem_acento.lower()).split())


def _sem_repeticao(palavra: str) -> str:
    """``"humanoooo"`` → ``"humano"``; ``"pessoa"`` → ``"pesoa"`` (both sides are reduced)."""
    return re.sub(r"(.)\1+", r"\1", palavra)


def palavras(texto: str) -> list[str]:
    return [_sem_repeticao(p) for p in normalizar(texto).split()]


def parecida(palavra: str, vocabulario: set[str] | frozenset[str]) -> bool:
    """``palavra`` is in ``vocabulario`` or a typo of one of its words (words of 4+ letters)."""
    if palavra in vocabulario:
        return True
    if len(palavra) < 4:
        return False
    return bool(difflib.get_close_matches(palavra, vocabulario, n=1, cutoff=SEMELHANCA))


# ------------------------------------------------------------------------ asking for a person
#: one of these words alone is a request for a person (typos tolerated)
_PESSOA = frozenset(
    _sem_repeticao(p) for p in ("atendente", "atendentes", "humano", "humana", "operador")
)
#: typos the similarity ratio misses (missing letters in short words)
_VARIANTES = frozenset({"umano", "umana", "atendete", "atedente", "atendnte", "atendenti"})
#: phrases (after normalising) that ask for a person without those words
_FRASES = (
    r"\bfalar com (alguem|uma? pessoa|gente)\b",
    r"\b(pessoa|gente) (de verdade|real)\b",
    r"\bser humano\b",
    r"\bnao quero (falar com )?(robo|bot|maquina)\b",
)
#: words close to the vocabulary that do not ask for a person
_NAO_PESSOA = frozenset({"atendimento", "atendimentos", "atender", "atendido", "atendida"})


def pede_atendente(texto: str) -> bool:
    """The customer asks to talk to a person."""
    normal = normalizar(texto)
    if any(re.search(frase, normal) for frase in _FRASES):
        return True
    for palavra in palavras(texto):
        if palavra in _NAO_PESSOA:
            continue
        if palavra in _VARIANTES or parecida(palavra, _PESSOA):
            return True
    return False
