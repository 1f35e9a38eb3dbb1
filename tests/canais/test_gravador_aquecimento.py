"""The webhooks' group-commit writer can be started before its first group, and then warms up
first (``GravadorEmGrupo.iniciar``: the web process's ASGI lifespan calls it): its database
connection and the wake-up's Redis client and broker sender, in its own thread.  A failed
warm-up is logged and the writer still stores."""

from __future__ import annotations

import threading

import pytest

from atendimento.models import EventoWebhook
from canais.adapters.base import RequisicaoWebhook
from canais.gravacao import GravadorEmGrupo
from canais.webhooks_guardados import evento_webhook_novo
from tests.factories import CanalFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _evento(empresa, n: int) -> EventoWebhook:
    canal = CanalFactory(empresa=empresa, ativo=False)  # stored as ignorado: no drain woken
    req = RequisicaoWebhook(metodo="POST", url="http://x/", cabecalhos={}, corpo=b"{}", query={})
    return evento_webhook_novo(canal=canal, req=req, id_evento=f"aquecer-{n}")


def test_gravador_iniciado_aquece_na_sua_thread_antes_do_primeiro_grupo(monkeypatch, empresa):
    aquecidos = []
    monkeypatch.setattr(
        "canais.despertar.aquecer", lambda: aquecidos.append(threading.current_thread().name)
    )
    gravador = GravadorEmGrupo()

    gravador.iniciar()
    gravador.iniciar()  # once per process
    evento = _evento(empresa, 1)

    assert gravador.gravar(evento) is True
    assert aquecidos == ["gravador-webhooks"]
    assert EventoWebhook.objects.filter(pk=evento.pk).exists()


def test_falha_no_aquecimento_e_registrada_e_o_gravador_grava(monkeypatch, empresa, caplog):
    def falha():
        raise ConnectionError("broker fora do ar")

    monkeypatch.setattr("canais.despertar.aquecer", falha)
    gravador = GravadorEmGrupo()
    gravador.iniciar()

    assert gravador.gravar(_evento(empresa, 2)) is True
    assert "aquecimento do gravador de webhooks falhou" in caplog.text
