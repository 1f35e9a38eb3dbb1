"""The first-contact menu through the channels API (``canais/``): the menu fields and the
options with their queues are stored and read back; invalid input is 400 and a queue of
another empresa 404, with nothing written; another empresa's channel is 404; an atendente 403."""

from __future__ import annotations

import pytest

from atendimento.models import Canal, OpcaoMenu
from tests.factories import CanalFactory, FilaFactory

from .conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendas(empresa):
    return FilaFactory(empresa=empresa, nome="Vendas")


def _menu(fila, outra) -> dict:
    return {
        "menu_ativo": True,
        "menu_saudacao": "Oi {{contato.nome}}! Escolha:",
        "menu_opcao_invalida": "Não entendi. Escolha:",
        "menu_tentativas": 2,
        "menu_espera_min": 15,
        "resposta_automatica": "sugerir",
        "opcoes_menu": [
            {"numero": 2, "rotulo": " Suporte técnico ", "fila": str(outra.pk),
             "sinonimos": "defeito, problema"},
            {"numero": 1, "rotulo": "Vendas", "fila": str(fila.pk)},
        ],
    }  # fmt: skip


def _estado(canal: Canal) -> tuple:
    canal.refresh_from_db()
    opcoes = list(
        OpcaoMenu.objects.filter(canal=canal)
        .order_by("numero")
        .values_list("numero", "rotulo", "fila_id", "sinonimos")
    )
    return (
        canal.nome,
        canal.menu_ativo,
        canal.menu_saudacao,
        canal.menu_tentativas,
        canal.resposta_automatica,
        opcoes,
    )


def test_menu_configurado_e_lido_pela_api(api_admin, canal_whatsapp, fila, vendas):
    resposta = api_admin.patch(
        f"{API}/canais/{canal_whatsapp.id}/", _menu(vendas, fila), format="json"
    )
    assert resposta.status_code == 200, resposta.content
    corpo = resposta.json()
    assert corpo["menu_ativo"] is True
    assert (corpo["menu_tentativas"], corpo["menu_espera_min"]) == (2, 15)
    assert corpo["resposta_automatica"] == "sugerir"
    assert corpo["opcoes_menu"] == [
        {"numero": 1, "rotulo": "Vendas", "fila": str(vendas.pk), "sinonimos": ""},
        {"numero": 2, "rotulo": "Suporte técnico", "fila": str(fila.pk),
         "sinonimos": "defeito, problema"},
    ]  # fmt: skip
    assert _estado(canal_whatsapp)[1:] == (
        True,
        "Oi {{contato.nome}}! Escolha:",
        2,
        "sugerir",
        [(1, "Vendas", vendas.pk, ""), (2, "Suporte técnico", fila.pk, "defeito, problema")],
    )
    lido = api_admin.get(f"{API}/canais/{canal_whatsapp.id}/").json()
    assert lido["opcoes_menu"] == corpo["opcoes_menu"]
    listado = api_admin.get(f"{API}/canais/").json()["results"][0]
    assert listado["opcoes_menu"] == corpo["opcoes_menu"]

    # the list is replaced as a whole; fields not sent keep their value
    resposta = api_admin.patch(
        f"{API}/canais/{canal_whatsapp.id}/",
        {"opcoes_menu": [{"numero": 1, "rotulo": "Comercial", "fila": str(vendas.pk)}]},
        format="json",
    )
    assert resposta.status_code == 200, resposta.content
    assert _estado(canal_whatsapp)[1:] == (
        True, "Oi {{contato.nome}}! Escolha:", 2, "sugerir", [(1, "Comercial", vendas.pk, "")]
    )  # fmt: skip

    # a rename leaves the menu alone; switching it off keeps the options for later
    assert api_admin.patch(
        f"{API}/canais/{canal_whatsapp.id}/", {"nome": "Novo nome"}, format="json"
    ).status_code == 200  # fmt: skip
    resposta = api_admin.patch(
        f"{API}/canais/{canal_whatsapp.id}/", {"menu_ativo": False}, format="json"
    )
    assert resposta.status_code == 200, resposta.content
    assert _estado(canal_whatsapp) == (
        "Novo nome", False, "Oi {{contato.nome}}! Escolha:", 2, "sugerir",
        [(1, "Comercial", vendas.pk, "")],
    )  # fmt: skip


def test_canal_criado_com_menu(api_admin, fila, vendas):
    corpo = {
        "tipo": "telegram",
        "nome": "Bot",
        "config": {"bot_token": "123:abc", "webhook_secret": "segredo_do_webhook"},
        "fila_padrao": str(fila.pk),
        **_menu(vendas, fila),
    }
    resposta = api_admin.post(f"{API}/canais/", corpo, format="json")
    assert resposta.status_code == 201, resposta.content
    canal = Canal.objects.get(pk=resposta.json()["id"])
    assert _estado(canal)[1] is True
    assert [o["numero"] for o in resposta.json()["opcoes_menu"]] == [1, 2]


@pytest.mark.parametrize(
    "mudanca",
    [
        {"opcoes_menu": [{"numero": 1, "rotulo": "A", "fila": "FILA"},
                         {"numero": 1, "rotulo": "B", "fila": "FILA"}]},
        {"opcoes_menu": [{"numero": 0, "rotulo": "A", "fila": "FILA"}]},
        {"opcoes_menu": [{"numero": 100, "rotulo": "A", "fila": "FILA"}]},
        {"opcoes_menu": [{"numero": 1, "rotulo": "  ", "fila": "FILA"}]},
        {"opcoes_menu": [{"numero": 1, "rotulo": "x" * 61, "fila": "FILA"}]},
        {"opcoes_menu": [{"numero": 1, "rotulo": "A", "fila": "não-é-uuid"}]},
        {"opcoes_menu": [{"numero": 1, "rotulo": "A"}]},
        {"opcoes_menu": [{"numero": n, "rotulo": "A", "fila": "FILA"} for n in range(1, 52)]},
        {"opcoes_menu": {"numero": 1}},
        {"opcoes_menu": [], "menu_ativo": True},
        {"menu_tentativas": 0},
        {"menu_espera_min": -5},
        {"menu_ativo": "talvez"},
        {"resposta_automatica": "sempre"},
        {"menu_saudacao": "x" * 1001},
    ],
)  # fmt: skip
def test_entrada_invalida_400_e_nada_gravado(api_admin, canal_whatsapp, fila, mudanca):
    antes = _estado(canal_whatsapp)
    corpo = {"nome": "Não deve mudar", **_menu(fila, fila), **mudanca}
    if isinstance(corpo["opcoes_menu"], list):  # "FILA": the empresa's own queue
        corpo["opcoes_menu"] = [
            {**o, "fila": str(fila.pk)} if o.get("fila") == "FILA" else o
            for o in corpo["opcoes_menu"]
        ]
    resposta = api_admin.patch(f"{API}/canais/{canal_whatsapp.id}/", corpo, format="json")
    assert resposta.status_code == 400, resposta.content
    assert set(resposta.json()) & set(mudanca)  # the error names the field
    assert _estado(canal_whatsapp) == antes


def test_fila_de_outra_empresa_404_e_nada_gravado(
    api_admin, canal_whatsapp, fila, fila_outra_empresa
):
    OpcaoMenu.objects.create(
        empresa=canal_whatsapp.empresa, canal=canal_whatsapp, numero=1, rotulo="Geral", fila=fila
    )
    antes = _estado(canal_whatsapp)
    corpo = _menu(fila, fila_outra_empresa)
    corpo["nome"] = "Não deve mudar"
    resposta = api_admin.patch(f"{API}/canais/{canal_whatsapp.id}/", corpo, format="json")
    assert resposta.status_code == 404, resposta.content
    assert resposta.json()["detail"] == "Fila não encontrada."
    assert _estado(canal_whatsapp) == antes
    # the same answer for a queue that does not exist at all: nothing tells them apart
    corpo["opcoes_menu"][0]["fila"] = "00000000-0000-0000-0000-000000000000"
    resposta2 = api_admin.patch(f"{API}/canais/{canal_whatsapp.id}/", corpo, format="json")
    assert (resposta2.status_code, resposta2.json()) == (404, resposta.json())
    assert _estado(canal_whatsapp) == antes


def test_canal_de_outra_empresa_404(api_admin, outra_empresa, fila):
    alheio = CanalFactory(empresa=outra_empresa)
    resposta = api_admin.patch(f"{API}/canais/{alheio.id}/", _menu(fila, fila), format="json")
    assert resposta.status_code == 404
    assert api_admin.get(f"{API}/canais/{alheio.id}/").status_code == 404
    alheio.refresh_from_db()
    assert alheio.menu_ativo is False
    assert not OpcaoMenu.objects.exists()


def test_atendente_le_o_menu_mas_nao_o_muda(api_atendente, canal_whatsapp, fila):
    OpcaoMenu.objects.create(
        empresa=canal_whatsapp.empresa, canal=canal_whatsapp, numero=1, rotulo="Geral", fila=fila
    )
    lido = api_atendente.get(f"{API}/canais/{canal_whatsapp.id}/").json()
    assert lido["opcoes_menu"] == [
        {"numero": 1, "rotulo": "Geral", "fila": str(fila.pk), "sinonimos": ""}
    ]
    resposta = api_atendente.patch(
        f"{API}/canais/{canal_whatsapp.id}/", {"menu_ativo": True}, format="json"
    )
    assert resposta.status_code == 403
    canal_whatsapp.refresh_from_db()
    assert canal_whatsapp.menu_ativo is False
