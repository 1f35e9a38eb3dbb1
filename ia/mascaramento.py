"""Personal data masked out of customer text before it leaves for an external AI provider
(LGPD): e-mail addresses, card numbers (13-19 digits passing the Luhn check), CNPJ and CPF (any
formatted one; a bare run of digits only when its check digits are right) and phone numbers
(Brazilian, with area code or in the 9xxxx-xxxx / xxxx-xxxx shape, and international +…).

    mascarar_pii("meu cpf é 529.982.247-25, cartão 4111 1111 1111 1111")
    -> "meu cpf é [CPF], cartão [CARTÃO]"

Amounts, dates, order and protocol numbers are left alone (they fail the checks above)."""

from __future__ import annotations

import re

EMAIL = "[E-MAIL]"
CARTAO = "[CARTÃO]"
CPF = "[CPF]"
CNPJ = "[CNPJ]"
TELEFONE = "[TELEFONE]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# 13-19 digits, optionally grouped by single spaces, dots or hyphens
_CARTAO = re.compile(r"(?<![\d.,/-])\d(?:[ .-]?\d){12,18}(?!\d|[,/]\d)")
_CNPJ = re.compile(r"(?<![\d.,/-])\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}(?!\d|[,/]\d)")
_CPF = re.compile(r"(?<![\d.,/-])\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?!\d|[,/]\d)")
_TELEFONE = re.compile(
    r"""(?<![\w.,/-])(?:
        \+\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?)?\d{3,5}[\s.-]?\d{3,5}      # +55 11 98765-4321
      | \(\d{2}\)\s?(?:9\s?)?\d{4}[\s.-]?\d{4}                             # (11) 98765-4321
      | \d{2}[\s.-]?9\s?\d{4}[\s.-]?\d{4}                                  # 11 98765 4321
      | 9\d{4}[\s.-]\d{4} | \d{4}-\d{4}                                    # 98765-4321, 3456-7890
    )(?![\w/-]|,\d)""",
    re.VERBOSE,
)


def _digitos(texto: str) -> str:
    return "".join(c for c in texto if c.isdigit())


def luhn(numero: str) -> bool:
    """Whether the digits pass the Luhn checksum (card numbers)."""
    soma = 0
    for i, c in enumerate(reversed(numero)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        soma += d
    return soma % 10 == 0


def _dv(digitos: str, pesos: range | list[int]) -> int:
    resto = sum(int(d) * p for d, p in zip(digitos, pesos, strict=False)) % 11
    return 0 if resto < 2 else 11 - resto


def cpf_valido(numero: str) -> bool:
    if len(numero) != 11 or numero == numero[0] * 11:
        return False
    return _dv(numero[:9], range(10, 1, -1)) == int(numero[9]) and _dv(
        numero[:10], range(11, 1, -1)
    ) == int(numero[10])


def cnpj_valido(numero: str) -> bool:
    if len(numero) != 14 or numero == numero[0] * 14:
        return False
    pesos = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    return _dv(numero[:12], pesos) == int(numero[12]) and _dv(numero[:13], [6, *pesos]) == int(
        numero[13]
    )


def _formatado(trecho: str) -> bool:
    return not trecho.isdigit()


def _cartao(m: re.Match) -> str:
    digitos = _digitos(m.group())
    return CARTAO if 13 <= len(digitos) <= 19 and luhn(digitos) else m.group()


def _cnpj(m: re.Match) -> str:
    trecho = m.group()
    return CNPJ if ("/" in trecho or cnpj_valido(_digitos(trecho))) else trecho


def _cpf(m: re.Match) -> str:
    trecho = m.group()
    formatado = "." in trecho and "-" in trecho
    return CPF if formatado or cpf_valido(_digitos(trecho)) else trecho


def mascarar_pii(texto: str) -> str:
    """``texto`` with e-mails, cards, CNPJ, CPF and phones replaced by placeholders."""
    if not texto:
        return texto
    texto = _EMAIL.sub(EMAIL, texto)
    texto = _CARTAO.sub(_cartao, texto)
    texto = _CNPJ.sub(_cnpj, texto)
    texto = _CPF.sub(_cpf, texto)
    return _TELEFONE.sub(TELEFONE, texto)


def mascarar_dados(valor):
    """``mascarar_pii`` applied to every string inside lists, tuples and dicts."""
    if isinstance(valor, str):
        return mascarar_pii(valor)
    if isinstance(valor, dict):
        return {chave: mascarar_dados(item) for chave, item in valor.items()}
    if isinstance(valor, list | tuple):
        return type(valor)(mascarar_dados(item) for item in valor)
    return valor
