"""Development or production: one notion, decided once, and what each requires.

``CONECTCRM_AMBIENTE`` says it (``desenvolvimento`` | ``producao``); unset, a deployment that
names its own database (``DATABASE_URL``) is production and a checkout on the embedded servers
(or a development tool that sets ``CONECTCRM_PERFIL``) is development. The settings export the
decision to the environment, so processes started by ``make run`` inherit it.

In production the process refuses to start (:class:`ConfiguracaoInsegura`) while a secret is
missing or still a development value, ``ALLOWED_HOSTS`` is unset or ``DEBUG`` is on: fail
closed, never run a deployment on secrets anyone can read.

Development secrets are generated once per checkout and kept in ``.devdata/segredos-dev.json``
(git-ignored, mode 0600): nothing secret is written in the repository.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DESENVOLVIMENTO = "desenvolvimento"
PRODUCAO = "producao"
AMBIENTES = (DESENVOLVIMENTO, PRODUCAO)

#: prefixes of keys that are known to be development values (ours, Django's startproject)
PREFIXOS_DEV = ("dev-insecure-", "django-insecure", "dev-", "changeme", "change-me")
#: the Fernet key older checkouts had written in settings.py: never acceptable in production
CHAVE_FERNET_ANTIGA = "tGc3tQq8sB9c2yZr6mQ5c3o8P1nJvVb2xWk7s4dA0eY="
ARQUIVO_SEGREDOS_DEV = "segredos-dev.json"


class ConfiguracaoInsegura(ImproperlyConfigured):
    """Production settings that must not serve traffic; the message lists every problem."""


def ambiente(variaveis: Mapping[str, str]) -> str:
    """``producao`` or ``desenvolvimento`` for these environment variables."""
    valor = variaveis.get("CONECTCRM_AMBIENTE", "").strip().lower()
    if valor in ("prod", "production"):
        valor = PRODUCAO
    if valor in ("dev", "development", "desenv"):
        valor = DESENVOLVIMENTO
    if valor and valor not in AMBIENTES:
        raise ImproperlyConfigured(
            f"CONECTCRM_AMBIENTE={valor!r}: use 'producao' or 'desenvolvimento'."
        )
    if valor:
        return valor
    # a deployment names its database; the development tools (make run, make test, benches)
    # use the embedded servers or say their profile (CONECTCRM_PERFIL) and export this choice
    externo = variaveis.get("DATABASE_URL") and not variaveis.get("CONECTCRM_PERFIL")
    return PRODUCAO if externo else DESENVOLVIMENTO


def _gerar() -> dict[str, str]:
    return {
        "SECRET_KEY": "dev-insecure-" + secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": "dev-insecure-jwt-" + secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }


def segredos_desenvolvimento(pasta: Path) -> dict[str, str]:
    """This checkout's development secrets, created on first use (race-free: O_EXCL)."""
    arquivo = pasta / ARQUIVO_SEGREDOS_DEV
    for _ in range(50):
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            dados = json.loads(arquivo.read_text())
            if all(dados.get(chave) for chave in _gerar()):
                return dados
        pasta.mkdir(parents=True, exist_ok=True)
        temporario = pasta / f".{ARQUIVO_SEGREDOS_DEV}.{os.getpid()}"
        temporario.write_text(json.dumps(_gerar()))
        temporario.chmod(0o600)
        try:
            os.link(temporario, arquivo)  # atomic and exclusive: the first writer wins
        except FileExistsError:
            pass
        finally:
            temporario.unlink(missing_ok=True)
    raise ImproperlyConfigured(f"não foi possível ler {arquivo}")  # pragma: no cover


def _dev(valor: str, dev: Mapping[str, str]) -> bool:
    return valor in dev.values() or valor.lower().startswith(PREFIXOS_DEV)


def problemas_producao(
    *,
    secret_key: str,
    jwt_signing_key: str,
    chaves_fernet: list[str],
    allowed_hosts: list[str],
    debug: bool,
    dev: Mapping[str, str],
) -> list[str]:
    """Every reason these settings must not serve production traffic (empty: fine)."""
    problemas = []
    if not secret_key:
        problemas.append("SECRET_KEY não está definida.")
    elif _dev(secret_key, dev) or len(secret_key) < 50:
        problemas.append("SECRET_KEY é um valor de desenvolvimento ou curto (mínimo 50).")
    if not jwt_signing_key:
        problemas.append("JWT_SIGNING_KEY não está definida (chave de assinatura dos tokens).")
    elif _dev(jwt_signing_key, dev) or len(jwt_signing_key) < 50:
        problemas.append("JWT_SIGNING_KEY é um valor de desenvolvimento ou curto (mínimo 50).")
    elif jwt_signing_key == secret_key:
        problemas.append("JWT_SIGNING_KEY deve ser diferente de SECRET_KEY.")
    if not chaves_fernet:
        problemas.append("FIELD_ENCRYPTION_KEY não está definida (segredos dos canais).")
    elif chaves_fernet[0] == CHAVE_FERNET_ANTIGA or _dev(chaves_fernet[0], dev):
        problemas.append("FIELD_ENCRYPTION_KEY é a chave de desenvolvimento.")
    if not allowed_hosts:
        problemas.append("ALLOWED_HOSTS não está definida (os nomes públicos do serviço).")
    if debug:
        problemas.append("DEBUG está ligado.")
    return problemas


def exigir_producao_segura(problemas: list[str]) -> None:
    if problemas:
        linhas = "\n".join(f"  - {p}" for p in problemas)
        raise ConfiguracaoInsegura(
            "ConectCRM em produção (CONECTCRM_AMBIENTE=producao, ou DATABASE_URL definida) "
            f"recusa-se a iniciar:\n{linhas}\nVeja a seção 'Deploying' do README."
        )


def segredos_conhecidos(pasta: Path) -> dict[str, str]:
    """The development secrets of this checkout, if any (read only; never created here)."""
    try:
        return json.loads((pasta / ARQUIVO_SEGREDOS_DEV).read_text())
    except (OSError, json.JSONDecodeError):
        return {}
