"""Events that arrived while their channel was inactive (``ignorado``) are listed for the
supervisor in the admin and processed on demand ("processar agora"): nothing a customer wrote
stays invisible.  Another empresa's supervisor can neither see nor process them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from atendimento.models import Atendente, EventoWebhook, Mensagem
from tests.factories import AtendenteFactory, UsuarioFactory

from .webhook_apoio import canal_tg, celery_eager, postar_telegram  # noqa: F401 - fixture


def _logado(client, empresa):
    usuario = UsuarioFactory(is_staff=True)
    AtendenteFactory(empresa=empresa, usuario=usuario, papel=Atendente.Papel.SUPERVISOR)
    client.force_login(usuario)
    return client


@pytest.mark.usefixtures("celery_eager")
def test_ignorado_listado_e_processado_agora(
    client, empresa, outra_empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    canal = canal_tg(empresa, fila, ativo=False)
    corpo = fixture_bytes("telegram/private_text_message_official.json")
    with django_capture_on_commit_callbacks(execute=True):
        assert postar_telegram(client, empresa.id, corpo).status_code == 200
    evento = EventoWebhook.objects.get()
    assert (evento.status, evento.erro) == ("ignorado", "canal inativo")
    assert Mensagem.objects.count() == 0

    de_fora = _logado(client.__class__(), outra_empresa)
    lista = reverse("admin:atendimento_eventowebhook_changelist")
    assert str(evento.pk) not in de_fora.get(lista + "?status__exact=ignorado").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        de_fora.post(lista, {"action": "acao_processar_agora", "_selected_action": [evento.pk]})
    evento.refresh_from_db()
    assert evento.status == "ignorado"

    supervisor = _logado(client, empresa)
    pagina = supervisor.get(lista + "?status__exact=ignorado")
    assert str(evento.pk) in pagina.content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # channel still inactive: kept
        resposta = supervisor.post(
            lista, {"action": "acao_processar_agora", "_selected_action": [evento.pk]}, follow=True
        )
    assert "continuam ignorados" in resposta.content.decode()
    evento.refresh_from_db()
    assert evento.status == "ignorado"

    canal.ativo = True
    canal.save()
    with django_capture_on_commit_callbacks(execute=True):
        resposta = supervisor.post(
            lista, {"action": "acao_processar_agora", "_selected_action": [evento.pk]}, follow=True
        )
    assert "1 eventos enviados" in resposta.content.decode()
    evento.refresh_from_db()
    assert evento.status == "processado"
    mensagem = Mensagem.objects.get()
    assert (mensagem.conteudo, mensagem.ticket.canal_id) == ("/start", canal.id)
