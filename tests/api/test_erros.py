"""The one exception handler: domain errors, Django validation and real database refusals become
``{"detail", "codigo"}`` with a 4xx."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from atendimento.api.erros import tratar_excecao
from atendimento.exceptions import (
    ArquivoGrande,
    Conflito,
    NaoEncontrado,
    RegraNegocio,
    SemPermissao,
)
from atendimento.models import Tag, Ticket
from tests.factories import ContatoFactory, FilaFactory

from .conftest import API


@pytest.mark.parametrize(
    ("erro", "status", "codigo"),
    [
        (NaoEncontrado("x"), 404, "nao_encontrado"),
        (SemPermissao("x"), 403, "sem_permissao"),
        (Conflito("x", ticket_id="1"), 409, "conflito"),
        (RegraNegocio("x"), 422, "regra_negocio"),
        (ArquivoGrande("x"), 413, "arquivo_grande"),
    ],
)
def test_erros_de_dominio(erro, status, codigo):
    resposta = tratar_excecao(erro, {})

    assert resposta.status_code == status
    assert resposta.data["detail"] == "x"
    assert resposta.data["codigo"] == codigo


def test_validacao_do_django_por_campo_e_geral():
    por_campo = tratar_excecao(ValidationError({"nome": ["obrigatório"], "__all__": ["ruim"]}), {})
    geral = tratar_excecao(ValidationError("inválido"), {})

    assert por_campo.status_code == 400
    assert por_campo.data == {"nome": ["obrigatório"], "detail": "ruim", "codigo": "invalido"}
    assert (geral.status_code, geral.data["detail"]) == (400, "inválido")


@pytest.mark.django_db(transaction=True)
def test_referencia_a_outra_empresa_recusada_pelo_banco_vira_404(
    empresa, outra_empresa, canal_whatsapp
):
    contato = ContatoFactory(empresa=empresa)
    fila_alheia = FilaFactory(empresa=outra_empresa)

    with pytest.raises(IntegrityError) as capturado, transaction.atomic():  # deferred FK: at commit
        Ticket.objects.create(
            empresa=empresa, canal=canal_whatsapp, contato=contato, fila=fila_alheia
        )

    resposta = tratar_excecao(capturado.value, {})
    assert resposta.status_code == 404
    assert resposta.data["codigo"] == "nao_encontrado"
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_unicidade_e_dados_invalidos_no_banco(empresa):
    Tag.objects.create(empresa=empresa, nome="vip")
    with pytest.raises(IntegrityError) as duplicado, transaction.atomic():
        Tag.objects.create(empresa=empresa, nome="vip")
    with pytest.raises(DataError) as nulo, transaction.atomic():
        Tag.objects.create(empresa=empresa, nome="a\x00b")

    assert tratar_excecao(duplicado.value, {}).status_code == 409
    assert tratar_excecao(nulo.value, {}).status_code == 400


@pytest.mark.django_db
def test_url_desconhecida_da_api_e_json_404(api_admin, anonimo):
    for cliente in (api_admin, anonimo):
        resposta = cliente.post("/api/atendimento/nada/aqui/", {})
        assert resposta.status_code == 404
        assert resposta.json()["codigo"] == "nao_encontrado"
    assert api_admin.get(f"{API}/tickets/nao-e-uuid/").status_code == 404


@pytest.mark.django_db
def test_corpo_que_nao_e_json(api_admin, ticket):
    malformado = api_admin.generic(
        "POST", f"{API}/tickets/{ticket.id}/fechar/", "{nao json", content_type="application/json"
    )
    formulario = api_admin.post(
        f"{API}/tickets/{ticket.id}/fechar/", {"motivo": "x"}, format="multipart"
    )

    assert malformado.status_code == 400
    assert formulario.status_code == 415
    ticket.refresh_from_db()
    assert ticket.status == "aberto"
