"""Inbound media: downloaded into storage within the channel's limits, and served only to users
who may see the ticket."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from rest_framework_simplejwt.tokens import AccessToken
from werkzeug import Response

from atendimento.models import Mensagem
from atendimento.realtime.grupos import grupo_ticket
from atendimento.services.midia import mensagem_midia_baixar
from canais.adapters.base import ErroTransitorio
from canais.adapters.whatsapp import AdaptadorWhatsApp
from canais.tasks.entrada import baixar_midia
from tests.canais.webhook_apoio import (
    canal_wa,
    conteudo_midia,
    midia_em_tmp,  # noqa: F401 - fixture
    servir_midia_whatsapp,
)
from tests.factories import MensagemFactory, TicketFactory
from tests.saida_apoio import OuvinteEventos

pytestmark = pytest.mark.usefixtures("midia_em_tmp")
PNG = b"\x89PNG\r\n\x1a\nconteudo"


@pytest.fixture
def ticket(canal_whatsapp, fila):
    return TicketFactory(empresa=canal_whatsapp.empresa, canal=canal_whatsapp, fila=fila)


def com_arquivo(ticket, conteudo: bytes, mime: str, nome: str) -> Mensagem:
    mensagem = MensagemFactory(ticket=ticket, tipo="imagem", midia_mime=mime, midia_nome=nome)
    mensagem.midia_arquivo.save(nome, ContentFile(conteudo), save=False)
    mensagem.midia_status = "disponivel"
    mensagem.save()
    return mensagem


def pendente(ticket, ref: str, mime: str = "image/jpeg", tipo: str = "imagem") -> Mensagem:
    return MensagemFactory(
        ticket=ticket, tipo=tipo, midia_ref=ref, midia_mime=mime, midia_status="pendente"
    )


# ------------------------------------------------------------------------------- serving
def test_atendente_da_fila_recebe_o_arquivo(client, ticket, atendente):
    mensagem = com_arquivo(ticket, PNG, "image/png", "foto.png")
    client.force_login(atendente.usuario)

    resposta = client.get(f"/midia/{mensagem.id}/")

    assert resposta.status_code == 200
    assert b"".join(resposta.streaming_content) == PNG
    assert resposta["Content-Type"] == "image/png"
    assert resposta["Content-Disposition"] == 'inline; filename="foto.png"'
    assert resposta["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resposta["Content-Security-Policy"]


def test_jwt_tambem_vale(client, ticket, supervisor):
    mensagem = com_arquivo(ticket, PNG, "image/png", "foto.png")
    token = AccessToken.for_user(supervisor.usuario)

    resposta = client.get(f"/midia/{mensagem.id}/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert resposta.status_code == 200


def test_html_e_baixado_nunca_exibido(client, ticket, admin):
    mensagem = com_arquivo(ticket, b"<script>alert(1)</script>", "text/html", "x.html")
    client.force_login(admin.usuario)

    resposta = client.get(f"/midia/{mensagem.id}/")

    assert resposta["Content-Disposition"] == 'attachment; filename="x.html"'
    assert resposta["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("quem", ["atendente_outra_fila", "admin_outra_empresa"])
def test_quem_nao_ve_o_ticket_recebe_404(client, ticket, quem, request):
    mensagem = com_arquivo(ticket, PNG, "image/png", "foto.png")
    client.force_login(request.getfixturevalue(quem).usuario)

    assert client.get(f"/midia/{mensagem.id}/").status_code == 404


def test_sem_login_401_token_invalido_401(client, ticket):
    mensagem = com_arquivo(ticket, PNG, "image/png", "foto.png")

    anonimo = client.get(f"/midia/{mensagem.id}/")
    invalido = client.get(f"/midia/{mensagem.id}/", HTTP_AUTHORIZATION="Bearer abc.def.ghi")

    assert (anonimo.status_code, invalido.status_code) == (401, 401)


def test_mensagem_sem_arquivo_404(client, ticket, admin):
    sem_arquivo = pendente(ticket, "123")
    client.force_login(admin.usuario)

    assert client.get(f"/midia/{sem_arquivo.id}/").status_code == 404
    assert client.get("/midia/nao-e-uuid/").status_code == 404


# ------------------------------------------------------------------------------- downloading
@pytest.fixture
def canal_local(empresa, fila, httpserver):
    return canal_wa(empresa, fila, pnid="555", api_base_url=httpserver.url_for("/")[:-1])


def test_baixar_guarda_arquivo_e_publica_status(
    canal_local, fila, httpserver, django_capture_on_commit_callbacks
):
    servir_midia_whatsapp(httpserver)
    ticket = TicketFactory(empresa=canal_local.empresa, canal=canal_local, fila=fila)
    mensagem = pendente(ticket, "777")
    ouvinte = OuvinteEventos(grupo_ticket(ticket.id))

    with django_capture_on_commit_callbacks(execute=True):
        baixar_midia.apply(args=[str(mensagem.id)])
        baixar_midia.apply(args=[str(mensagem.id)])  # again: nothing to do

    mensagem.refresh_from_db()
    assert (mensagem.midia_status, mensagem.midia_tamanho) == (
        "disponivel",
        len(conteudo_midia("777")),
    )
    assert mensagem.midia_arquivo.read() == conteudo_midia("777")
    assert mensagem.midia_arquivo.name.startswith(f"midia/{ticket.empresa_id}/{ticket.id}/")
    assert ouvinte.nomes() == ["status_mensagem"]


def test_tipo_nao_aceito_pelo_canal_vira_erro(canal_local, fila, httpserver):
    servir_midia_whatsapp(httpserver)
    ticket = TicketFactory(empresa=canal_local.empresa, canal=canal_local, fila=fila)
    mensagem = pendente(ticket, "778", mime="application/x-msdownload", tipo="documento")

    baixar_midia.apply(args=[str(mensagem.id)])

    mensagem.refresh_from_db()
    assert mensagem.midia_status == "erro"
    assert "não aceito" in mensagem.dados["midia_erro"]
    assert not mensagem.midia_arquivo


def test_arquivo_maior_que_o_limite_do_canal_vira_erro(canal_local, fila, httpserver, monkeypatch):
    monkeypatch.setattr(AdaptadorWhatsApp, "limite_download_bytes", 10)
    servir_midia_whatsapp(httpserver)
    ticket = TicketFactory(empresa=canal_local.empresa, canal=canal_local, fila=fila)
    mensagem = pendente(ticket, "779")

    baixar_midia.apply(args=[str(mensagem.id)])

    mensagem.refresh_from_db()
    assert mensagem.midia_status == "erro"
    assert "limite" in mensagem.dados["midia_erro"]
    assert not mensagem.midia_arquivo


def test_provedor_fora_do_ar_tenta_de_novo_e_desiste_no_fim(canal_local, fila, httpserver):
    httpserver.expect_request("/v23.0/780").respond_with_response(Response("falha", status=503))
    ticket = TicketFactory(empresa=canal_local.empresa, canal=canal_local, fila=fila)
    mensagem = pendente(ticket, "780")

    with pytest.raises(ErroTransitorio):  # the task retries these with backoff
        mensagem_midia_baixar(mensagem_id=mensagem.id)
    mensagem.refresh_from_db()
    assert mensagem.midia_status == "pendente"

    baixar_midia.apply(args=[str(mensagem.id)], retries=baixar_midia.max_retries)
    mensagem.refresh_from_db()
    assert mensagem.midia_status == "erro"
    assert "503" in mensagem.dados["midia_erro"]
