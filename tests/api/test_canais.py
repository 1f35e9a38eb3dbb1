"""Canais: CRUD with secrets write-only and masked, ativar (webhook registration), desativar,
testar against a fake provider speaking the Telegram Bot API."""

from __future__ import annotations

import json

import pytest

from atendimento.models import Canal
from tests.factories import CanalFactory, TicketFactory

from .conftest import API

pytestmark = pytest.mark.django_db

CONFIG_WA = {
    "phone_number_id": "106540352242922",
    "waba_id": "102290129340398",
    "access_token": "EAAG-segredo-muito-longo-1234",
    "app_secret": "app-secret-abcd",
    "verify_token": "verifica-9876",
}


@pytest.fixture
def canal_telegram_local(empresa, fila, httpserver):
    return CanalFactory(
        empresa=empresa,
        fila_padrao=fila,
        telegram=True,
        ativo=False,
        config={"api_base_url": httpserver.url_for("").rstrip("/")},
        segredos={"bot_token": "123:ABC-token", "webhook_secret": "segredo_do_webhook"},
    )


# ------------------------------------------------------------------------------- reads
def test_listar_com_segredos_mascarados_para_todos_os_papeis(
    api_atendente, canal_whatsapp, outra_empresa
):
    CanalFactory(empresa=outra_empresa)

    corpo = api_atendente.get(f"{API}/canais/").json()

    assert corpo["count"] == 1
    item = corpo["results"][0]
    assert item["id"] == str(canal_whatsapp.id)
    assert item["config"]["phone_number_id"] == canal_whatsapp.config["phone_number_id"]
    assert item["config"]["access_token"] == "••••" + "EAAtokendeteste"[-4:]
    assert "EAAtokendeteste" not in json.dumps(corpo)
    assert "segredos" not in item
    assert item["url_webhook"] == (
        f"http://testserver/api/atendimento/webhooks/whatsapp/{canal_whatsapp.empresa_id}/"
    )


def test_detalhe_404_outra_empresa(api_admin, api_atendente, outra_empresa, canal_whatsapp):
    alheio = CanalFactory(empresa=outra_empresa)

    assert api_admin.get(f"{API}/canais/{alheio.id}/").status_code == 404
    assert api_atendente.get(f"{API}/canais/{canal_whatsapp.id}/").status_code == 200


# ------------------------------------------------------------------------------- create / update
def test_criar_separa_segredos(api_supervisor, empresa, fila):
    resposta = api_supervisor.post(
        f"{API}/canais/",
        {"tipo": "whatsapp", "nome": "Vendas", "config": CONFIG_WA, "fila_padrao": str(fila.id)},
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    assert corpo["ativo"] is False
    assert corpo["config"]["access_token"] == "••••1234"
    assert corpo["fila_padrao"] == str(fila.id)
    canal = Canal.objects.get(pk=corpo["id"])
    assert canal.segredos["access_token"] == CONFIG_WA["access_token"]
    assert "access_token" not in canal.config
    assert canal.identificador == CONFIG_WA["phone_number_id"]


def test_criar_papel_e_validacao(api_atendente, api_admin, fila_outra_empresa):
    corpo = {"tipo": "whatsapp", "nome": "X", "config": CONFIG_WA}

    assert api_atendente.post(f"{API}/canais/", corpo).status_code == 403
    assert api_admin.post(f"{API}/canais/", {**corpo, "tipo": "fax"}).status_code == 400
    assert api_admin.post(f"{API}/canais/", {**corpo, "config": ["x"]}).status_code == 400
    assert api_admin.post(f"{API}/canais/", {**corpo, "config": {"a": {"b": 1}}}).status_code == 400
    desconhecida = api_admin.post(f"{API}/canais/", {**corpo, "config": {"chave_estranha": "1"}})
    assert desconhecida.status_code == 422
    alheia = api_admin.post(f"{API}/canais/", {**corpo, "fila_padrao": str(fila_outra_empresa.id)})
    assert alheia.status_code == 404
    assert not Canal.objects.exists()


def test_atualizar_mantem_segredo_ausente(api_admin, canal_whatsapp, outra_fila):
    resposta = api_admin.patch(
        f"{API}/canais/{canal_whatsapp.id}/",
        {"nome": "Novo nome", "config": {"waba_id": "999"}, "fila_padrao": str(outra_fila.id)},
    )

    assert resposta.status_code == 200, resposta.content
    canal_whatsapp.refresh_from_db()
    assert canal_whatsapp.nome == "Novo nome"
    assert canal_whatsapp.config["waba_id"] == "999"
    assert canal_whatsapp.segredos["access_token"] == "EAAtokendeteste"
    assert canal_whatsapp.fila_padrao == outra_fila


def test_atualizar_papel_e_404(
    api_atendente, api_admin, canal_whatsapp, outra_empresa, fila_outra_empresa
):
    alheio = CanalFactory(empresa=outra_empresa)

    assert (
        api_atendente.patch(f"{API}/canais/{canal_whatsapp.id}/", {"nome": "x"}).status_code == 403
    )
    assert api_atendente.patch(f"{API}/canais/{alheio.id}/", {"nome": "x"}).status_code == 404
    assert api_admin.put(f"{API}/canais/{alheio.id}/", {"nome": "x"}).status_code == 404
    corpo = {"fila_padrao": str(fila_outra_empresa.id)}
    assert api_admin.patch(f"{API}/canais/{canal_whatsapp.id}/", corpo).status_code == 404
    canal_whatsapp.refresh_from_db()
    assert canal_whatsapp.nome == "WhatsApp"


def test_excluir(api_admin, api_atendente, canal_whatsapp, canal_telegram):
    TicketFactory(empresa=canal_whatsapp.empresa, canal=canal_whatsapp)

    assert api_atendente.delete(f"{API}/canais/{canal_telegram.id}/").status_code == 403
    com_tickets = api_admin.delete(f"{API}/canais/{canal_whatsapp.id}/")
    assert com_tickets.status_code == 409
    assert api_admin.delete(f"{API}/canais/{canal_telegram.id}/").status_code == 204
    assert list(Canal.objects.values_list("id", flat=True)) == [canal_whatsapp.id]


# ------------------------------------------------------------------------------- actions
def test_ativar_registra_o_webhook_no_telegram(api_admin, canal_telegram_local, httpserver):
    httpserver.expect_request("/bot123:ABC-token/setWebhook", method="POST").respond_with_json(
        {"ok": True, "result": True}
    )

    resposta = api_admin.post(f"{API}/canais/{canal_telegram_local.id}/ativar/")

    assert resposta.status_code == 200, resposta.content
    ((requisicao, _),) = httpserver.log
    enviado = json.loads(requisicao.data)
    assert enviado["url"] == (
        f"http://testserver/api/atendimento/webhooks/telegram/{canal_telegram_local.empresa_id}/"
    )
    assert enviado["secret_token"] == "segredo_do_webhook"
    canal_telegram_local.refresh_from_db()
    assert canal_telegram_local.ativo is True
    assert canal_telegram_local.webhook_registrado_em is not None


def test_ativar_recusado_pelo_provedor_fica_inativo(api_admin, canal_telegram_local, httpserver):
    httpserver.expect_request("/bot123:ABC-token/setWebhook").respond_with_json(
        {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
    )

    resposta = api_admin.post(f"{API}/canais/{canal_telegram_local.id}/ativar/")

    assert resposta.status_code == 422
    canal_telegram_local.refresh_from_db()
    assert canal_telegram_local.ativo is False


def test_ativar_whatsapp_sem_registro_automatico(api_admin, empresa):
    canal = CanalFactory(empresa=empresa, ativo=False)

    resposta = api_admin.post(f"{API}/canais/{canal.id}/ativar/")

    assert resposta.status_code == 200
    assert resposta.json()["ativo"] is True
    assert resposta.json()["webhook_registrado_em"] is None


def test_desativar(api_supervisor, canal_whatsapp):
    resposta = api_supervisor.post(f"{API}/canais/{canal_whatsapp.id}/desativar/")

    assert resposta.status_code == 200
    canal_whatsapp.refresh_from_db()
    assert canal_whatsapp.ativo is False


def test_testar(api_admin, canal_telegram_local, httpserver):
    httpserver.expect_request("/bot123:ABC-token/getMe").respond_with_json(
        {
            "ok": True,
            "result": {"id": 123, "is_bot": True, "username": "loja_bot", "first_name": "Loja"},
        }
    )
    httpserver.expect_request("/bot123:ABC-token/getWebhookInfo").respond_with_json(
        {"ok": True, "result": {"url": "", "pending_update_count": 0}}
    )

    resposta = api_admin.post(f"{API}/canais/{canal_telegram_local.id}/testar/")

    assert resposta.status_code == 200
    corpo = resposta.json()
    assert corpo["ok"] is True
    assert corpo["dados"]["username"] == "loja_bot"
    canal_telegram_local.refresh_from_db()
    assert canal_telegram_local.ultimo_teste_ok is True


def test_testar_credencial_recusada(api_admin, canal_telegram_local, httpserver):
    httpserver.expect_request("/bot123:ABC-token/getMe").respond_with_json(
        {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
    )

    corpo = api_admin.post(f"{API}/canais/{canal_telegram_local.id}/testar/").json()

    assert corpo["ok"] is False
    canal_telegram_local.refresh_from_db()
    assert canal_telegram_local.ultimo_teste_ok is False


def test_acoes_papel_e_404(api_atendente, api_admin, canal_whatsapp, outra_empresa, httpserver):
    alheio = CanalFactory(empresa=outra_empresa, ativo=True)
    for acao in ("ativar", "desativar", "testar"):
        assert api_atendente.post(f"{API}/canais/{canal_whatsapp.id}/{acao}/").status_code == 403
        assert api_admin.post(f"{API}/canais/{alheio.id}/{acao}/").status_code == 404
    alheio.refresh_from_db()
    canal_whatsapp.refresh_from_db()
    assert alheio.ativo is True
    assert canal_whatsapp.ativo is True
    assert canal_whatsapp.ultimo_teste_em is None
    assert httpserver.log == []
