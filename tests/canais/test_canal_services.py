"""Channel management services: secrets split and encrypted, masked config, activation with
webhook registration, connection test recorded."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from atendimento.exceptions import Conflito, NaoEncontrado, RegraNegocio, ServicoIndisponivel
from atendimento.models import Canal
from canais.adapters.telegram.adaptador import ALLOWED_UPDATES
from canais.services import (
    canal_ativar,
    canal_atualizar,
    canal_criar,
    canal_desativar,
    canal_testar,
    config_mascarada,
)
from tests.factories import FilaFactory

PNID = "106540352242922"
ACCESS_TOKEN = "EAAGm0PX4ZCpsBAKZBsegredodeverdade9f3k"
APP_SECRET = "a1b2c3d4e5f6segredo-do-app"
VERIFY_TOKEN = "token-de-verificacao-123"
BOT_TOKEN = "7012345678:AAHsegredoDoBotTelegram_xyz"
WEBHOOK_SECRET = "segredo_do_webhook-0123456789"
URL_WEBHOOK = "https://atendimento.exemplo.com.br/api/atendimento/webhooks/telegram/x/"


def _config_whatsapp(api_base: str = "https://graph.facebook.com") -> dict:
    return {
        "phone_number_id": PNID,
        "waba_id": "102290129340398",
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "api_version": "v23.0",
        "api_base_url": api_base + "/",
    }


def _colunas_cruas(canal: Canal) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT config::text, segredos::text FROM atendimento_canais WHERE id = %s",
            [canal.pk],
        )
        return " ".join(cursor.fetchone())


@pytest.fixture
def canal_wa(empresa, fila, api_base):
    return canal_criar(
        empresa=empresa,
        tipo="whatsapp",
        nome="WhatsApp Vendas",
        config=_config_whatsapp(api_base),
        fila_padrao=fila,
    )


@pytest.fixture
def canal_tg(empresa, api_base):
    return canal_criar(
        empresa=empresa,
        tipo="telegram",
        nome="Bot",
        config={"bot_token": BOT_TOKEN, "webhook_secret": WEBHOOK_SECRET, "api_base_url": api_base},
    )


# ------------------------------------------------------------------------------- create
def test_criar_separa_e_cifra_os_segredos(canal_wa, fila, api_base):
    canal = Canal.objects.get(pk=canal_wa.pk)
    assert canal.config == {
        "phone_number_id": PNID,
        "waba_id": "102290129340398",
        "api_version": "v23.0",
        "api_base_url": api_base,
    }
    assert canal.segredos == {
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
    }
    assert (canal.identificador, canal.ativo, canal.fila_padrao) == (PNID, False, fila)
    cru = _colunas_cruas(canal)
    for segredo in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert segredo not in cru
    assert PNID in cru  # the public part is plain JSON


def test_config_mascarada_nunca_mostra_o_segredo(canal_wa, api_base):
    mascarada = config_mascarada(canal_wa)

    assert mascarada == {
        "phone_number_id": PNID,
        "waba_id": "102290129340398",
        "api_version": "v23.0",
        "api_base_url": api_base,
        "access_token": "••••9f3k",
        "app_secret": "••••-app",
        "verify_token": "••••-123",
    }
    for segredo in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert segredo not in str(mascarada)


def test_segredo_curto_fica_todo_mascarado(empresa):
    canal = canal_criar(empresa=empresa, tipo="telegram", nome="Bot", config={"bot_token": "1:abc"})

    assert config_mascarada(canal)["bot_token"] == "••••"


def test_telegram_sem_segredo_de_webhook_ganha_um(empresa):
    canal = canal_criar(empresa=empresa, tipo="telegram", nome="Bot", config={"bot_token": "1:a"})

    segredo = canal.segredos["webhook_secret"]
    assert len(segredo) >= 32
    assert canal.identificador == hashlib.sha256(segredo.encode()).hexdigest()


@pytest.mark.parametrize(
    ("tipo", "config", "mensagem"),
    [
        ("fax", {}, "Tipo de canal desconhecido"),
        ("whatsapp", {"phone_number_id": "1", "acess_token": "x"}, "acess_token"),
        ("whatsapp", {"phone_number_id": {"a": 1}}, "phone_number_id"),
        ("telegram", {"api_base_url": "ftp://x"}, "api_base_url"),
        ("telegram", ["bot_token"], "objeto JSON"),
    ],
)
def test_criar_recusa_configuracao_invalida(empresa, tipo, config, mensagem):
    with pytest.raises(RegraNegocio, match=mensagem) as erro:
        canal_criar(empresa=empresa, tipo=tipo, nome="Canal", config=config)

    assert erro.value.status_http == 422
    assert not Canal.objects.filter(empresa=empresa).exists()


def test_fila_de_outra_empresa_e_404(empresa, outra_empresa):
    alheia = FilaFactory(empresa=outra_empresa)

    with pytest.raises(NaoEncontrado):
        canal_criar(empresa=empresa, tipo="telegram", nome="Bot", config={}, fila_padrao=alheia)
    assert not Canal.objects.filter(empresa=empresa).exists()


def test_mesmo_numero_duas_vezes_e_conflito(canal_wa, empresa):
    with pytest.raises(Conflito):
        canal_criar(empresa=empresa, tipo="whatsapp", nome="Outro", config=_config_whatsapp())

    assert Canal.objects.filter(empresa=empresa).count() == 1


def test_twilio_whatsapp_ativa_com_status_callback_e_segredo_cifrado(empresa, httpserver):
    canal = canal_criar(
        empresa=empresa,
        tipo="twilio",
        nome="WhatsApp via Twilio",
        config={
            "account_sid": "AC123",
            "auth_token": "tokentwiliosecreto",
            "numero": "whatsapp:+5511940000000",
        },
    )

    assert canal.config == {"account_sid": "AC123", "numero": "whatsapp:+5511940000000"}
    assert canal.segredos == {"auth_token": "tokentwiliosecreto"}
    assert "tokentwiliosecreto" not in _colunas_cruas(canal)
    canal_ativar(canal=canal, url_webhook=URL_WEBHOOK)  # senders are set up in Twilio's console

    canal.refresh_from_db()
    assert canal.ativo is True
    assert canal.config["status_callback_url"] == URL_WEBHOOK
    assert canal.webhook_registrado_em is None
    assert httpserver.log == []


# ------------------------------------------------------------------------------- update
def test_atualizar_mantem_segredos_ausentes_ou_mascarados(canal_wa, outra_fila):
    mascarada = config_mascarada(canal_wa)

    canal = canal_atualizar(
        canal=canal_wa,
        nome="WhatsApp Suporte",
        config={
            "access_token": mascarada["access_token"],  # the form sent back the masked value
            "verify_token": "",  # left blank
            "app_secret": "novo-segredo-do-app",
            "waba_id": None,  # removed
        },
        fila_padrao=outra_fila,
    )

    canal = Canal.objects.get(pk=canal.pk)
    assert canal.nome == "WhatsApp Suporte"
    assert canal.segredos == {
        "access_token": ACCESS_TOKEN,
        "app_secret": "novo-segredo-do-app",
        "verify_token": VERIFY_TOKEN,
    }
    assert "waba_id" not in canal.config
    assert canal.fila_padrao == outra_fila


def test_atualizar_sem_fila_mantem_a_fila(canal_wa, fila):
    canal = canal_atualizar(canal=canal_wa, nome="Novo nome")

    assert Canal.objects.get(pk=canal.pk).fila_padrao == fila


def test_canal_ativo_nao_troca_o_identificador(canal_tg, httpserver):
    httpserver.expect_request(f"/bot{BOT_TOKEN}/setWebhook").respond_with_json(
        {"ok": True, "result": True}
    )
    canal_ativar(canal=canal_tg, url_webhook=URL_WEBHOOK)

    with pytest.raises(RegraNegocio, match="Desative o canal"):
        canal_atualizar(canal=canal_tg, config={"webhook_secret": "outro_segredo_qualquer"})

    assert Canal.objects.get(pk=canal_tg.pk).segredos["webhook_secret"] == WEBHOOK_SECRET


# ------------------------------------------------------------------------------- activate
def test_ativar_telegram_registra_webhook_com_o_segredo(canal_tg, httpserver):
    httpserver.expect_oneshot_request(
        f"/bot{BOT_TOKEN}/setWebhook",
        method="POST",
        json={
            "url": URL_WEBHOOK,
            "secret_token": WEBHOOK_SECRET,
            "allowed_updates": list(ALLOWED_UPDATES),
            "drop_pending_updates": False,
        },
    ).respond_with_json({"ok": True, "result": True, "description": "Webhook was set"})

    canal = canal_ativar(canal=canal_tg, url_webhook=URL_WEBHOOK)

    httpserver.check_assertions()
    canal.refresh_from_db()
    assert canal.ativo is True
    assert canal.webhook_registrado_em is not None


def test_ativar_telegram_recusado_pelo_provedor_fica_inativo(canal_tg, httpserver):
    httpserver.expect_oneshot_request(f"/bot{BOT_TOKEN}/setWebhook").respond_with_json(
        {"ok": False, "error_code": 400, "description": "Bad Request: bad webhook: HTTPS url"},
        status=400,
    )

    with pytest.raises(RegraNegocio, match="bad webhook"):
        canal_ativar(canal=canal_tg, url_webhook="http://inseguro/")

    canal_tg.refresh_from_db()
    assert (canal_tg.ativo, canal_tg.webhook_registrado_em) == (False, None)


def test_ativar_com_provedor_fora_do_ar_e_503(canal_tg, httpserver):
    httpserver.expect_oneshot_request(f"/bot{BOT_TOKEN}/setWebhook").respond_with_data(
        "", status=502
    )

    with pytest.raises(ServicoIndisponivel):
        canal_ativar(canal=canal_tg, url_webhook=URL_WEBHOOK)

    canal_tg.refresh_from_db()
    assert canal_tg.ativo is False


def test_ativar_sem_campos_obrigatorios_nao_chama_o_provedor(empresa, api_base, httpserver):
    canal = canal_criar(
        empresa=empresa,
        tipo="whatsapp",
        nome="Incompleto",
        config={"phone_number_id": PNID, "api_base_url": api_base},
    )

    with pytest.raises(RegraNegocio, match="access_token, app_secret, verify_token") as erro:
        canal_ativar(canal=canal, url_webhook=URL_WEBHOOK)

    assert erro.value.extras["config"] == ["access_token", "app_secret", "verify_token"]
    assert httpserver.log == []
    canal.refresh_from_db()
    assert canal.ativo is False


def test_ativar_whatsapp_nao_chama_o_provedor(canal_wa, httpserver):
    canal = canal_ativar(canal=canal_wa, url_webhook=URL_WEBHOOK)

    assert httpserver.log == []  # configured in Meta's app panel
    canal.refresh_from_db()
    assert (canal.ativo, canal.webhook_registrado_em) == (True, None)


def test_desativar(canal_wa):
    canal_ativar(canal=canal_wa, url_webhook=URL_WEBHOOK)

    canal = canal_desativar(canal=canal_wa)

    assert Canal.objects.get(pk=canal.pk).ativo is False


# ------------------------------------------------------------------------------- test
def test_testar_whatsapp_registra_o_resultado(canal_wa, httpserver):
    httpserver.expect_oneshot_request(
        f"/v23.0/{PNID}",
        method="GET",
        query_string="fields=display_phone_number%2Cverified_name",
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    ).respond_with_json(
        {"display_phone_number": "+55 11 4000-0000", "verified_name": "Loja Aurora", "id": PNID}
    )

    resultado = canal_testar(canal=canal_wa)

    assert (resultado.ok, resultado.detalhe) == (True, "conectado: Loja Aurora (+55 11 4000-0000)")
    canal = Canal.objects.get(pk=canal_wa.pk)
    assert (canal.ultimo_teste_ok, canal.ultimo_teste_detalhe) == (
        True,
        "conectado: Loja Aurora (+55 11 4000-0000)",
    )
    assert canal.ultimo_teste_em is not None


def test_testar_com_token_expirado_registra_a_falha(canal_wa, httpserver, fixture_json):
    httpserver.expect_oneshot_request(f"/v23.0/{PNID}").respond_with_json(
        {"error": fixture_json("whatsapp/error_object_190_expired_token_pywa.json")}, status=401
    )

    resultado = canal_testar(canal=canal_wa)

    assert resultado.ok is False
    canal = Canal.objects.get(pk=canal_wa.pk)
    assert canal.ultimo_teste_ok is False
    assert canal.ultimo_teste_detalhe.startswith("190: Error validating access token")
