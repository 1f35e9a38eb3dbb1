"""PII masked before an external provider: CPF, CNPJ, cards (Luhn), e-mails, phones; other
numbers left alone."""

from __future__ import annotations

import pytest

from ia.mascaramento import cnpj_valido, cpf_valido, luhn, mascarar_dados, mascarar_pii


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("meu cpf é 529.982.247-25, pode ver?", "meu cpf é [CPF], pode ver?"),
        ("cpf 52998224725", "cpf [CPF]"),
        ("cpf: 123.456.789-00.", "cpf: [CPF]."),  # formatted: masked even if invalid
        ("cnpj 11.222.333/0001-81", "cnpj [CNPJ]"),
        ("cnpj 11222333000181 ok", "cnpj [CNPJ] ok"),
        ("cartao 4111 1111 1111 1111", "cartao [CARTÃO]"),
        ("cartao 4111111111111111!", "cartao [CARTÃO]!"),
        ("final 5555-5555-5555-4444", "final [CARTÃO]"),
        ("amex 378282246310005", "amex [CARTÃO]"),
        ("manda pra joao.silva+loja@gmail.com.br", "manda pra [E-MAIL]"),
        ("EMAIL: Maria_S@empresa.com", "EMAIL: [E-MAIL]"),
        ("me liga (11) 98765-4321", "me liga [TELEFONE]"),
        ("whats +55 11 98765-4321", "whats [TELEFONE]"),
        ("zap 11 98765 4321 ou 11987654321", "zap [TELEFONE] ou [TELEFONE]"),
        ("fixo 3456-7890 ou cel 98765-4321", "fixo [TELEFONE] ou cel [TELEFONE]"),
        ("+1 415 555 2671", "[TELEFONE]"),
    ],
)
def test_mascara(texto, esperado):
    assert mascarar_pii(texto) == esperado


@pytest.mark.parametrize(
    "texto",
    [
        "o valor foi R$ 1.234,56 no dia 05/12/2026",
        "pedido 1234567812345678 não chegou",  # 16 digits failing Luhn: an order number
        "cartao 4111-1111-1111-1112",  # fails Luhn
        "protocolo 2026120512345",
        "pedido 12345678901",  # 11 digits that are not a valid CPF nor a phone
        "valor 123.456.789,00",
        "são 3 itens de 2 kg, cep 01310-100",
        "versão 2.14.0 do app",
        "",
    ],
)
def test_nao_mascara_outros_numeros(texto):
    assert mascarar_pii(texto) == texto


def test_verificadores():
    assert cpf_valido("52998224725")
    assert not cpf_valido("52998224724")
    assert not cpf_valido("11111111111")
    assert cnpj_valido("11222333000181")
    assert not cnpj_valido("11222333000182")
    assert luhn("4111111111111111")
    assert not luhn("4111111111111112")


def test_mascara_dentro_de_estruturas():
    dados = {"texto": "cpf 529.982.247-25", "lista": ["a@b.com", 3], "tupla": ("(11) 3456-7890",)}
    assert mascarar_dados(dados) == {
        "texto": "cpf [CPF]",
        "lista": ["[E-MAIL]", 3],
        "tupla": ("[TELEFONE]",),
    }
