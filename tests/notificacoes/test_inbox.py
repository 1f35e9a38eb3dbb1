"""The inbox header's notifications: count, list, mark read, preferences — one's own only."""

from __future__ import annotations

import pytest

from atendimento.models import Notificacao
from atendimento.services.notificacoes import notificar, preferencias

pytestmark = pytest.mark.django_db


def _logado(client, atendente):
    client.force_login(atendente.usuario)
    return client


def _avisar(empresa, pessoas, chave, titulo="Aviso"):
    return notificar(
        empresa=empresa, usuarios=pessoas, tipo="alerta_sla", titulo=titulo, chave=chave
    )


def test_cabecalho_mostra_a_contagem(client, empresa, atendente, supervisor):
    _avisar(empresa, [atendente], "a")
    _avisar(empresa, [atendente, supervisor], "b")
    html = _logado(client, atendente).get("/inbox/").content.decode()
    assert 'id="notificacoes-contagem"' in html
    assert "2 não lidas" in html
    assert 'hx-trigger="notificacao from:body' in html  # live: the websocket frame refreshes it
    assert "/dashboard/" not in html  # agents have no dashboard link
    assert "/dashboard/" in _logado(client, supervisor).get("/inbox/").content.decode()


def test_lista_so_as_da_pessoa(client, empresa, atendente, supervisor, admin_outra_empresa):
    _avisar(empresa, [atendente], "a", titulo="Para o Beto")
    _avisar(empresa, [supervisor], "b", titulo="Para o Sérgio")
    _avisar(admin_outra_empresa.empresa, [admin_outra_empresa], "c", titulo="Para o Zeca")
    html = _logado(client, atendente).get("/inbox/notificacoes/").content.decode()
    assert "Para o Beto" in html
    assert "Para o Sérgio" not in html
    assert "Para o Zeca" not in html


def test_marcar_uma_e_todas_como_lidas(client, empresa, atendente, supervisor):
    (uma,) = _avisar(empresa, [atendente], "a")
    _avisar(empresa, [atendente], "b")
    (alheia,) = _avisar(empresa, [supervisor], "c")
    _logado(client, atendente)

    resposta = client.post("/inbox/notificacoes/lidas/", {"id": [str(uma.id), str(alheia.id)]})
    assert resposta.status_code == 200
    assert resposta["HX-Trigger"] == '{"notificacoes_lidas": {}}'
    assert Notificacao.objects.filter(lida_em__isnull=True).count() == 2  # not the other's
    assert client.get("/inbox/notificacoes/contagem/").content.decode().count(">1<") == 1

    client.post("/inbox/notificacoes/lidas/")
    assert not Notificacao.objects.filter(atendente=atendente, lida_em__isnull=True).exists()
    assert Notificacao.objects.get(id=alheia.id).lida_em is None
    assert client.post("/inbox/notificacoes/lidas/", {"id": "x"}).status_code == 400
    assert client.get("/inbox/notificacoes/lidas/").status_code == 405


def test_preferencias(client, atendente):
    _logado(client, atendente)
    assert client.get("/inbox/notificacoes/preferencias/").status_code == 200
    dados = {f"{t}__ativa": "on" for t in ("novo_ticket", "alerta_sla", "resumo_diario")}
    dados["resumo_diario__email"] = "on"
    resposta = client.post("/inbox/notificacoes/preferencias/", dados)
    assert resposta.status_code == 302
    prefs = preferencias(atendente)
    assert prefs["novo_ticket"] == {"ativa": True, "email": False}
    assert prefs["ticket_sem_resposta"] == {"ativa": False, "email": False}
    assert prefs["resumo_diario"] == {"ativa": True, "email": True}


def test_anonimo_nao_ve_notificacoes(client):
    assert client.get("/inbox/notificacoes/").status_code == 302


def test_admin_mostra_so_as_da_empresa(client, empresa, supervisor, admin_outra_empresa):
    _avisar(empresa, [supervisor], "a", titulo="Da Aurora")
    _avisar(admin_outra_empresa.empresa, [admin_outra_empresa], "b", titulo="Da Concorrente")
    supervisor.usuario.is_staff = True
    supervisor.usuario.save()
    html = _logado(client, supervisor).get("/admin/atendimento/notificacao/").content.decode()
    assert "Da Aurora" in html
    assert "Da Concorrente" not in html
