"""Production fails closed: the process refuses to start without each secret, a development
value or DEBUG; a complete production configuration passes ``check --deploy`` with no warning;
a token signed with a development key is refused in production."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

RAIZ = Path(__file__).resolve().parents[2]


def _producao(**mudancas: str | None) -> dict[str, str]:
    """A complete production environment (on the test servers), then ``mudancas``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONECTCRM_", "DJANGO_", "SECRET_KEY", "JWT_", "FIELD_ENC"))
        and k not in ("DEBUG", "ALLOWED_HOSTS")
    }
    env.update(
        CONECTCRM_AMBIENTE="producao",
        DJANGO_SETTINGS_MODULE="conectcrm.settings",
        DATABASE_URL="postgresql://conectcrm@db.interno:5432/conectcrm",
        REDIS_URL="redis://redis.interno:6379/0",
        SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SIGNING_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="atendimento.exemplo.com.br",
        CSRF_TRUSTED_ORIGINS="https://atendimento.exemplo.com.br",
    )
    for chave, valor in mudancas.items():
        if valor is None:
            env.pop(chave, None)
        else:
            env[chave] = valor
    return env


def _rodar(env: dict[str, str], *argumentos: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, *argumentos],
        env=env,
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _setup(env):
    return _rodar(env, "-c", "import django; django.setup(); print('iniciou')")


def test_configuracao_de_producao_completa_inicia():
    resultado = _setup(_producao())
    assert resultado.returncode == 0, resultado.stderr
    assert "iniciou" in resultado.stdout


@pytest.mark.parametrize(
    ("variavel", "valor", "mensagem"),
    [
        ("SECRET_KEY", None, "SECRET_KEY não está definida"),
        ("SECRET_KEY", "dev-insecure-" + "x" * 60, "SECRET_KEY é um valor de desenvolvimento"),
        ("SECRET_KEY", "django-insecure-" + "y" * 60, "SECRET_KEY é um valor de desenvolvimento"),
        ("SECRET_KEY", "curta", "SECRET_KEY é um valor de desenvolvimento ou curto"),
        ("JWT_SIGNING_KEY", None, "JWT_SIGNING_KEY não está definida"),
        ("JWT_SIGNING_KEY", "dev-insecure-jwt-" + "z" * 60, "JWT_SIGNING_KEY é um valor"),
        ("FIELD_ENCRYPTION_KEY", None, "FIELD_ENCRYPTION_KEY não está definida"),
        (
            "FIELD_ENCRYPTION_KEY",
            "tGc3tQq8sB9c2yZr6mQ5c3o8P1nJvVb2xWk7s4dA0eY=",
            "FIELD_ENCRYPTION_KEY é a chave de desenvolvimento",
        ),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS não está definida"),
        ("DEBUG", "true", "DEBUG está ligado"),
    ],
)
def test_producao_recusa_iniciar(variavel, valor, mensagem):
    resultado = _setup(_producao(**{variavel: valor}))
    assert resultado.returncode != 0
    assert "recusa-se a iniciar" in resultado.stderr
    assert mensagem in resultado.stderr
    assert "iniciou" not in resultado.stdout


def test_jwt_igual_a_secret_key_recusado():
    chave = secrets.token_urlsafe(50)
    resultado = _setup(_producao(SECRET_KEY=chave, JWT_SIGNING_KEY=chave))
    assert resultado.returncode != 0
    assert "JWT_SIGNING_KEY deve ser diferente de SECRET_KEY" in resultado.stderr


def test_segredos_de_desenvolvimento_desta_copia_recusados_em_producao():
    """Copying the checkout's generated development secrets into production is refused too."""
    env = _producao(SECRET_KEY=settings.SECRET_KEY, CONECTCRM_DEVDATA=str(settings.PASTA_DEVDATA))
    resultado = _setup(env)
    assert resultado.returncode != 0
    assert "SECRET_KEY é um valor de desenvolvimento" in resultado.stderr


def test_database_url_sem_perfil_e_producao():
    """A deployment that names its database and says nothing else is production: fail closed."""
    env = _producao(CONECTCRM_AMBIENTE=None, SECRET_KEY=None)
    resultado = _setup(env)
    assert resultado.returncode != 0
    assert "SECRET_KEY não está definida" in resultado.stderr


def test_check_deploy_sem_avisos():
    resultado = _rodar(_producao(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert resultado.returncode == 0, resultado.stdout + resultado.stderr
    assert "System check identified no issues" in resultado.stdout


def test_producao_tem_padroes_seguros():
    codigo = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
        "s.SIMPLE_JWT['SIGNING_KEY'] != s.SECRET_KEY)"
    )
    resultado = _rodar(_producao(), "-c", codigo)
    assert resultado.returncode == 0, resultado.stderr
    assert resultado.stdout.strip() == (
        "True True True True True ('HTTP_X_FORWARDED_PROTO', 'https') True"
    )


def test_token_assinado_com_chave_de_desenvolvimento_recusado_em_producao():
    from rest_framework_simplejwt.tokens import AccessToken

    from atendimento.models import Atendente  # noqa: F401  (apps loaded)

    token = AccessToken()
    token["user_id"] = 1
    dev = str(token)  # signed with this checkout's development JWT key
    codigo = (
        "import sys, django; django.setup()\n"
        "from rest_framework_simplejwt.tokens import AccessToken\n"
        "from rest_framework_simplejwt.exceptions import TokenError\n"
        "try:\n    AccessToken(sys.argv[1])\nexcept TokenError:\n    print('recusado')\n"
        "else:\n    print('aceito')\n"
    )
    resultado = _rodar(_producao(), "-c", codigo, dev)
    assert resultado.returncode == 0, resultado.stderr
    assert resultado.stdout.strip() == "recusado"


def test_desenvolvimento_gera_segredos_por_copia_fora_do_repositorio(tmp_path):
    env = _producao(
        CONECTCRM_AMBIENTE="desenvolvimento",
        CONECTCRM_DEVDATA=str(tmp_path),
        SECRET_KEY=None,
        JWT_SIGNING_KEY=None,
        FIELD_ENCRYPTION_KEY=None,
        ALLOWED_HOSTS=None,
    )
    codigo = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECRET_KEY); print(s.FIELD_ENCRYPTION_KEY[0]); print(s.JWT_SIGNING_KEY)"
    )
    primeira = _rodar(env, "-c", codigo)
    segunda = _rodar(env, "-c", codigo)
    assert primeira.returncode == 0, primeira.stderr
    assert primeira.stdout == segunda.stdout  # stable per checkout
    secret, fernet, jwt = primeira.stdout.split()
    arquivo = tmp_path / "segredos-dev.json"
    assert arquivo.exists()
    assert oct(arquivo.stat().st_mode & 0o777) == "0o600"
    assert secret != jwt
    # nothing of it is in the repository
    rastreados = subprocess.run(  # noqa: S603
        ["git", "grep", "-l", fernet],  # noqa: S607
        cwd=RAIZ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rastreados.stdout == ""
