from __future__ import annotations

import pytest
from django.urls import reverse

from atendimento.models import Atendente, Fila, Ticket
from tests.factories import (
    AtendenteFactory,
    CanalFactory,
    FilaFactory,
    TicketFactory,
    UsuarioFactory,
)


@pytest.fixture
def supervisor_a(empresa):
    usuario = UsuarioFactory(is_staff=True)
    return AtendenteFactory(empresa=empresa, usuario=usuario, papel=Atendente.Papel.SUPERVISOR)


@pytest.fixture
def cliente_a(client, supervisor_a):
    client.force_login(supervisor_a.usuario)
    return client


@pytest.fixture
def dados_b(outra_empresa):
    fila = FilaFactory(empresa=outra_empresa, nome="Fila secreta B")
    canal = CanalFactory(empresa=outra_empresa, nome="Canal secreto B")
    ticket = TicketFactory(
        empresa=outra_empresa, canal=canal, fila=fila, assunto="Assunto secreto B"
    )
    return {"fila": fila, "canal": canal, "ticket": ticket}


@pytest.mark.django_db
@pytest.mark.parametrize("modelo", ["ticket", "fila", "canal"])
def test_supervisor_cannot_list_or_open_another_empresas_rows(cliente_a, dados_b, modelo):
    obj = dados_b[modelo]
    lista = cliente_a.get(reverse(f"admin:atendimento_{modelo}_changelist"))
    assert lista.status_code == 200
    assert str(obj.pk) not in lista.content.decode()
    assert "secret" not in lista.content.decode()

    detalhe = cliente_a.get(reverse(f"admin:atendimento_{modelo}_change", args=[obj.pk]))
    assert detalhe.status_code == 302  # admin redirects a missing object to the index
    assert "secret" not in cliente_a.get(detalhe["Location"]).content.decode()


@pytest.mark.django_db
def test_supervisor_cannot_change_or_delete_another_empresas_fila(cliente_a, dados_b):
    fila = dados_b["fila"]
    url = reverse("admin:atendimento_fila_change", args=[fila.pk])
    cliente_a.post(url, {"nome": "invadida", "distribuicao": "manual", "cor": "#000000"})
    cliente_a.post(reverse("admin:atendimento_fila_delete", args=[fila.pk]), {"post": "yes"})
    fila.refresh_from_db()
    assert fila.nome == "Fila secreta B"


@pytest.mark.django_db
def test_supervisor_cannot_pick_another_empresas_row_as_foreign_key(
    cliente_a, supervisor_a, dados_b
):
    minha = FilaFactory(empresa=supervisor_a.empresa, nome="Minha fila")
    formulario = cliente_a.get(reverse("admin:atendimento_canal_add")).content.decode()
    assert str(minha.pk) in formulario
    assert str(dados_b["fila"].pk) not in formulario

    # posting the foreign id anyway is refused by the form
    resposta = cliente_a.post(
        reverse("admin:atendimento_fila_change", args=[minha.pk]),
        {
            "nome": "Minha fila",
            "distribuicao": "manual",
            "cor": "#000000",
            "ordem": 0,
            "reabertura": "reabrir",
            "janela_reabertura_horas": 24,
            "horario": "{}",
            "membros-TOTAL_FORMS": "1",
            "membros-INITIAL_FORMS": "0",
            "membros-0-atendente": str(AtendenteFactory(empresa=dados_b["fila"].empresa).pk),
            "membros-0-prioridade": "0",
        },
    )
    assert resposta.status_code == 200
    assert "Faça uma escolha válida" in resposta.content.decode()
    assert minha.membros.count() == 0


@pytest.mark.django_db
def test_supervisor_creates_a_fila_in_their_own_empresa(cliente_a, supervisor_a):
    resposta = cliente_a.post(
        reverse("admin:atendimento_fila_add"),
        {
            "nome": "Nova fila",
            "distribuicao": "round_robin",
            "cor": "#123456",
            "ordem": 1,
            "reabertura": "reabrir",
            "janela_reabertura_horas": 24,
            "horario": "{}",
            "membros-TOTAL_FORMS": "1",
            "membros-INITIAL_FORMS": "0",
            "membros-0-atendente": str(supervisor_a.pk),
            "membros-0-prioridade": "1",
        },
    )
    assert resposta.status_code == 302, resposta.content.decode()[:2000]
    fila = Fila.objects.get(nome="Nova fila")
    assert fila.empresa_id == supervisor_a.empresa_id
    assert list(fila.membros.values_list("atendente_id", "empresa_id")) == [
        (supervisor_a.pk, supervisor_a.empresa_id)
    ]


@pytest.mark.django_db
def test_channel_secrets_are_masked_in_the_admin(cliente_a, supervisor_a):
    canal = CanalFactory(
        empresa=supervisor_a.empresa, segredos={"access_token": "EAAsegredoQueNaoAparece1234"}
    )
    pagina = cliente_a.get(reverse("admin:atendimento_canal_change", args=[canal.pk]))
    html = pagina.content.decode()
    assert pagina.status_code == 200
    assert "EAAsegredoQueNaoAparece1234" not in html
    assert "••••1234" in html


@pytest.mark.django_db
def test_an_atendente_without_supervisor_role_is_not_let_into_the_admin(client, empresa):
    atendente = AtendenteFactory(empresa=empresa, usuario=UsuarioFactory(is_staff=True))
    client.force_login(atendente.usuario)
    assert client.get(reverse("admin:atendimento_ticket_changelist")).status_code == 403


@pytest.mark.django_db
def test_superuser_sees_every_empresa(client, dados_b, empresa):
    TicketFactory(empresa=empresa, assunto="Assunto da A")
    client.force_login(UsuarioFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:atendimento_ticket_changelist")).content.decode()
    assert Ticket.objects.count() == 2
    assert html.count('class="field-numero"') == 2


@pytest.mark.django_db
def test_admin_ticket_search_with_text_is_not_an_error(cliente_a):
    resposta = cliente_a.get(reverse("admin:atendimento_ticket_changelist") + "?q=abc")
    assert resposta.status_code == 200
