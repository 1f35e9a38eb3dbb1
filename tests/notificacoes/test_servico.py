"""The notification service: once per person and chave, preferences, tenant, e-mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from atendimento.models import Notificacao
from atendimento.services.notificacoes import (
    enviar_emails,
    marcar_lidas,
    nao_lidas,
    notificar,
    preferencias,
    salvar_preferencias,
)
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(empresa, fila, canal_whatsapp):
    return TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)


def _notificar(empresa, usuarios, chave="evento:1", **kwargs):
    kwargs.setdefault("tipo", "novo_ticket")
    kwargs.setdefault("titulo", "Novo ticket")
    return notificar(empresa=empresa, usuarios=usuarios, chave=chave, **kwargs)


def test_cria_uma_por_pessoa_e_nada_na_segunda_vez(empresa, atendente, supervisor, ticket):
    novas = _notificar(empresa, [atendente, supervisor.usuario], ticket=ticket, corpo="Oi")
    assert {n.atendente_id for n in novas} == {atendente.id, supervisor.id}
    assert all(n.ticket_id == ticket.id and n.corpo == "Oi" for n in novas)

    assert _notificar(empresa, [atendente, supervisor], ticket=ticket) == []
    assert Notificacao.objects.count() == 2


def test_a_chave_e_unica_no_banco(empresa, atendente):
    (nova,) = _notificar(empresa, [atendente])
    with pytest.raises(IntegrityError), transaction.atomic():
        Notificacao.objects.create(
            empresa=empresa, atendente=atendente, tipo="novo_ticket", titulo="x", chave=nova.chave
        )


def test_tipo_silenciado_nao_e_criado(empresa, atendente, supervisor):
    salvar_preferencias(atendente, {"novo_ticket": {"ativa": False, "email": False}})

    novas = _notificar(empresa, [atendente, supervisor])

    assert [n.atendente_id for n in novas] == [supervisor.id]
    assert preferencias(atendente)["novo_ticket"] == {"ativa": False, "email": False}
    assert preferencias(atendente)["resumo_diario"] == {"ativa": True, "email": True}
    # another kind still arrives
    assert _notificar(empresa, [atendente], chave="sla:1", tipo="alerta_sla")


def test_pessoa_de_outra_empresa_e_ignorada(empresa, atendente, admin_outra_empresa):
    novas = _notificar(empresa, [atendente, admin_outra_empresa, admin_outra_empresa.usuario])
    assert [n.atendente_id for n in novas] == [atendente.id]
    assert not Notificacao.objects.filter(atendente=admin_outra_empresa).exists()


def test_ticket_de_outra_empresa_e_recusado(outra_empresa, admin_outra_empresa, ticket):
    with pytest.raises(ValueError, match="outra empresa"):
        _notificar(outra_empresa, [admin_outra_empresa], ticket=ticket)
    assert not Notificacao.objects.exists()


def test_tipo_desconhecido_e_recusado(empresa, atendente):
    with pytest.raises(ValueError, match="qualquer"):
        _notificar(empresa, [atendente], tipo="qualquer")


def test_email_segue_a_preferencia_e_sai_uma_vez(
    empresa, atendente, supervisor, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    atendente.email = "beto@aurora.test"
    atendente.save()
    supervisor.email = "sergio@aurora.test"
    supervisor.save()
    salvar_preferencias(supervisor, {"resumo_diario": {"ativa": True, "email": False}})

    with django_capture_on_commit_callbacks(execute=True):
        novas = _notificar(
            empresa,
            [atendente, supervisor],
            tipo="resumo_diario",
            titulo="Resumo",
            corpo="10 tickets",
            email=True,
        )

    assert len(novas) == 2
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["beto@aurora.test"], "Resumo", "10 tickets")
    ]
    assert enviar_emails([n.id for n in novas]) == 0  # already sent: claimed once
    assert len(mail.outbox) == 1
    feita = Notificacao.objects.get(atendente=atendente)
    assert feita.email_enviado_em is not None
    assert feita.email_erro == ""
    assert not Notificacao.objects.get(atendente=supervisor).email_pedido


def test_falha_de_email_fica_registrada(
    empresa, atendente, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    atendente.email = "beto@aurora.test"
    atendente.save()

    with django_capture_on_commit_callbacks(execute=True):
        (nova,) = _notificar(empresa, [atendente], email=True)

    nova.refresh_from_db()
    assert nova.email_enviado_em is None
    assert nova.email_erro


def test_lidas(empresa, atendente, supervisor):
    primeira = _notificar(empresa, [atendente, supervisor], chave="a")
    _notificar(empresa, [atendente], chave="b")
    assert nao_lidas(atendente) == 2

    outra_pessoa = next(n for n in primeira if n.atendente_id == supervisor.id)
    assert marcar_lidas(atendente, [outra_pessoa.id]) == 0  # not hers
    dela = next(n for n in primeira if n.atendente_id == atendente.id)
    assert marcar_lidas(atendente, [dela.id]) == 1
    assert marcar_lidas(atendente) == 1
    assert nao_lidas(atendente) == 0
    assert nao_lidas(supervisor) == 1


def test_banco_recusa_notificacao_de_pessoa_de_outra_empresa(empresa, admin_outra_empresa):
    def criar():
        with transaction.atomic():
            Notificacao.objects.create(
                empresa=empresa,
                atendente=admin_outra_empresa,
                tipo="novo_ticket",
                titulo="x",
                chave="k",
            )
            connection.check_constraints()  # the composite foreign key is deferred to commit

    with pytest.raises(IntegrityError):
        criar()
    assert not Notificacao.objects.exists()
