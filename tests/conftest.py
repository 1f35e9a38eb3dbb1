from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from atendimento.models import Atendente

from .factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    CanalFactory,
    EmpresaFactory,
    FilaFactory,
)

# Real provider payloads, copied into the repository (provenance: tests/fixtures/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SENHA = "senha-forte-123"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, whose teardown finds it in use by nobody else: the
    webhooks' group-commit writer (``canais.gravacao``) keeps its own connection open for the
    process's life, as in production, and DROP DATABASE refused with "being accessed by other
    users" (a warning, and the test database left behind)."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def fixture_bytes():
    """Raw bytes of a provider fixture: ``fixture_bytes("whatsapp/text_message_metadocs.json")``."""

    def carregar(nome: str) -> bytes:
        return (FIXTURES / nome).read_bytes()

    return carregar


@pytest.fixture
def empresa(db):
    return EmpresaFactory(nome="Loja Aurora")


@pytest.fixture
def outra_empresa(db):
    return EmpresaFactory(nome="Concorrente")


@pytest.fixture
def fila(empresa):
    return FilaFactory(empresa=empresa, nome="Suporte")


@pytest.fixture
def outra_fila(empresa):
    return FilaFactory(empresa=empresa, nome="Financeiro")


@pytest.fixture
def admin(empresa):
    return AtendenteFactory(empresa=empresa, papel=Atendente.Papel.ADMIN, nome="Ana Admin")


@pytest.fixture
def supervisor(empresa):
    return AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR, nome="Sérgio Sup")


@pytest.fixture
def atendente(empresa, fila):
    """An atendente who belongs to ``fila`` only."""
    a = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.ATENDENTE, nome="Beto Atendente")
    AtendenteFilaFactory(atendente=a, fila=fila)
    return a


@pytest.fixture
def atendente_outra_fila(empresa, outra_fila):
    a = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.ATENDENTE, nome="Carla Financeiro")
    AtendenteFilaFactory(atendente=a, fila=outra_fila)
    return a


@pytest.fixture
def admin_outra_empresa(outra_empresa):
    return AtendenteFactory(empresa=outra_empresa, papel=Atendente.Papel.ADMIN, nome="Zeca Outro")


@pytest.fixture
def canal_whatsapp(empresa, fila):
    return CanalFactory(empresa=empresa, fila_padrao=fila)


@pytest.fixture
def canal_telegram(empresa, fila):
    return CanalFactory(empresa=empresa, fila_padrao=fila, telegram=True)
