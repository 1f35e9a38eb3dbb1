"""The audit trail from outside: changes made through the API and the admin are recorded with
who, where and which fields — secret values never — and each empresa sees only its own."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from atendimento.models import RegistroAuditoria

from .conftest import API

pytestmark = pytest.mark.django_db


def _registros(**filtros):
    return list(RegistroAuditoria.objects.filter(**filtros).order_by("criado_em"))


def test_credenciais_do_canal_pela_api(api_admin, admin, canal_whatsapp):
    resposta = api_admin.patch(
        f"{API}/canais/{canal_whatsapp.id}/",
        {"config": {"access_token": "EAAnovo-token-secreto"}},
        format="json",
    )
    assert resposta.status_code == 200, resposta.content
    (registro,) = _registros(objeto_id=str(canal_whatsapp.id), acao="alterar")
    assert registro.usuario == admin.usuario
    assert registro.usuario_nome == admin.usuario.username
    assert registro.origem == "api"
    assert registro.empresa_id == admin.empresa_id
    assert registro.campos == ["segredos.access_token"]
    assert "EAAnovo" not in json.dumps(registro.campos) + registro.detalhe + registro.objeto_repr


def test_fila_e_membros_pela_api(api_supervisor, supervisor, fila, atendente_outra_fila):
    api_supervisor.patch(f"{API}/filas/{fila.id}/", {"sla_resolucao_min": 90}, format="json")
    api_supervisor.post(
        f"{API}/filas/{fila.id}/atendentes/",
        {"atendente_id": str(atendente_outra_fila.id)},
        format="json",
    )
    api_supervisor.delete(f"{API}/filas/{fila.id}/atendentes/{atendente_outra_fila.id}/")
    registros = _registros(objeto_id=str(fila.id), acao="alterar")
    assert [r.campos for r in registros] == [["sla_resolucao_min"], ["atendentes"], ["atendentes"]]
    assert registros[1].detalhe.startswith("entrou")
    assert registros[2].detalhe.startswith("saiu")
    assert {r.usuario for r in registros} == {supervisor.usuario}


def test_papel_do_atendente_pela_api(api_admin, atendente):
    resposta = api_admin.patch(
        f"{API}/atendentes/{atendente.id}/", {"papel": "supervisor"}, format="json"
    )
    assert resposta.status_code == 200, resposta.content
    (registro,) = _registros(objeto_id=str(atendente.id), acao="alterar")
    assert registro.campos == ["papel"]


def test_presenca_nao_polui_a_trilha(atendente):
    atendente.status = "online"
    atendente.save()
    assert not _registros(objeto_id=str(atendente.id), acao="alterar")


def test_alteracao_pelo_admin_e_escopo_da_trilha(admin, fila, admin_outra_empresa):
    for a in (admin, admin_outra_empresa):
        a.usuario.is_staff = True
        a.usuario.save()
    cliente = Client()
    cliente.force_login(admin.usuario)
    pagina = cliente.get(f"/admin/atendimento/fila/{fila.id}/change/")
    assert pagina.status_code == 200
    formulario = pagina.context["adminform"].form
    dados = {k: v for k, v in formulario.initial.items() if v is not None}
    dados.update(
        {
            "nome": "Suporte N2",
            "horario": json.dumps(formulario.initial.get("horario") or {}),
            "membros-TOTAL_FORMS": "0",
            "membros-INITIAL_FORMS": "0",
        }
    )
    resposta = cliente.post(f"/admin/atendimento/fila/{fila.id}/change/", dados)
    assert resposta.status_code == 302, resposta.content[:2000]
    (registro,) = _registros(objeto_id=str(fila.id), acao="alterar")
    assert registro.origem == "admin"
    assert "nome" in registro.campos

    lista = cliente.get("/admin/atendimento/registroauditoria/")
    assert "Suporte N2" in lista.content.decode()
    outro = Client()
    outro.force_login(admin_outra_empresa.usuario)
    assert "Suporte N2" not in outro.get("/admin/atendimento/registroauditoria/").content.decode()
    assert outro.get(f"/admin/atendimento/registroauditoria/{registro.pk}/change/").status_code in (
        302,
        404,
    )
