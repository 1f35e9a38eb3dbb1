"""Templates, tags, contatos (with identities) and base-conhecimento."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atendimento.models import Contato, IdentidadeContato, Tag, Template
from ia.models import ArtigoConhecimento, RiscoChurn
from tests.factories import (
    ContatoFactory,
    IdentidadeContatoFactory,
    TagFactory,
    TemplateFactory,
    TicketFactory,
)

from .conftest import API

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------- templates
def test_templates_crud(api_supervisor, api_atendente, empresa, fila):
    criado = api_supervisor.post(
        f"{API}/templates/",
        {
            "nome": "Saudação",
            "atalho": "/saudacao",
            "conteudo": "Olá {{contato.nome}}",
            "fila": str(fila.id),
        },
    )
    assert criado.status_code == 201, criado.content
    template_id = criado.json()["id"]
    assert criado.json()["fila"] == str(fila.id)

    lista = api_atendente.get(f"{API}/templates/", {"atalho": "/sau"}).json()
    assert [t["id"] for t in lista["results"]] == [template_id]

    editado = api_supervisor.patch(
        f"{API}/templates/{template_id}/", {"conteudo": "Oi!", "fila": None}
    )
    assert editado.status_code == 200
    template = Template.objects.get(pk=template_id)
    assert (template.conteudo, template.fila, template.empresa) == ("Oi!", None, empresa)

    assert api_supervisor.delete(f"{API}/templates/{template_id}/").status_code == 204
    assert not Template.objects.exists()


def test_templates_validacao_papel_e_404(
    api_admin, api_atendente, empresa, outra_empresa, fila_outra_empresa
):
    existente = TemplateFactory(empresa=empresa, atalho="/oi")
    alheio = TemplateFactory(empresa=outra_empresa)

    duplicado = api_admin.post(f"{API}/templates/", {"nome": "X", "atalho": "/oi", "conteudo": "x"})
    atalho_ruim = api_admin.post(
        f"{API}/templates/", {"nome": "X", "atalho": "oi", "conteudo": "x"}
    )
    fila_alheia = api_admin.post(
        f"{API}/templates/", {"nome": "X", "conteudo": "x", "fila": str(fila_outra_empresa.id)}
    )
    papel = api_atendente.post(f"{API}/templates/", {"nome": "X", "conteudo": "x"})

    assert duplicado.status_code == 400
    assert "atalho" in duplicado.json()
    assert (atalho_ruim.status_code, fila_alheia.status_code, papel.status_code) == (400, 404, 403)
    assert api_admin.get(f"{API}/templates/{alheio.id}/").status_code == 404
    assert api_admin.delete(f"{API}/templates/{alheio.id}/").status_code == 404
    assert api_atendente.delete(f"{API}/templates/{existente.id}/").status_code == 403
    assert Template.objects.count() == 2


# ------------------------------------------------------------------------------- tags
def test_tags_crud_papel_e_404(api_admin, api_atendente, empresa, outra_empresa):
    alheia = TagFactory(empresa=outra_empresa, nome="vip")

    criada = api_admin.post(f"{API}/tags/", {"nome": "vip", "cor": "#ff0000"})
    assert criada.status_code == 201, criada.content
    tag_id = criada.json()["id"]
    assert api_admin.post(f"{API}/tags/", {"nome": "vip"}).status_code == 400
    assert api_admin.post(f"{API}/tags/", {"nome": "x", "cor": "vermelho"}).status_code == 400
    assert api_atendente.post(f"{API}/tags/", {"nome": "y"}).status_code == 403
    assert api_atendente.get(f"{API}/tags/").json()["count"] == 1
    assert api_admin.put(f"{API}/tags/{tag_id}/", {"nome": "cliente vip"}).status_code == 200
    assert api_admin.patch(f"{API}/tags/{alheia.id}/", {"nome": "x"}).status_code == 404
    assert api_admin.delete(f"{API}/tags/{tag_id}/").status_code == 204
    assert list(Tag.objects.values_list("nome", flat=True)) == ["vip"]


# ------------------------------------------------------------------------------- contatos
def test_contato_criar_com_identidades(api_atendente, empresa):
    resposta = api_atendente.post(
        f"{API}/contatos/",
        {
            "nome": "Lia",
            "telefone": "+55 (11) 8765-4321",
            "email": "Lia@Exemplo.com.br",
            "metadados": {"cpf": "1"},
        },
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    assert corpo["telefone"] == "5511987654321"  # canonical, with the ninth digit
    assert corpo["email"] == "lia@exemplo.com.br"
    assert sorted((i["tipo"], i["valor"]) for i in corpo["identidades"]) == [
        ("email", "lia@exemplo.com.br"),
        ("telefone", "5511987654321"),
    ]
    assert Contato.objects.get(pk=corpo["id"]).empresa == empresa


def test_contato_telefone_de_outro_contato_409(api_admin, empresa):
    dono = ContatoFactory(empresa=empresa, telefone="5511987654321")
    IdentidadeContatoFactory(contato=dono, tipo="telefone", valor="5511987654321")

    resposta = api_admin.post(f"{API}/contatos/", {"nome": "Outro", "telefone": "11987654321"})

    assert resposta.status_code == 409
    assert resposta.json()["contato_id"] == str(dono.id)
    assert Contato.objects.count() == 1


def test_contato_atualizar_troca_identidade(api_atendente, contato):
    IdentidadeContatoFactory(contato=contato, tipo="telefone", valor=contato.telefone)

    resposta = api_atendente.patch(f"{API}/contatos/{contato.id}/", {"telefone": "5521999990000"})

    assert resposta.status_code == 200, resposta.content
    valores = set(IdentidadeContato.objects.filter(contato=contato).values_list("tipo", "valor"))
    assert valores == {("telefone", "5521999990000")}


def test_contatos_busca_e_isolamento(api_admin, empresa, outra_empresa):
    ana = ContatoFactory(empresa=empresa, nome="Ana Souza")
    IdentidadeContatoFactory(contato=ana, tipo="telegram", valor="777000111")
    ContatoFactory(empresa=empresa, nome="Bruno")
    alheio = ContatoFactory(empresa=outra_empresa, nome="Ana Alheia")

    por_nome = api_admin.get(f"{API}/contatos/", {"q": "ana"}).json()
    por_identidade = api_admin.get(f"{API}/contatos/", {"q": "777000"}).json()

    assert [c["id"] for c in por_nome["results"]] == [str(ana.id)]
    assert [c["id"] for c in por_identidade["results"]] == [str(ana.id)]
    assert api_admin.get(f"{API}/contatos/{alheio.id}/").status_code == 404
    assert api_admin.patch(f"{API}/contatos/{alheio.id}/", {"nome": "x"}).status_code == 404


def test_contato_validacao(api_admin):
    assert api_admin.post(f"{API}/contatos/", {"email": "x"}).status_code == 400
    assert api_admin.post(f"{API}/contatos/", {"metadados": [1]}).status_code == 400
    assert api_admin.post(f"{API}/contatos/", {"nome": "a\x00b"}).status_code == 400
    assert api_admin.post(f"{API}/contatos/", {"metadados": {"a": "\x00"}}).status_code == 400
    assert not Contato.objects.exists()


def test_contato_excluir(api_admin, api_atendente, contato, empresa, canal_whatsapp):
    com_ticket = ContatoFactory(empresa=empresa)
    TicketFactory(empresa=empresa, canal=canal_whatsapp, contato=com_ticket)

    assert api_atendente.delete(f"{API}/contatos/{contato.id}/").status_code == 403
    assert api_admin.delete(f"{API}/contatos/{com_ticket.id}/").status_code == 409
    assert api_admin.delete(f"{API}/contatos/{contato.id}/").status_code == 204
    assert list(Contato.objects.values_list("id", flat=True)) == [com_ticket.id]


def _risco(contato, risco="alto", probabilidade=0.81, motivos=("pediu para cancelar",)):
    return RiscoChurn.objects.create(
        empresa=contato.empresa,
        contato=contato,
        risco=risco,
        probabilidade=probabilidade,
        motivos=list(motivos),
        calculado_em=dt.datetime(2026, 12, 5, 14, 30, tzinfo=dt.UTC),
    )


def test_contato_mostra_risco_de_churn(api_atendente, empresa, outra_empresa):
    com_risco = ContatoFactory(empresa=empresa, nome="Ana")
    sem_risco = ContatoFactory(empresa=empresa, nome="Bruno")
    _risco(com_risco, motivos=["pediu para cancelar", "mensagem atual negativa"])

    detalhe = api_atendente.get(f"{API}/contatos/{com_risco.id}/")
    assert detalhe.status_code == 200
    assert detalhe.json()["risco_churn"] == {
        "risco": "alto",
        "probabilidade": 0.81,
        "motivos": ["pediu para cancelar", "mensagem atual negativa"],
        "atualizado_em": "2026-12-05T11:30:00-03:00",
    }
    assert api_atendente.get(f"{API}/contatos/{sem_risco.id}/").json()["risco_churn"] is None
    lista = {
        c["nome"]: c["risco_churn"] for c in api_atendente.get(f"{API}/contatos/").json()["results"]
    }
    assert lista["Ana"]["risco"] == "alto"
    assert lista["Bruno"] is None
    _risco(ContatoFactory(empresa=empresa, nome="Carla"), risco="medio", probabilidade=0.4)
    _risco(ContatoFactory(empresa=outra_empresa, nome="Ana Alheia"))

    def nomes(**filtro):
        resposta = api_atendente.get(f"{API}/contatos/", filtro)
        assert resposta.status_code == 200
        return [c["nome"] for c in resposta.json()["results"]]

    assert nomes(risco_churn="alto") == ["Ana"]
    assert nomes(risco_churn=["alto", "medio"]) == ["Ana", "Carla"]
    assert api_atendente.get(f"{API}/contatos/", {"risco_churn": "altissimo"}).status_code == 400
    # the writable fields are unchanged: the risk is read-only
    resposta = api_atendente.patch(
        f"{API}/contatos/{sem_risco.id}/", {"nome": "Bruno S", "risco_churn": {"risco": "alto"}}
    )
    assert resposta.status_code == 200
    assert resposta.json()["risco_churn"] is None
    assert not RiscoChurn.objects.filter(contato=sem_risco).exists()


def test_lista_de_contatos_com_risco_sem_consulta_por_contato(api_atendente, empresa):
    def consultas() -> int:
        with CaptureQueriesContext(connection) as capturadas:
            resposta = api_atendente.get(f"{API}/contatos/")
        assert resposta.status_code == 200
        return len(capturadas)

    for _ in range(2):
        _risco(ContatoFactory(empresa=empresa))
    com_dois = consultas()
    for _ in range(6):
        _risco(ContatoFactory(empresa=empresa), risco="medio", probabilidade=0.4)
    ContatoFactory(empresa=empresa)
    assert consultas() == com_dois
    assert api_atendente.get(f"{API}/contatos/").json()["count"] == 9


# ------------------------------------------------------------------------------- base-conhecimento
def test_base_conhecimento_crud(api_supervisor, api_atendente, empresa, outra_empresa):
    criado = api_supervisor.post(
        f"{API}/base-conhecimento/",
        {
            "titulo": "Prazo de entrega",
            "conteudo": "Entregamos em até 5 dias úteis.",
            "categoria": "logistica",
            "tags": ["entrega"],
        },
    )
    assert criado.status_code == 201, criado.content
    artigo_id = criado.json()["id"]
    assert criado.json()["indexado_em"] is None
    assert criado.json()["ativo"] is True

    lista = api_atendente.get(f"{API}/base-conhecimento/", {"categoria": "logistica"}).json()
    assert [a["id"] for a in lista["results"]] == [artigo_id]
    assert (
        api_supervisor.patch(f"{API}/base-conhecimento/{artigo_id}/", {"ativo": False}).status_code
        == 200
    )
    assert ArtigoConhecimento.objects.get(pk=artigo_id).ativo is False
    assert (
        api_atendente.post(
            f"{API}/base-conhecimento/", {"titulo": "x", "conteudo": "y"}
        ).status_code
        == 403
    )
    assert api_supervisor.post(f"{API}/base-conhecimento/", {"titulo": "x"}).status_code == 400
    alheio = ArtigoConhecimento.objects.create(empresa=outra_empresa, titulo="a", conteudo="b")
    assert api_supervisor.get(f"{API}/base-conhecimento/{alheio.id}/").status_code == 404
    assert api_supervisor.delete(f"{API}/base-conhecimento/{alheio.id}/").status_code == 404
    assert api_supervisor.delete(f"{API}/base-conhecimento/{artigo_id}/").status_code == 204
    assert list(ArtigoConhecimento.objects.values_list("id", flat=True)) == [alheio.id]
