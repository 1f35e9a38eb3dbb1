from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from atendimento.models import Atendente, Canal, Empresa, Mensagem, Ticket
from ia.models import ArtigoConhecimento


@pytest.mark.django_db
def test_criar_empresa_prints_the_contract_json_line():
    saida = StringIO()
    call_command(
        "criar_empresa", "Padaria Pão Quente", admin="dona", password="s3nh4-f0rte", stdout=saida
    )
    linha = json.loads(saida.getvalue().strip())
    empresa = Empresa.objects.get()
    assert linha == {"empresa_id": str(empresa.id), "usuario": "dona"}
    dono = Atendente.objects.get(usuario__username="dona")
    assert dono.empresa == empresa
    assert dono.papel == Atendente.Papel.ADMIN
    assert dono.usuario.is_staff is True
    assert dono.usuario.is_superuser is False
    assert dono.usuario.check_password("s3nh4-f0rte")


@pytest.mark.django_db
def test_criar_empresa_refuses_an_existing_username_and_writes_nothing():
    get_user_model().objects.create_user(username="dona", password="x")
    with pytest.raises(CommandError, match="já existe"):
        call_command("criar_empresa", "Outra", admin="dona", password="s3nh4-f0rte")
    assert Empresa.objects.count() == 0


@pytest.mark.django_db
def test_carregar_demo_loads_once_and_prints_the_login(tmp_path):
    arquivo = tmp_path / "demo.json"
    primeira, segunda = StringIO(), StringIO()
    call_command("carregar_demo", arquivo=str(arquivo), stdout=primeira)
    call_command("carregar_demo", arquivo=str(arquivo), stdout=segunda)
    login = json.loads(arquivo.read_text())
    assert f"usuário demo / senha {login['senha']}" in primeira.getvalue()
    assert primeira.getvalue() == segunda.getvalue()
    assert Empresa.objects.count() == 1
    assert get_user_model().objects.get(username="demo").check_password(login["senha"])
    assert Ticket.objects.count() == 5
    assert set(Ticket.objects.values_list("canal__tipo", flat=True)) == {
        Canal.Tipo.WHATSAPP,
        Canal.Tipo.TELEGRAM,
    }
    assert Mensagem.objects.count() == 10
    assert ArtigoConhecimento.objects.count() == 5
    assert sorted(Ticket.objects.values_list("numero", flat=True)) == [1, 2, 3, 4, 5]
