"""Login, logout, the root redirect and who may open the inbox at all."""

from __future__ import annotations

from django.test import Client

from tests.factories import UsuarioFactory

from .conftest import HTMX, texto


def test_raiz_leva_a_caixa_de_entrada(db):
    resposta = Client().get("/")
    assert resposta.status_code == 302
    assert resposta["Location"] == "/inbox/"


def test_anonimo_vai_para_o_login(db):
    resposta = Client().get("/inbox/")
    assert resposta.status_code == 302
    assert resposta["Location"] == "/accounts/login/?next=/inbox/"


def test_anonimo_em_requisicao_htmx_redireciona_a_janela_inteira(db, novo_ticket):
    ticket = novo_ticket()
    resposta = Client().get(f"/inbox/tickets/{ticket.id}/", **HTMX)
    assert resposta.status_code == 200
    assert resposta["HX-Redirect"] == "/accounts/login/?next=/inbox/"
    assert resposta.content == b""


def test_pagina_de_login_em_portugues(db):
    resposta = Client().get("/accounts/login/")
    assert resposta.status_code == 200
    html = texto(resposta)
    assert '<html lang="pt-br">' in html
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "Entrar" in html


def test_login_leva_ao_inbox_e_logout_e_por_post(db, atendente):
    cliente = Client()
    resposta = cliente.post(
        "/accounts/login/",
        {"username": atendente.usuario.username, "password": "senha-forte-123"},
    )
    assert resposta.status_code == 302
    assert resposta["Location"] == "/inbox/"
    pagina = cliente.get("/inbox/")
    assert pagina.status_code == 200
    assert 'action="/accounts/logout/"' in texto(pagina)

    saida = cliente.post("/accounts/logout/")
    assert saida.status_code == 302
    assert saida["Location"] == "/accounts/login/"
    assert cliente.get("/inbox/").status_code == 302


def test_login_errado_mostra_aviso(db, atendente):
    resposta = Client().post(
        "/accounts/login/", {"username": atendente.usuario.username, "password": "errada"}
    )
    assert resposta.status_code == 200
    assert "Usuário ou senha incorretos" in texto(resposta)


def test_usuario_sem_atendente_recebe_404(db):
    usuario = UsuarioFactory()
    cliente = Client()
    cliente.force_login(usuario)
    resposta = cliente.get("/inbox/")
    assert resposta.status_code == 404
    assert "Usuário sem acesso ao atendimento." in texto(resposta)


def test_atendente_inativo_recebe_404(cliente_de, atendente):
    atendente.ativo = False
    atendente.save()
    assert cliente_de(atendente).get("/inbox/").status_code == 404


def test_metodos_errados_sao_recusados(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket()
    cliente = cliente_de(atendente)
    assert cliente.post("/inbox/").status_code == 405
    assert cliente.get(f"/inbox/tickets/{ticket.id}/fechar/").status_code == 405
