"""The queue settings of the desk that runs itself, through the API (``filas/``) and the
admin: accepted values stored, bad values 400 with nothing written, another empresa 404."""

from __future__ import annotations

import pytest

from atendimento.models import Fila

API = "/api/atendimento"
pytestmark = pytest.mark.django_db


def test_configuracoes_novas_pela_api(api_admin, fila):
    corpo = {
        "sla_proxima_resposta_min": 20,
        "sla_prioridades": {"urgente": {"primeira_resposta_min": 5, "resolucao_min": 60}},
        "devolver_se_offline": False,
        "assumir_ao_responder": False,
        "manter_atendente": False,
        "fechar_aguardando_horas": 48,
        "mensagem_fechamento": "Encerramos por falta de resposta.",
        "mensagem_fora_horario": "Atendemos de segunda a sexta, das 9h às 18h.",
    }
    resposta = api_admin.patch(f"{API}/filas/{fila.id}/", corpo, format="json")
    assert resposta.status_code == 200, resposta.content
    assert {k: resposta.json()[k] for k in corpo} == corpo
    fila.refresh_from_db()
    assert fila.sla_prioridades["urgente"]["primeira_resposta_min"] == 5
    assert fila.fechar_aguardando_horas == 48


@pytest.mark.parametrize(
    "corpo",
    [
        {"sla_proxima_resposta_min": 0},
        {"fechar_aguardando_horas": 0},
        {"sla_prioridades": {"critica": {"resolucao_min": 10}}},
        {"sla_prioridades": {"alta": {"resolucao_min": -1}}},
        {"sla_prioridades": {"alta": {"resolucao": 10}}},
        {"sla_prioridades": {"alta": {"resolucao_min": "10"}}},
        {"sla_prioridades": {"alta": {}}},
        {"sla_prioridades": []},
        {"devolver_se_offline": "talvez"},
        {"horario": {"feriados": ["2026-12-25"]}},
    ],
)
def test_valores_invalidos_400(api_admin, fila, corpo):
    antes = Fila.objects.values().get(pk=fila.pk)
    resposta = api_admin.patch(f"{API}/filas/{fila.id}/", corpo, format="json")
    assert resposta.status_code == 400, resposta.content
    assert Fila.objects.values().get(pk=fila.pk) == antes


def test_fila_de_outra_empresa_404(api_admin, fila_outra_empresa):
    resposta = api_admin.patch(
        f"{API}/filas/{fila_outra_empresa.id}/", {"fechar_aguardando_horas": 5}, format="json"
    )
    assert resposta.status_code == 404


def test_admin_recusa_prioridade_invalida(client, admin, fila):
    admin.usuario.is_staff = True
    admin.usuario.save()
    client.force_login(admin.usuario)
    url = f"/admin/atendimento/fila/{fila.id}/change/"
    pagina = client.get(url)
    assert pagina.status_code == 200
    assert b"sla_prioridades" in pagina.content
    dados = {
        "nome": fila.nome,
        "descricao": "",
        "cor": "#2563eb",
        "ordem": 0,
        "ativo": "on",
        "distribuicao": "round_robin",
        "sla_prioridades": '{"critica": {"resolucao_min": 1}}',
        "horario": "{}",
        "reabertura": "reabrir",
        "janela_reabertura_horas": 24,
        "membros-TOTAL_FORMS": 0,
        "membros-INITIAL_FORMS": 0,
    }
    resposta = client.post(url, dados)
    assert resposta.status_code == 200  # the form again, with the error
    assert "Prioridade desconhecida" in resposta.content.decode()
    fila.refresh_from_db()
    assert fila.distribuicao != "round_robin" or fila.sla_prioridades == {}
