"""Key rotation: FIELD_ENCRYPTION_KEY takes several keys, ``rotacionar_chaves`` re-encrypts
every secret with the newest; JWT keys rotate with JWT_SIGNING_KEYS_ANTERIORES."""

from __future__ import annotations

import io
import json

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from atendimento.api import jwt
from atendimento.models import Canal
from atendimento.services import chaves
from tests.factories import CanalFactory

pytestmark = pytest.mark.django_db

ANTIGA, NOVA = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def chaves_fernet(settings):
    def usar(*lista: str) -> None:
        settings.FIELD_ENCRYPTION_KEY = list(lista)
        chaves.esquecer_chaves_em_cache()

    yield usar
    chaves.esquecer_chaves_em_cache()


def _bruto(canal) -> bytes:
    """The stored access_token as it is in the row (each value encrypted on its own)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT segredos FROM atendimento_canais WHERE id = %s", [canal.pk])
        valor = cursor.fetchone()[0]
    return json.loads(valor)["access_token"].encode()


def test_rotacionar_chaves_recifra_tudo_com_a_mais_nova(chaves_fernet):
    chaves_fernet(ANTIGA)
    canais = [
        CanalFactory(segredos={"access_token": f"token-secreto-{i}", "app_secret": "s"})
        for i in range(3)
    ]
    assert b"token-secreto-0" in Fernet(ANTIGA).decrypt(_bruto(canais[0]))

    chaves_fernet(NOVA, ANTIGA)
    saida, erros = io.StringIO(), io.StringIO()
    call_command("rotacionar_chaves", stdout=saida, stderr=erros)
    assert "3 linha(s)" in saida.getvalue()
    assert "segredos" in erros.getvalue()  # the progress bar

    for canal in canais:
        bruto = _bruto(canal)
        assert b"token-secreto" not in bruto
        assert b"token-secreto" in Fernet(NOVA).decrypt(bruto)
        with pytest.raises(InvalidToken):
            Fernet(ANTIGA).decrypt(bruto)

    chaves_fernet(NOVA)  # the old key is gone: everything still reads
    assert Canal.objects.get(pk=canais[2].pk).segredos["access_token"] == "token-secreto-2"


def test_jwt_chave_anterior_aceita_durante_a_rotacao(settings):
    antigo = str(AccessToken())
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "k" * 64}
    try:
        jwt.instalar()
        with pytest.raises(TokenError):
            AccessToken(antigo)
        settings.JWT_SIGNING_KEYS_ANTERIORES = [settings.JWT_SIGNING_KEY]
        jwt.instalar()
        assert AccessToken(antigo)["token_type"] == "access"
    finally:
        settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": settings.JWT_SIGNING_KEY}
        settings.JWT_SIGNING_KEYS_ANTERIORES = []
        jwt.instalar()
