"""The socket's gate (profile x ticket snapshot) agrees with the selectors' rule, and the
presence service validates and publishes."""

from __future__ import annotations

import itertools

import pytest
import redis
from django.conf import settings

from atendimento.exceptions import RegraNegocio
from atendimento.models import Atendente
from atendimento.realtime.acesso import carregar_perfil, perfil_ve_retrato
from atendimento.realtime.publicar import retrato_ticket
from atendimento.selectors.acesso import ticket_visivel
from atendimento.services.presenca import atendente_atualizar_status
from tests.factories import AtendenteFilaFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_gate_concorda_com_ticket_visivel(
    empresa,
    fila,
    outra_fila,
    atendente,
    atendente_outra_fila,
    supervisor,
    admin,
    admin_outra_empresa,
    canal_whatsapp,
):
    AtendenteFilaFactory(atendente=atendente, fila=outra_fila)  # in two queues
    atendentes = [atendente, atendente_outra_fila, supervisor, admin, admin_outra_empresa]
    tickets = [
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=f, atendente=a)
        for f, a in itertools.product([fila, outra_fila, None], [None, *atendentes[:4]])
    ]

    for a, t in itertools.product(atendentes, tickets):
        perfil, _ = carregar_perfil(atendente_id=str(a.id))
        assert perfil_ve_retrato(perfil, retrato_ticket(t)) is ticket_visivel(a, t), (a, t)


def test_perfil_de_usuario_sem_atendente_ou_inativo_e_none(atendente):
    from tests.factories import UsuarioFactory

    assert carregar_perfil(usuario=UsuarioFactory()) == (None, 0)
    Atendente.objects.filter(pk=atendente.pk).update(ativo=False)
    assert carregar_perfil(atendente_id=str(atendente.id))[0] is None


def test_mudanca_de_fila_incrementa_a_versao_apos_commit(
    atendente, outra_fila, django_capture_on_commit_callbacks
):
    conexao = redis.Redis.from_url(settings.REDIS_CACHE_URL)
    conexao.delete(f"rt:acesso:{atendente.id}")

    with django_capture_on_commit_callbacks(execute=True):
        AtendenteFilaFactory(atendente=atendente, fila=outra_fila)
        assert conexao.get(f"rt:acesso:{atendente.id}") is None  # not before the commit

    assert int(conexao.get(f"rt:acesso:{atendente.id}")) == 1
    assert carregar_perfil(atendente_id=str(atendente.id))[1] == 1


def test_mudar_so_o_status_nao_mexe_na_versao(atendente, django_capture_on_commit_callbacks):
    conexao = redis.Redis.from_url(settings.REDIS_CACHE_URL)
    conexao.delete(f"rt:acesso:{atendente.id}")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        atendente_atualizar_status(atendente=atendente, status="ausente")

    assert conexao.get(f"rt:acesso:{atendente.id}") is None
    assert len(callbacks) == 1  # the atendente_status publication only


def test_status_invalido_e_recusado_sem_efeito(atendente, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RegraNegocio),
    ):
        atendente_atualizar_status(atendente=atendente, status="dormindo")

    assert callbacks == []
    assert Atendente.objects.get(pk=atendente.pk).status == "online"


def test_mesmo_status_nao_publica(atendente, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resultado = atendente_atualizar_status(atendente=atendente, status="online")

    assert callbacks == []
    assert resultado.status == "online"


def test_whatsapp_e_telegram_mostram_digitando_tipo_desconhecido_nao():
    from atendimento.realtime.acesso import canal_suporta_digitando

    assert canal_suporta_digitando("whatsapp") is True
    assert canal_suporta_digitando("telegram") is True
    assert canal_suporta_digitando("pombo-correio") is False
