"""Login attempts are limited per account and per client address, on the API and on the login
page; a lockout answers 429 (with Retry-After) and is logged."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import AtendenteFactory

pytestmark = pytest.mark.django_db
SENHA = "senha-forte-123"
LIMITE = 3


@pytest.fixture(autouse=True)
def _limites(settings):
    settings.AXES_FAILURE_LIMIT = LIMITE
    cache.clear()  # the API's per-address throttle lives in the cache
    yield
    cache.clear()


@pytest.fixture
def usuario(empresa):
    return AtendenteFactory(empresa=empresa).usuario


def _api(username, senha, ip):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/auth/token/", {"username": username, "password": senha}, format="json"
    )


def _pagina(username, senha, ip):
    return Client(REMOTE_ADDR=ip).post(
        "/accounts/login/", {"username": username, "password": senha}
    )


@pytest.mark.parametrize("entrar", [_api, _pagina], ids=["api", "pagina"])
def test_conta_bloqueada_apos_falhas_de_varios_enderecos(entrar, usuario, caplog):
    for i in range(LIMITE - 1):
        resposta = entrar(usuario.username, "errada", f"10.0.0.{i + 1}")
        assert resposta.status_code in (200, 401)  # the login page re-renders with an error
    entrar(usuario.username, "errada", "10.0.0.99")  # the limit: refused (401, or 429 already)
    with caplog.at_level(logging.WARNING):
        bloqueada = entrar(usuario.username, SENHA, "10.0.9.9")  # right password, new address
    assert bloqueada.status_code == 429
    assert int(bloqueada["Retry-After"]) > 0
    assert "login bloqueado" in caplog.text
    assert usuario.username in caplog.text


@pytest.mark.parametrize("entrar", [_api, _pagina], ids=["api", "pagina"])
def test_endereco_bloqueado_apos_falhas_em_varias_contas(entrar, empresa, usuario):
    for i in range(LIMITE):
        entrar(f"inexistente{i}", "errada", "10.1.1.1")
    assert entrar(usuario.username, SENHA, "10.1.1.1").status_code == 429
    # the account itself is not locked for everyone else
    assert entrar(usuario.username, SENHA, "10.2.2.2").status_code in (200, 302)


def test_api_bloqueio_em_json(usuario):
    for i in range(LIMITE):
        _api(usuario.username, "errada", f"10.3.0.{i}")
    resposta = _api(usuario.username, SENHA, "10.3.1.1")
    assert resposta.status_code == 429
    assert resposta.json()["codigo"] == "login_bloqueado"
    assert "access" not in resposta.json()


def test_sucesso_zera_as_falhas(usuario):
    for _ in range(LIMITE - 1):
        _api(usuario.username, "errada", "10.4.0.1")
    assert _api(usuario.username, SENHA, "10.4.0.1").status_code == 200
    for _ in range(LIMITE - 1):  # the account's count starts again (from another address)
        _api(usuario.username, "errada", "10.4.0.2")
    assert _api(usuario.username, SENHA, "10.4.0.2").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=LIMITE)
def test_falhas_ficam_registradas(usuario):
    from axes.models import AccessAttempt

    _api(usuario.username, "errada", "10.5.0.1")
    assert AccessAttempt.objects.filter(username=usuario.username).exists()
