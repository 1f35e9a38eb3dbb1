"""The role matrix in one place: managing channels, queues, agents, quick replies, tags, the
knowledge base and AI metrics is for admins and supervisors (403 for an atendente, with nothing
changed); reading is for everybody; another empresa's rows are 404 for every role."""

from __future__ import annotations

import pytest

from atendimento.models import Atendente, Canal, Fila, Tag, Template, Ticket
from ia.models import ArtigoConhecimento
from tests.factories import AtendenteFactory, CanalFactory, TagFactory, TemplateFactory

from .conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def alvos(empresa, fila, outra_fila, canal_whatsapp, ticket):
    """Rows of the empresa the management calls act on."""
    return {
        "canal": CanalFactory(empresa=empresa, nome="Extra", ativo=False),
        "fila": outra_fila,
        "agente": AtendenteFactory(empresa=empresa, nome="Alvo"),
        "template": TemplateFactory(empresa=empresa),
        "tag": TagFactory(empresa=empresa),
        "artigo": ArtigoConhecimento.objects.create(empresa=empresa, titulo="T", conteudo="C"),
        "ticket": ticket,
    }


def chamadas_de_gestao(a) -> list[tuple[str, str, dict]]:
    senha = "uma-senha-bem-forte-42"
    return [
        ("post", "canais/", {"tipo": "telegram", "nome": "Bot", "config": {"bot_token": "1:A"}}),
        ("patch", f"canais/{a['canal'].id}/", {"nome": "Outro"}),
        ("post", f"canais/{a['canal'].id}/desativar/", {}),
        ("delete", f"canais/{a['canal'].id}/", {}),
        ("post", "filas/", {"nome": "Nova"}),
        ("patch", f"filas/{a['fila'].id}/", {"nome": "Renomeada"}),
        ("post", f"filas/{a['fila'].id}/atendentes/", {"atendente_id": str(a["agente"].id)}),
        ("delete", f"filas/{a['fila'].id}/", {}),
        ("post", "atendentes/", {"username": "u1", "password": senha, "nome": "U1"}),
        ("patch", f"atendentes/{a['agente'].id}/", {"capacidade": 9}),
        ("put", f"atendentes/{a['agente'].id}/status/", {"status": "offline"}),
        ("delete", f"atendentes/{a['agente'].id}/", {}),
        ("post", "templates/", {"nome": "N", "conteudo": "c"}),
        ("patch", f"templates/{a['template'].id}/", {"nome": "M"}),
        ("delete", f"templates/{a['template'].id}/", {}),
        ("post", "tags/", {"nome": "nova"}),
        ("patch", f"tags/{a['tag'].id}/", {"nome": "renomeada"}),
        ("delete", f"tags/{a['tag'].id}/", {}),
        ("post", "base-conhecimento/", {"titulo": "x", "conteudo": "y"}),
        ("patch", f"base-conhecimento/{a['artigo'].id}/", {"titulo": "z"}),
        ("delete", f"base-conhecimento/{a['artigo'].id}/", {}),
        ("delete", f"tickets/{a['ticket'].id}/", {}),
        ("get", "ia/metricas/", {}),
    ]


def retrato():
    """Everything a management call could change."""
    return (
        sorted(Canal.objects.values_list("id", "nome", "ativo")),
        sorted(Fila.objects.values_list("id", "nome")),
        sorted(Atendente.objects.values_list("id", "capacidade", "status")),
        sorted(Template.objects.values_list("id", "nome")),
        sorted(Tag.objects.values_list("id", "nome")),
        sorted(ArtigoConhecimento.objects.values_list("id", "titulo")),
        Ticket.objects.count(),
        sorted(Fila.objects.values_list("membros__atendente_id", flat=True), key=str),
    )


def test_atendente_recebe_403_e_nada_muda(api_atendente, alvos):
    antes = retrato()

    for metodo, caminho, corpo in chamadas_de_gestao(alvos):
        resposta = getattr(api_atendente, metodo)(f"{API}/{caminho}", corpo, format="json")
        assert resposta.status_code == 403, (metodo, caminho, resposta.content)
        assert resposta.json()["codigo"] in ("sem_permissao", "permission_denied")

    assert retrato() == antes


@pytest.mark.parametrize("papel", ["supervisor", "admin"])
def test_supervisor_e_admin_podem(papel, request, cliente_de, alvos):
    cliente = cliente_de(request.getfixturevalue(papel))

    for metodo, caminho, corpo in chamadas_de_gestao(alvos):
        resposta = getattr(cliente, metodo)(f"{API}/{caminho}", corpo, format="json")
        assert resposta.status_code in (200, 201, 204, 409), (metodo, caminho, resposta.content)


@pytest.mark.parametrize("papel", ["atendente", "supervisor", "admin"])
def test_leituras_para_todos_os_papeis(papel, request, cliente_de, alvos):
    cliente = cliente_de(request.getfixturevalue(papel))

    for recurso in (
        "tickets",
        "mensagens",
        "canais",
        "filas",
        "atendentes",
        "templates",
        "tags",
        "contatos",
        "base-conhecimento",
    ):
        assert cliente.get(f"{API}/{recurso}/").status_code == 200, recurso
    assert cliente.get(f"{API}/tickets/estatisticas/geral/").status_code == 200


@pytest.mark.parametrize("papel", ["atendente", "supervisor", "admin"])
def test_outra_empresa_e_404_para_todos_os_papeis(
    papel, request, cliente_de, outra_empresa, ticket_outra_empresa
):
    cliente = cliente_de(request.getfixturevalue(papel))
    alheios = {
        "tickets": ticket_outra_empresa.id,
        "canais": ticket_outra_empresa.canal_id,
        "filas": ticket_outra_empresa.fila_id,
        "atendentes": AtendenteFactory(empresa=outra_empresa).id,
        "templates": TemplateFactory(empresa=outra_empresa).id,
        "tags": TagFactory(empresa=outra_empresa).id,
        "contatos": ticket_outra_empresa.contato_id,
    }
    antes = retrato()

    for recurso, pk in alheios.items():
        assert cliente.get(f"{API}/{recurso}/{pk}/").status_code == 404, recurso
        assert (
            cliente.patch(f"{API}/{recurso}/{pk}/", {"nome": "x"}, format="json").status_code == 404
        )
        assert cliente.delete(f"{API}/{recurso}/{pk}/").status_code == 404, recurso

    assert retrato() == antes
