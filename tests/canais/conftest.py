from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from .email_apoio import servidor_smtp  # noqa: F401 - fixture of the e-mail tests


@pytest.fixture
def fixture_json(fixture_bytes):
    """Parsed provider fixture: ``fixture_json("telegram/callback_query_ha.json")``."""

    def carregar(nome: str) -> Any:
        return json.loads(fixture_bytes(nome))

    return carregar


@pytest.fixture
def porta_fechada() -> int:
    """A local TCP port nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def api_base(httpserver) -> str:
    """``api_base_url`` pointing a channel at the local pytest-httpserver."""
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def api_supervisor(supervisor):
    """An API client with the supervisor's JWT."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    cliente = APIClient()
    cliente.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(supervisor.usuario)}")
    return cliente


@pytest.fixture(autouse=True)
def _avisos_esquecidos():
    """Outage warnings are rate-limited per process: each test starts with a clean slate."""
    from canais.enfileirar import aviso

    aviso.esquecer()
