"""Security headers on the pages people open: CSP without inline script, frame denial,
nosniff, referrer policy; secure cookies and HSTS under the production defaults."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def logado(admin):
    admin.usuario.is_staff = True
    admin.usuario.save()
    cliente = Client()
    cliente.force_login(admin.usuario)
    return cliente


@pytest.mark.parametrize("caminho", ["/inbox/", "/admin/", "/api/docs/"])
def test_csp_e_cabecalhos(logado, caminho):
    resposta = logado.get(caminho)
    assert resposta.status_code == 200
    csp = {
        partes.split()[0]: partes.split()[1:]
        for partes in resposta["Content-Security-Policy"].split(";")
        if partes.strip()
    }
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, anywhere
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert resposta["X-Frame-Options"] == "DENY"
    assert resposta["X-Content-Type-Options"] == "nosniff"
    assert resposta["Referrer-Policy"] == "same-origin"


def test_pagina_de_login_tem_csp():
    resposta = Client().get("/accounts/login/")
    assert "script-src 'self'" in resposta["Content-Security-Policy"]


@override_settings(
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_cookies_seguros_e_hsts_atras_do_proxy(admin):
    cliente = Client(HTTP_X_FORWARDED_PROTO="https")
    resposta = cliente.post(
        "/accounts/login/",
        {"username": admin.usuario.username, "password": "senha-forte-123"},
        secure=False,
    )
    assert resposta.status_code == 302
    sessao = resposta.cookies["sessionid"]
    assert sessao["secure"]
    assert sessao["httponly"]
    assert resposta.cookies["csrftoken"]["secure"]
    assert "max-age=31536000" in resposta["Strict-Transport-Security"]
