from __future__ import annotations

from pathlib import Path

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_bytes():
    """Raw bytes of a provider fixture: ``fixture_bytes("whatsapp/text_message_metadocs.json")``."""

    def carregar(nome: str) -> bytes:
        local = FIXTURES / nome
        return (local if local.exists() else SHARED_FIXTURES / nome).read_bytes()

    return carregar
