"""Each person's language: the inbox's language switch (and the login page's, through the
cookie) stores the agent's preference, and their notifications — in the app, live and by
e-mail, the daily summary among them — are written in it, whatever language the job runs in."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from django.conf import settings as configuracao
from django.utils import timezone, translation

from atendimento.models import Atendente, Mensagem, Notificacao
from atendimento.services import alertas_sla
from atendimento.tasks import novo_ticket, resumo_diario
from tests.factories import AtendenteFactory, AtendenteFilaFactory, MensagemFactory, TicketFactory

from .test_jobs import smtp as smtp  # the local SMTP server fixture

pytestmark = pytest.mark.django_db

PORTUGUES = ("Tickets abertos", "Mensagens", "resumo", "Primeira resposta", "Resolução")
INGLES = ("Tickets opened", "Messages", "summary", "First response", "Resolution")


def _assunto(mensagem) -> str:
    return str(make_header(decode_header(mensagem["Subject"])))


def _corpo(mensagem) -> str:
    return mensagem.get_payload(decode=True).decode(mensagem.get_content_charset() or "utf-8")


def test_resumo_diario_no_idioma_de_cada_pessoa(
    empresa, fila, canal_whatsapp, atendente, supervisor, smtp, django_capture_on_commit_callbacks
):
    atendente.email, atendente.idioma = "beto@aurora.test", "en"
    atendente.save()
    supervisor.email = "sergio@aurora.test"  # no preference: the system's language (pt-BR)
    supervisor.save()
    ontem = timezone.localdate() - timedelta(days=1)
    meio_dia = timezone.make_aware(datetime.combine(ontem, datetime.min.time())) + timedelta(
        hours=12
    )
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
    ticket.criado_em = meio_dia
    ticket.save()
    MensagemFactory(ticket=ticket, data=meio_dia)

    # the job runs in whatever language the worker has active: it must not matter
    with translation.override("pt-br"), django_capture_on_commit_callbacks(execute=True):
        assert resumo_diario() == 2

    data_en = ontem.strftime("%m/%d/%Y")
    data_pt = ontem.strftime("%d/%m/%Y")
    do_atendente = Notificacao.objects.get(atendente=atendente, tipo="resumo_diario")
    assert do_atendente.titulo == f"Your summary of {data_en}"
    assert "Tickets opened: 1" in do_atendente.corpo
    assert not any(p in do_atendente.titulo + do_atendente.corpo for p in PORTUGUES)
    do_supervisor = Notificacao.objects.get(atendente=supervisor, tipo="resumo_diario")
    assert do_supervisor.titulo == f"Resumo do dia {data_pt} — {empresa.nome}"
    assert "Tickets abertos: 1" in do_supervisor.corpo
    assert not any(p in do_supervisor.titulo + do_supervisor.corpo for p in INGLES)

    emails = {tuple(destino): message_from_bytes(corpo) for destino, corpo in smtp.mensagens}
    ingles = emails[("beto@aurora.test",)]
    assert _assunto(ingles) == f"Your summary of {data_en}"
    assert "Tickets opened: 1" in _corpo(ingles)
    assert not any(p in _corpo(ingles) for p in PORTUGUES)
    portugues = emails[("sergio@aurora.test",)]
    assert _assunto(portugues) == f"Resumo do dia {data_pt} — {empresa.nome}"
    assert "Tickets abertos: 1" in _corpo(portugues)
    assert not any(p in _corpo(portugues) for p in INGLES)


def test_notificacoes_no_app_no_idioma_de_cada_pessoa(
    client, empresa, fila, canal_whatsapp, atendente
):
    colega = AtendenteFactory(empresa=empresa, nome="Colega", idioma="pt-br")
    AtendenteFilaFactory(atendente=colega, fila=fila)
    atendente.idioma = "en"
    atendente.save()
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)

    with translation.override("en"):  # the job's own language does not leak either
        assert novo_ticket(str(ticket.id)) == 2
    assert Notificacao.objects.get(atendente=atendente).titulo == f"New ticket #{ticket.numero}"
    assert Notificacao.objects.get(atendente=colega).titulo == f"Novo ticket #{ticket.numero}"

    # SLA alerts, written per person too
    agora = timezone.now()
    ticket.atendente = atendente
    ticket.save()
    alertas_sla._enviar(
        ticket.pk, "primeira_resposta", agora - timedelta(minutes=1), "violado", agora
    )
    alerta = Notificacao.objects.get(atendente=atendente, tipo="alerta_sla")
    assert alerta.titulo == f"SLA breached: ticket #{ticket.numero}"
    assert alerta.corpo.startswith("The first response deadline")

    # the header's notification list shows each person their own language (no cookie in this
    # browser yet: the stored preference decides)
    client.force_login(atendente.usuario)
    lista = client.get("/inbox/notificacoes/", HTTP_HX_REQUEST="true")
    assert lista.status_code == 200
    html = lista.content.decode()
    assert f"New ticket #{ticket.numero}" in html
    assert "Novo ticket" not in html


def test_troca_de_idioma_guarda_a_preferencia(client, atendente, supervisor):
    client.force_login(atendente.usuario)
    resposta = client.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})
    assert resposta.status_code == 302
    assert resposta.cookies[configuracao.LANGUAGE_COOKIE_NAME].value == "en"
    atendente.refresh_from_db()
    assert atendente.idioma == "en"
    supervisor.refresh_from_db()
    assert supervisor.idioma == ""  # nobody else's

    client.post("/i18n/setlang/", {"language": "pt-br", "next": "/inbox/"})
    atendente.refresh_from_db()
    assert atendente.idioma == "pt-br"

    client.post("/i18n/setlang/", {"language": "xx", "next": "/inbox/"})  # not offered
    atendente.refresh_from_db()
    assert atendente.idioma == "pt-br"


def test_troca_de_idioma_sem_login_so_o_cookie(client, atendente):
    resposta = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert resposta.status_code == 302
    assert resposta.cookies[configuracao.LANGUAGE_COOKIE_NAME].value == "en"
    assert not Atendente.objects.exclude(idioma="").exists()


def test_login_com_o_cookie_de_idioma_guarda_a_preferencia(client, atendente):
    atendente.usuario.set_password("Senha-forte-9")
    atendente.usuario.save()
    client.cookies[configuracao.LANGUAGE_COOKIE_NAME] = "en"
    resposta = client.post(
        "/accounts/login/",
        {"username": atendente.usuario.username, "password": "Senha-forte-9"},
    )
    assert resposta.status_code == 302
    atendente.refresh_from_db()
    assert atendente.idioma == "en"


def test_mensagem_do_cliente_nao_muda(empresa, fila, canal_whatsapp, atendente):
    """Texts that are data (the customer's words in the notice) are never translated."""
    atendente.idioma = "en"
    atendente.save()
    ticket = TicketFactory(
        empresa=empresa, canal=canal_whatsapp, fila=fila, assunto="Preciso de ajuda"
    )
    MensagemFactory(ticket=ticket, direcao=Mensagem.Direcao.ENTRADA)
    novo_ticket(str(ticket.id))
    assert "Preciso de ajuda" in Notificacao.objects.get(atendente=atendente).corpo


def test_idioma_guardado_vale_num_navegador_sem_cookie(client, atendente):
    atendente.idioma = "en"
    atendente.save()
    client.force_login(atendente.usuario)
    pagina = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert pagina.status_code == 200
    assert pagina["Content-Language"] == "en"
    # the cookie (this browser's own choice) wins over the stored preference
    client.cookies[configuracao.LANGUAGE_COOKIE_NAME] = "pt-br"
    assert client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "pt-br"


def test_idioma_pela_api(client, admin, atendente, outra_empresa):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(admin.usuario)}")
    url = f"/api/atendimento/atendentes/{atendente.pk}/"
    assert api.get(url).json()["idioma"] == ""
    resposta = api.patch(url, {"idioma": "en"}, format="json")
    assert (resposta.status_code, resposta.json()["idioma"]) == (200, "en")
    atendente.refresh_from_db()
    assert atendente.idioma == "en"
    nome = atendente.nome
    resposta = api.patch(url, {"idioma": "fr", "nome": "Outro"}, format="json")
    assert resposta.status_code == 400
    assert "idioma" in resposta.json()
    atendente.refresh_from_db()
    assert (atendente.idioma, atendente.nome) == ("en", nome)  # nothing written
    alheio = AtendenteFactory(empresa=outra_empresa)
    resposta = api.patch(
        f"/api/atendimento/atendentes/{alheio.pk}/", {"idioma": "en"}, format="json"
    )
    assert resposta.status_code == 404
    alheio.refresh_from_db()
    assert alheio.idioma == ""
