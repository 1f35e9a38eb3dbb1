from __future__ import annotations

import pytest

from .factories import MensagemFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_conversation():
    mensagem = MensagemFactory()
    assert mensagem.ticket.numero == 1
    assert mensagem.ticket.canal.empresa_id == mensagem.empresa_id
