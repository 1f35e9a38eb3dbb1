"""Filas (CRUD, members) and atendentes (CRUD with the Django user, stats, status, tickets)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from atendimento.models import Atendente, AtendenteFila, Fila, Ticket
from tests.factories import AtendenteFactory, FilaFactory, TicketFactory

from .conftest import API

pytestmark = pytest.mark.django_db
Usuario = get_user_model()


# ------------------------------------------------------------------------------- filas
def test_listar_filas_com_membros_e_tickets_abertos(
    api_atendente, fila, atendente, ticket, outra_empresa
):
    FilaFactory(empresa=outra_empresa)

    corpo = api_atendente.get(f"{API}/filas/").json()

    assert [f["nome"] for f in corpo["results"]] == ["Suporte"]
    item = corpo["results"][0]
    assert item["tickets_abertos"] == 1
    assert item["atendentes"] == [
        {
            "atendente_id": str(atendente.id),
            "fila_id": str(fila.id),
            "nome": atendente.nome,
            "prioridade": 0,
        }
    ]


def test_criar_fila(api_supervisor, empresa):
    resposta = api_supervisor.post(
        f"{API}/filas/",
        {
            "nome": "Vendas",
            "distribuicao": "round_robin",
            "sla_primeira_resposta_min": 15,
            "sla_resolucao_min": 240,
            "horario": {"seg": ["08:00", "18:00"], "feriados": ["2026-12-25"]},
        },
    )

    assert resposta.status_code == 201, resposta.content
    fila = Fila.objects.get(pk=resposta.json()["id"])
    assert (fila.empresa, fila.distribuicao, fila.sla_primeira_resposta_min) == (
        empresa,
        "round_robin",
        15,
    )
    assert fila.horario == {"seg": ["08:00", "18:00"], "feriados": ["2026-12-25"]}


def test_criar_fila_validacao(api_admin, fila):
    casos = [
        {"nome": "Suporte"},  # duplicate name
        {"nome": "X", "distribuicao": "aleatoria"},
        {"nome": "X", "horario": {"seg": ["18:00", "08:00"]}},
        {"nome": "X", "horario": {"feriado": []}},
        {"nome": "X", "horario": {"feriados": ["25/12"]}},
        {"nome": "X", "sla_primeira_resposta_min": 0},
        {"nome": "X", "cor": "azul"},
        {},
    ]
    for corpo in casos:
        resposta = api_admin.post(f"{API}/filas/", corpo, format="json")
        assert resposta.status_code == 400, (corpo, resposta.content)
    assert Fila.objects.count() == 1


def test_filas_papel_e_404(api_atendente, api_admin, fila, fila_outra_empresa):
    assert api_atendente.post(f"{API}/filas/", {"nome": "X"}).status_code == 403
    assert api_atendente.patch(f"{API}/filas/{fila.id}/", {"nome": "X"}).status_code == 403
    assert api_atendente.delete(f"{API}/filas/{fila.id}/").status_code == 403
    assert api_atendente.get(f"{API}/filas/{fila_outra_empresa.id}/").status_code == 404
    assert (
        api_admin.patch(f"{API}/filas/{fila_outra_empresa.id}/", {"nome": "X"}).status_code == 404
    )
    assert api_admin.delete(f"{API}/filas/{fila_outra_empresa.id}/").status_code == 404
    fila_outra_empresa.refresh_from_db()
    assert fila_outra_empresa.nome == "Fila alheia"


def test_atualizar_fila(api_admin, fila):
    resposta = api_admin.patch(f"{API}/filas/{fila.id}/", {"sla_resolucao_min": 60, "ativo": False})

    assert resposta.status_code == 200
    fila.refresh_from_db()
    assert (fila.sla_resolucao_min, fila.ativo, fila.nome) == (60, False, "Suporte")


def test_excluir_fila_com_tickets_409_sem_tickets_204(api_admin, fila, outra_fila, ticket):
    assert api_admin.delete(f"{API}/filas/{fila.id}/").status_code == 409
    assert api_admin.delete(f"{API}/filas/{outra_fila.id}/").status_code == 204
    assert list(Fila.objects.values_list("id", flat=True)) == [fila.id]


def test_adicionar_e_remover_atendente_da_fila(api_supervisor, outra_fila, atendente):
    criado = api_supervisor.post(
        f"{API}/filas/{outra_fila.id}/atendentes/",
        {"atendente_id": str(atendente.id), "prioridade": 5},
    )
    atualizado = api_supervisor.post(
        f"{API}/filas/{outra_fila.id}/atendentes/",
        {"atendente_id": str(atendente.id), "prioridade": 7},
    )

    assert criado.status_code == 201, criado.content
    assert criado.json() == {
        "atendente_id": str(atendente.id),
        "fila_id": str(outra_fila.id),
        "nome": atendente.nome,
        "prioridade": 5,
    }
    assert atualizado.status_code == 200
    assert AtendenteFila.objects.get(fila=outra_fila, atendente=atendente).prioridade == 7

    removido = api_supervisor.delete(f"{API}/filas/{outra_fila.id}/atendentes/{atendente.id}/")

    assert removido.status_code == 204
    assert not AtendenteFila.objects.filter(fila=outra_fila, atendente=atendente).exists()
    de_novo = api_supervisor.delete(f"{API}/filas/{outra_fila.id}/atendentes/{atendente.id}/")
    assert de_novo.status_code == 404


def test_membros_404_para_ids_de_outra_empresa_e_papel(
    api_admin, api_atendente, fila, fila_outra_empresa, atendente, atendente_outra_empresa
):
    alheio = api_admin.post(
        f"{API}/filas/{fila.id}/atendentes/", {"atendente_id": str(atendente_outra_empresa.id)}
    )
    fila_alheia = api_admin.post(
        f"{API}/filas/{fila_outra_empresa.id}/atendentes/", {"atendente_id": str(atendente.id)}
    )
    remover_alheio = api_admin.delete(
        f"{API}/filas/{fila.id}/atendentes/{atendente_outra_empresa.id}/"
    )
    papel = api_atendente.post(
        f"{API}/filas/{fila.id}/atendentes/", {"atendente_id": str(atendente.id)}
    )
    papel_remover = api_atendente.delete(f"{API}/filas/{fila.id}/atendentes/{atendente.id}/")
    invalido = api_admin.post(f"{API}/filas/{fila.id}/atendentes/", {"atendente_id": "x"})

    assert (alheio.status_code, fila_alheia.status_code, remover_alheio.status_code) == (
        404,
        404,
        404,
    )
    assert (papel.status_code, papel_remover.status_code, invalido.status_code) == (403, 403, 400)
    assert AtendenteFila.objects.count() == 1


# ------------------------------------------------------------------------------- atendentes
def test_listar_atendentes_com_estatisticas(
    api_atendente, atendente, fila, empresa, canal_whatsapp
):
    agora = timezone.now()
    TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
    fechado = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        atendente=atendente,
        status=Ticket.Status.FECHADO,
        fechado_em=agora,
    )
    Ticket.objects.filter(pk=fechado.pk).update(
        criado_em=agora - timedelta(minutes=10), primeira_resposta_em=agora - timedelta(minutes=8)
    )

    corpo = api_atendente.get(f"{API}/atendentes/").json()

    (item,) = [a for a in corpo["results"] if a["id"] == str(atendente.id)]
    assert item["estatisticas"] == {
        "tickets_abertos": 1,
        "fechados_hoje": 1,
        "tempo_medio_primeira_resposta_segundos": 120.0,
    }
    assert item["filas"] == [str(fila.id)]
    assert item["username"] == atendente.usuario.username


def test_criar_atendente_cria_o_usuario(api_admin, empresa, fila, anonimo):
    resposta = api_admin.post(
        f"{API}/atendentes/",
        {
            "username": "novo.agente",
            "password": "uma-senha-bem-forte-42",
            "email": "novo@loja.com.br",
            "nome": "Novo Agente",
            "papel": "atendente",
            "capacidade": 8,
            "filas": [str(fila.id)],
        },
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    assert "password" not in corpo
    novo = Atendente.objects.get(pk=corpo["id"])
    assert (novo.empresa, novo.capacidade, novo.usuario.username) == (empresa, 8, "novo.agente")
    assert novo.usuario.check_password("uma-senha-bem-forte-42")
    assert corpo["filas"] == [str(fila.id)]
    login = anonimo.post(
        "/api/auth/token/", {"username": "novo.agente", "password": "uma-senha-bem-forte-42"}
    )
    assert login.status_code == 200


def test_criar_atendente_validacao(api_admin, admin, fila_outra_empresa):
    base = {"username": "x.y", "password": "uma-senha-bem-forte-42", "nome": "X"}
    casos = [
        ({**base, "username": admin.usuario.username}, 400),
        ({**base, "password": "123"}, 400),
        ({**base, "username": "com espaço"}, 400),
        ({**base, "papel": "dono"}, 400),
        ({**base, "email": "não-é-email"}, 400),
        ({**base, "filas": [str(fila_outra_empresa.id)]}, 404),
    ]
    for corpo, esperado in casos:
        resposta = api_admin.post(f"{API}/atendentes/", corpo)
        assert resposta.status_code == esperado, (corpo, resposta.content)
    assert not Usuario.objects.filter(username="x.y").exists()


def test_papeis_ao_gerir_atendentes(api_atendente, api_supervisor, admin, atendente):
    corpo = {"username": "z", "password": "uma-senha-bem-forte-42", "nome": "Z"}

    assert api_atendente.post(f"{API}/atendentes/", corpo).status_code == 403
    assert api_supervisor.post(f"{API}/atendentes/", {**corpo, "papel": "admin"}).status_code == 403
    assert api_supervisor.patch(f"{API}/atendentes/{admin.id}/", {"nome": "x"}).status_code == 403
    assert api_supervisor.delete(f"{API}/atendentes/{admin.id}/").status_code == 403
    assert (
        api_atendente.patch(f"{API}/atendentes/{atendente.id}/", {"nome": "x"}).status_code == 403
    )
    assert not Usuario.objects.filter(username="z").exists()
    admin.refresh_from_db()
    assert admin.nome == "Ana Admin"


def test_atualizar_atendente(api_supervisor, atendente, outra_fila):
    resposta = api_supervisor.patch(
        f"{API}/atendentes/{atendente.id}/",
        {
            "capacidade": 3,
            "filas": [str(outra_fila.id)],
            "email": "beto@loja.com.br",
            "ativo": False,
        },
    )

    assert resposta.status_code == 200, resposta.content
    atendente.refresh_from_db()
    assert atendente.capacidade == 3
    assert list(atendente.membros_fila.values_list("fila_id", flat=True)) == [outra_fila.id]
    assert (atendente.usuario.email, atendente.usuario.is_active) == ("beto@loja.com.br", False)


def test_nao_rebaixa_nem_exclui_a_si_mesmo(api_admin, admin):
    assert (
        api_admin.patch(f"{API}/atendentes/{admin.id}/", {"papel": "atendente"}).status_code == 422
    )
    assert api_admin.patch(f"{API}/atendentes/{admin.id}/", {"ativo": False}).status_code == 422
    assert api_admin.delete(f"{API}/atendentes/{admin.id}/").status_code == 422
    admin.refresh_from_db()
    assert (admin.papel, admin.ativo) == ("admin", True)


def test_excluir_atendente_devolve_tickets_a_fila(
    api_admin, atendente, ticket, atendente_outra_empresa
):
    Ticket.objects.filter(pk=ticket.pk).update(atendente=atendente)
    usuario_id = atendente.usuario_id

    assert api_admin.delete(f"{API}/atendentes/{atendente_outra_empresa.id}/").status_code == 404
    assert api_admin.delete(f"{API}/atendentes/{atendente.id}/").status_code == 204

    assert not Atendente.objects.filter(pk=atendente.pk).exists()
    assert not Usuario.objects.filter(pk=usuario_id).exists()
    ticket.refresh_from_db()
    assert ticket.atendente is None
    assert ticket.historico.filter(acao="atribuido").count() == 1
    assert Atendente.objects.filter(pk=atendente_outra_empresa.pk).exists()


def test_status_proprio_ou_pela_gestao(
    api_atendente, api_supervisor, atendente, atendente_outra_fila, atendente_outra_empresa
):
    proprio = api_atendente.put(f"{API}/atendentes/{atendente.id}/status/", {"status": "ausente"})
    de_outro = api_atendente.put(
        f"{API}/atendentes/{atendente_outra_fila.id}/status/", {"status": "offline"}
    )
    pela_gestao = api_supervisor.put(
        f"{API}/atendentes/{atendente_outra_fila.id}/status/", {"status": "ocupado"}
    )
    alheio = api_supervisor.put(
        f"{API}/atendentes/{atendente_outra_empresa.id}/status/", {"status": "offline"}
    )
    invalido = api_atendente.put(f"{API}/atendentes/{atendente.id}/status/", {"status": "dormindo"})

    assert proprio.status_code == 200, proprio.content
    assert proprio.json()["status"] == "ausente"
    assert (de_outro.status_code, pela_gestao.status_code) == (403, 200)
    assert (alheio.status_code, invalido.status_code) == (404, 400)
    atendente_outra_fila.refresh_from_db()
    atendente_outra_empresa.refresh_from_db()
    assert atendente_outra_fila.status == "ocupado"
    assert atendente_outra_empresa.status == "online"


def test_tickets_do_atendente_respeita_a_visibilidade(
    api_atendente,
    api_admin,
    atendente,
    atendente_outra_fila,
    empresa,
    canal_whatsapp,
    fila,
    outra_fila,
    atendente_outra_empresa,
):
    meu = TicketFactory(
        empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente_outra_fila
    )
    oculto = TicketFactory(
        empresa=empresa, canal=canal_whatsapp, fila=outra_fila, atendente=atendente_outra_fila
    )

    pelo_atendente = api_atendente.get(
        f"{API}/atendentes/{atendente_outra_fila.id}/tickets/"
    ).json()
    pelo_admin = api_admin.get(f"{API}/atendentes/{atendente_outra_fila.id}/tickets/").json()

    assert [t["id"] for t in pelo_atendente["results"]] == [str(meu.id)]
    assert {t["id"] for t in pelo_admin["results"]} == {str(meu.id), str(oculto.id)}
    assert (
        api_admin.get(f"{API}/atendentes/{atendente_outra_empresa.id}/tickets/").status_code == 404
    )


def test_detalhe_atendente_404_outra_empresa(api_admin, atendente_outra_empresa, atendente):
    assert api_admin.get(f"{API}/atendentes/{atendente_outra_empresa.id}/").status_code == 404
    assert api_admin.get(f"{API}/atendentes/{atendente.id}/").json()["papel"] == "atendente"


def test_filtros_de_atendentes(api_admin, atendente, atendente_outra_fila, fila, admin):
    AtendenteFactory(empresa=atendente.empresa, ativo=False, nome="Inativo")

    por_fila = api_admin.get(f"{API}/atendentes/", {"fila": str(fila.id)}).json()
    por_papel = api_admin.get(f"{API}/atendentes/", {"papel": "admin"}).json()
    inativos = api_admin.get(f"{API}/atendentes/", {"ativo": "false"}).json()

    assert [a["id"] for a in por_fila["results"]] == [str(atendente.id)]
    assert [a["id"] for a in por_papel["results"]] == [str(admin.id)]
    assert [a["nome"] for a in inativos["results"]] == ["Inativo"]
