"""The bot's queue settings through the API (``filas/``): stored when valid, 400 with nothing
written when not, another empresa's queue 404."""

from __future__ import annotations

import pytest

from atendimento.models import Fila
from tests.factories import FilaFactory

API = "/api/atendimento"
pytestmark = pytest.mark.django_db


def test_politica_do_robo_pela_api(api_admin, fila):
    corpo = {
        "resposta_automatica": "fora_horario",
        "confianca_minima": 0.6,
        "mensagem_transferencia": "Já vou chamar alguém, {{contato.nome}}.",
    }
    resposta = api_admin.patch(f"{API}/filas/{fila.id}/", corpo, format="json")
    assert resposta.status_code == 200, resposta.content
    assert {k: resposta.json()[k] for k in corpo} == corpo
    fila.refresh_from_db()
    assert (fila.resposta_automatica, fila.confianca_minima) == ("fora_horario", 0.6)


@pytest.mark.parametrize(
    "corpo",
    [
        {"resposta_automatica": "sempre"},
        {"confianca_minima": 1.5},
        {"confianca_minima": -0.1},
        {"confianca_minima": "alta"},
    ],
)
def test_valores_invalidos_400_e_nada_gravado(api_admin, fila, corpo):
    resposta = api_admin.patch(f"{API}/filas/{fila.id}/", corpo, format="json")
    assert resposta.status_code == 400, resposta.content
    fila.refresh_from_db()
    assert (fila.resposta_automatica, fila.confianca_minima) == ("desligada", 0.75)


def test_fila_de_outra_empresa_404(api_admin, outra_empresa):
    alheia = FilaFactory(empresa=outra_empresa)
    resposta = api_admin.patch(
        f"{API}/filas/{alheia.id}/", {"resposta_automatica": "confiante"}, format="json"
    )
    assert resposta.status_code == 404
    assert Fila.objects.get(pk=alheia.pk).resposta_automatica == "desligada"
