"""Requests the webhook refuses leave nothing behind; what it accepts it answers 200 without a
redirect; a malformed body from a verified sender is stored and marked ``falhou``."""

from __future__ import annotations

import json
import uuid

import pytest

from atendimento.models import EventoWebhook
from tests.factories import EmpresaFactory, FilaFactory

from .webhook_apoio import (
    NADA,
    SEGREDO_TG,
    assinar,
    canal_tg,
    canal_wa,
    celery_eager,  # noqa: F401 - fixture
    contagens,
    postar_telegram,
    postar_whatsapp,
    url_webhook,
)

PNID = "106540352242922"


@pytest.fixture
def texto(fixture_bytes) -> bytes:
    return fixture_bytes("whatsapp/text_message_metadocs.json")


@pytest.fixture
def update(fixture_bytes) -> bytes:
    return fixture_bytes("telegram/private_text_message_teloxide.json")


# ------------------------------------------------------------------------------- signatures
@pytest.mark.parametrize(
    "assinatura",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,
        "sha256=nao-hex",
        assinar(b"outro corpo"),
        assinar(b'{"object": "whatsapp_business_account"}', "outro-segredo"),
    ],
    ids=["sem", "vazia", "zeros", "sha1", "malformada", "outro-corpo", "outro-segredo"],
)
def test_whatsapp_assinatura_invalida_401_nada_gravado(client, empresa, fila, texto, assinatura):
    canal_wa(empresa, fila, pnid=PNID)
    cabecalhos = {} if assinatura is None else {"HTTP_X_HUB_SIGNATURE_256": assinatura}

    resposta = client.post(
        url_webhook("whatsapp", empresa.id), texto, content_type="application/json", **cabecalhos
    )

    assert resposta.status_code == 401
    assert contagens() == NADA


def test_whatsapp_corpo_alterado_depois_de_assinado(client, empresa, fila, texto):
    canal_wa(empresa, fila, pnid=PNID)
    forjado = texto.replace(b"another color", b"outra cor!!!!")

    resposta = postar_whatsapp(client, empresa.id, forjado, assinatura=assinar(texto))

    assert resposta.status_code == 401
    assert contagens() == NADA


def test_whatsapp_reserializado_nao_confere(client, empresa, fila, fixture_bytes):
    """Meta signs the \\uXXXX-escaped bytes: the same JSON re-encoded is another body."""
    canal_wa(empresa, fila, pnid="1122334455667")
    original = fixture_bytes("whatsapp/reaction_message_pywa.json")
    reencodado = json.dumps(json.loads(original), ensure_ascii=False).encode()

    resposta = postar_whatsapp(client, empresa.id, reencodado, assinatura=assinar(original))

    assert resposta.status_code == 401
    assert contagens() == NADA


@pytest.mark.parametrize(
    ("segredo", "codigo"),
    [(None, 401), ("", 401), ("segredo-errado", 404), (SEGREDO_TG + "x", 404)],
    ids=["sem", "vazio", "errado", "quase"],
)
def test_telegram_segredo_invalido_nada_gravado(client, empresa, fila, update, segredo, codigo):
    """The secret header is the routing key: a wrong one names no channel (404); without it
    no channel verifies (401)."""
    canal_tg(empresa, fila)

    resposta = postar_telegram(client, empresa.id, update, segredo=segredo)

    assert resposta.status_code == codigo
    assert contagens() == NADA


# ------------------------------------------------------------------------------- tenants
def test_canal_de_outra_empresa_na_url_da_empresa_a_404(client, empresa, fila, texto, update):
    outra = EmpresaFactory()
    fila_b = FilaFactory(empresa=outra)
    canal_wa(outra, fila_b, pnid=PNID)
    canal_tg(outra, fila_b)

    respostas = [
        postar_whatsapp(client, empresa.id, texto).status_code,
        postar_telegram(client, empresa.id, update).status_code,
    ]

    assert respostas == [404, 404]
    assert contagens() == NADA


def test_canal_da_empresa_a_na_url_de_outra_empresa_404(client, empresa, fila, texto, update):
    canal_wa(empresa, fila, pnid=PNID)
    canal_tg(empresa, fila)
    outra = EmpresaFactory()

    respostas = [
        postar_whatsapp(client, outra.id, texto).status_code,
        postar_telegram(client, outra.id, update).status_code,
    ]

    assert respostas == [404, 404]
    assert contagens() == NADA


def test_mesmo_numero_em_duas_empresas_so_vale_o_segredo_da_url(client, empresa, fila, texto):
    outra = EmpresaFactory()
    canal_wa(empresa, fila, pnid=PNID)
    canal_wa(outra, FilaFactory(empresa=outra), pnid=PNID, segredos={"app_secret": "segredo-b"})

    resposta = postar_whatsapp(client, empresa.id, texto, assinatura=assinar(texto, "segredo-b"))

    assert resposta.status_code == 401
    assert contagens() == NADA


@pytest.mark.parametrize(
    "url",
    [
        "/api/atendimento/webhooks/sms/{empresa}/",
        "/api/atendimento/webhooks/whatsapp/nao-e-uuid/",
        "/api/atendimento/webhooks/whatsapp/" + str(uuid.uuid4()) + "/",
    ],
    ids=["tipo-desconhecido", "uuid-invalido", "empresa-inexistente"],
)
def test_url_invalida_404(client, empresa, fila, texto, url):
    canal_wa(empresa, fila, pnid=PNID)

    resposta = client.post(
        url.format(empresa=empresa.id),
        texto,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=assinar(texto),
    )

    assert resposta.status_code == 404
    assert contagens() == NADA


def test_numero_desconhecido_404(client, empresa, fila, texto):
    canal_wa(empresa, fila, pnid="999")

    assert postar_whatsapp(client, empresa.id, texto).status_code == 404
    assert contagens() == NADA


# ------------------------------------------------------------------------------- sizes, methods
def test_corpo_maior_que_o_limite_413(client, empresa, fila, settings):
    settings.WEBHOOK_MAX_BYTES = 1000
    canal_wa(empresa, fila, pnid=PNID)
    corpo = json.dumps({"object": "whatsapp_business_account", "x": "a" * 2000}).encode()

    resposta = postar_whatsapp(client, empresa.id, corpo)

    assert resposta.status_code == 413
    assert contagens() == NADA


def test_content_length_declarado_acima_do_limite_413(client, empresa, fila, settings, texto):
    settings.WEBHOOK_MAX_BYTES = 1000
    canal_wa(empresa, fila, pnid=PNID)

    resposta = postar_whatsapp(client, empresa.id, texto, CONTENT_LENGTH="5000000")

    assert resposta.status_code == 413
    assert contagens() == NADA


def test_metodo_nao_suportado_405(client, empresa, fila, texto):
    canal_wa(empresa, fila, pnid=PNID)

    resposta = client.put(url_webhook("whatsapp", empresa.id), texto)

    assert resposta.status_code == 405
    assert contagens() == NADA


# ------------------------------------------------------------------------------- accepted
@pytest.mark.parametrize("barra", [True, False], ids=["com-barra", "sem-barra"])
def test_com_e_sem_barra_200_sem_redirecionar(client, empresa, fila, texto, update, barra):
    canal_wa(empresa, fila, pnid=PNID)
    canal_tg(empresa, fila)

    respostas = [
        postar_whatsapp(client, empresa.id, texto, barra=barra),
        postar_telegram(client, empresa.id, update, barra=barra),
    ]

    assert [r.status_code for r in respostas] == [200, 200]
    assert EventoWebhook.objects.count() == 2


def test_cabecalhos_guardados_sem_credenciais(client, empresa, fila, texto, update):
    canal_wa(empresa, fila, pnid=PNID)
    canal_tg(empresa, fila)

    postar_whatsapp(client, empresa.id, texto, HTTP_AUTHORIZATION="Bearer x", HTTP_COOKIE="a=b")
    postar_telegram(client, empresa.id, update, HTTP_AUTHORIZATION="Basic eDp5")

    for evento in EventoWebhook.objects.all():
        assert set(evento.cabecalhos) <= {"content-type", "x-hub-signature-256"}
        assert evento.cabecalhos["content-type"] == "application/json"


@pytest.mark.usefixtures("celery_eager")
@pytest.mark.parametrize(
    ("tipo", "corpo"),
    [
        ("whatsapp", b"{isto nao e json"),
        ("whatsapp", b'{"object": "page", "entry": []}'),
        ("telegram", b"[1, 2, 3]"),
        ("telegram", b'{"update_id": "x"}'),
    ],
    ids=["wa-json-invalido", "wa-outro-objeto", "tg-lista", "tg-sem-update-id"],
)
def test_corpo_malformado_de_remetente_verificado_falhou_com_motivo(
    client, empresa, fila, tipo, corpo, django_capture_on_commit_callbacks
):
    canal_wa(empresa, fila, pnid=PNID)
    canal_tg(empresa, fila)
    postar = postar_whatsapp if tipo == "whatsapp" else postar_telegram

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar(client, empresa.id, corpo)

    assert resposta.status_code == 200  # the provider must stop retrying
    evento = EventoWebhook.objects.get()
    assert (evento.status, evento.tentativas, bytes(evento.corpo)) == ("falhou", 1, corpo)
    assert evento.erro
    assert evento.processado_em is not None
    assert contagens() == {**NADA, "eventos": 1}


@pytest.mark.usefixtures("celery_eager")
def test_canal_inativo_verifica_guarda_como_ignorado_e_nao_processa(
    client, empresa, fila, texto, django_capture_on_commit_callbacks
):
    canal_wa(empresa, fila, pnid=PNID, ativo=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        aceito = postar_whatsapp(client, empresa.id, texto)
        forjado = postar_whatsapp(client, empresa.id, texto, assinatura=assinar(b"x"))

    assert (aceito.status_code, forjado.status_code) == (200, 401)
    evento = EventoWebhook.objects.get()
    assert (evento.status, evento.erro) == ("ignorado", "canal inativo")
    assert callbacks == []
    assert contagens() == {**NADA, "eventos": 1}


# ------------------------------------------------------------------------------- handshake
def test_handshake_do_whatsapp(client, empresa, fila):
    canal_wa(empresa, fila, pnid=PNID)
    canal_wa(empresa, fila, pnid="2", segredos={"verify_token": "outro-token", "app_secret": "s"})
    url = url_webhook("whatsapp", empresa.id)

    certo = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "outro-token", "hub.challenge": "1158"}
    )
    errado = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "nao", "hub.challenge": "1158"}
    )
    outra_empresa = client.get(
        url_webhook("whatsapp", EmpresaFactory().id, barra=False),
        {"hub.mode": "subscribe", "hub.verify_token": "outro-token", "hub.challenge": "1158"},
    )

    assert (certo.status_code, certo.content, certo["Content-Type"]) == (200, b"1158", "text/plain")
    assert (errado.status_code, outra_empresa.status_code) == (403, 404)
    assert contagens() == NADA


def test_canal_roteado_fica_em_cache_por_alguns_segundos(
    client, empresa, fila, texto, settings, django_assert_num_queries
):
    settings.WEBHOOK_CACHE_CANAL_SEGUNDOS = 5
    canal_wa(empresa, fila, pnid=PNID)
    assert postar_whatsapp(client, empresa.id, texto).status_code == 200

    with django_assert_num_queries(1):  # the INSERT only: the channel came from the cache
        assert postar_whatsapp(client, empresa.id, texto).status_code == 200
    assert postar_whatsapp(client, EmpresaFactory().id, texto).status_code == 404  # per empresa
    assert EventoWebhook.objects.count() == 2
