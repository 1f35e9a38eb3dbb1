"""Query expansion for customer questions: WhatsApp-style abbreviations and support slang in
pt-BR get their written form appended, so both the embedder and the full-text search see the words
a knowledge-base article uses ("net" → "internet", "boleto" → "fatura", "vcs" → "vocês").

The map is deliberately small and generic (support desk vocabulary, not one company's products);
it was tuned on the tune half of ``ia/dados/kb_perguntas.jsonl`` only. The question is kept as it
is and the expansions are appended once each, in order of appearance.
"""

from __future__ import annotations

import re

#: slang / abbreviation (lower case, as typed) → the written words appended to the question.
SINONIMOS: dict[str, str] = {
    # chat abbreviations
    "vc": "você",
    "vcs": "vocês",
    "pq": "porque",
    "hj": "hoje",
    "tb": "também",
    "tbm": "também",
    "qnd": "quando",
    "qdo": "quando",
    "q": "que",
    "msg": "mensagem",
    "cel": "celular",
    "num": "número",
    "nro": "número",
    "td": "tudo",
    "mt": "muito",
    "mto": "muito",
    "obg": "obrigado",
    "cade": "onde",
    "cadê": "onde",
    "ta": "está",
    "tá": "está",
    "to": "estou",
    "tô": "estou",
    "pra": "para",
    "pro": "para o",
    "app": "aplicativo",
    # support vocabulary
    "net": "internet",
    "wifi": "wi-fi",
    "whats": "whatsapp",
    "zap": "whatsapp",
    "wpp": "whatsapp",
    "zapzap": "whatsapp",
    "boleto": "fatura",
    "conta": "fatura",
    "modem": "roteador equipamento",
    "roteador": "equipamento",
    "aparelho": "equipamento",
    "estorno": "reembolso",
    "ressarcimento": "reembolso",
    "grana": "dinheiro",
    "giga": "gb",
    "mega": "mb",
    "tvs": "tv",
    "sinal": "conexão",
    "caiu": "queda",
    "cai": "queda",
    "desistir": "arrependimento",
    "desisti": "arrependimento",
    "titularidade": "titular",
}

_PALAVRA = re.compile(r"\w+")


def expandir(pergunta: str) -> str:
    """``pergunta`` followed by the written form of each slang word it contains (once each)."""
    extras: list[str] = []
    for palavra in _PALAVRA.findall(pergunta.lower()):
        forma = SINONIMOS.get(palavra)
        if forma and forma not in extras:
            extras.append(forma)
    return f"{pergunta} {' '.join(extras)}" if extras else pergunta
