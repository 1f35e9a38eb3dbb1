"""Tunables are named settings read when used, not copied into module constants at import: each
test changes one with the ``settings`` fixture after everything is imported and sees the code
follow.  (``LOTE_JANELA_SEGUNDOS``, ``WEBHOOK_ESPERA_STATUS_SEGUNDOS`` and ``EMAIL_LACO_MAX`` are
exercised the same way in ``tests/canais/test_lote.py``, ``test_status_prematuro.py`` and
``test_email_ponta_a_ponta.py``.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from django.conf import settings as configuracao
from django.utils import translation

from atendimento.models import Ticket
from atendimento.templatetags.inbox import sla
from canais.adapters import _http
from canais.adapters.base import ErroTransitorio
from canais.adapters.telegram import AdaptadorTelegram
from canais.adapters.twilio import AdaptadorTwilio
from canais.adapters.whatsapp import AdaptadorWhatsApp
from canais.tasks.entrada import _espera

AGORA = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


@pytest.mark.parametrize("classe", [AdaptadorWhatsApp, AdaptadorTelegram, AdaptadorTwilio])
def test_timeout_do_provedor_lido_a_cada_chamada(settings, classe):
    adaptador = classe({})
    assert adaptador.timeout_segundos == configuracao.PROVEDOR_TIMEOUT_SEGUNDOS
    settings.PROVEDOR_TIMEOUT_SEGUNDOS = 0.25
    assert adaptador.timeout_segundos == 0.25  # the same instance, the new value
    with _http.cliente() as cliente:
        assert cliente.timeout == httpx.Timeout(0.25)
    adaptador.timeout_segundos = 3  # an instance's own value still wins
    assert adaptador.timeout_segundos == 3.0


def test_timeout_do_provedor_vale_na_requisicao(settings, httpserver):
    """A provider that answers after the configured timeout: the call gives up (transient)."""
    import time

    def lento(_pedido):
        time.sleep(1.0)
        from werkzeug import Response

        return Response("{}", content_type="application/json")

    httpserver.expect_request("/lento").respond_with_handler(lento)
    settings.PROVEDOR_TIMEOUT_SEGUNDOS = 0.2
    with pytest.raises(ErroTransitorio) as erro:
        _http.requisitar(
            "GET", httpserver.url_for("/lento"), interpretar_erro=_http.erro_por_status
        )
    assert erro.value.codigo == "timeout"


def test_espera_entre_tentativas_de_webhook(settings):
    assert [_espera(n) for n in (0, 1, 3)] == [1.0, 2.0, 8.0]
    assert _espera(20) == 300.0
    settings.WEBHOOK_BACKOFF_MAX_SEGUNDOS = 5
    assert [_espera(n) for n in (1, 2, 3, 20)] == [2.0, 4.0, 5.0, 5.0]


def test_fracao_de_alerta_do_sla(settings):
    ticket = Ticket(
        status=Ticket.Status.ABERTO,
        criado_em=AGORA - timedelta(minutes=60),
        sla_primeira_resposta_em=AGORA + timedelta(minutes=30),  # 30 of a 90-min window left
    )
    assert sla(ticket, AGORA).cor == "verde"
    settings.SLA_ALERTA_FRACAO = 0.5
    assert sla(ticket, AGORA).cor == "ambar"


@pytest.mark.django_db
def test_limite_de_destinatarios_do_lote(settings, supervisor, empresa, fila):
    from atendimento.exceptions import RegraNegocio
    from atendimento.services.lote import lote_criar
    from tests.factories import CanalFactory, ContatoFactory

    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    contatos = [ContatoFactory(empresa=empresa) for _ in range(3)]
    settings.LOTE_MAX_DESTINATARIOS = 2
    with translation.override("pt-br"), pytest.raises(RegraNegocio, match="no máximo 2 contatos"):
        lote_criar(atendente=supervisor, canal=canal, contatos=contatos, conteudo="Oi")


@pytest.mark.django_db
def test_limite_de_destinatarios_do_lote_pela_api(settings, supervisor, empresa, fila):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from atendimento.models import EnvioLote
    from tests.factories import CanalFactory, ContatoFactory

    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    contatos = [str(ContatoFactory(empresa=empresa).pk) for _ in range(3)]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(supervisor.usuario)}")
    settings.LOTE_MAX_DESTINATARIOS = 2
    resposta = api.post(
        "/api/atendimento/mensagens/enviar-lote/",
        {"canal": str(canal.pk), "contatos": contatos, "conteudo": "Oi"},
        format="json",
    )
    assert resposta.status_code == 400, resposta.content
    assert resposta.json()["contatos"] == ["Envie para no máximo 2 contatos por lote."]
    assert not EnvioLote.objects.exists()


@pytest.mark.django_db
def test_validade_do_link_de_midia_do_webchat(settings, empresa, fila):
    from django.core.files.base import ContentFile

    from canais.webchat.conversa import mensagem_da_url, url_midia
    from tests.factories import CanalFactory, MensagemFactory, TicketFactory

    canal = CanalFactory(empresa=empresa, fila_padrao=fila, tipo="webchat", identificador="k1")
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila, conversa_id_externo="v1")
    mensagem = MensagemFactory(ticket=ticket, midia_mime="image/png", midia_nome="a.png")
    mensagem.midia_arquivo.save("a.png", ContentFile(b"png"), save=True)
    with time_machine.travel(AGORA, tick=False):
        assinatura = url_midia(canal, mensagem, "v1").split("?a=")[1]
    with time_machine.travel(AGORA + timedelta(minutes=30), tick=False):
        assert mensagem_da_url(canal, mensagem.pk, assinatura) == mensagem  # default 1 h
        settings.WEBCHAT_MIDIA_SEGUNDOS = 600
        assert mensagem_da_url(canal, mensagem.pk, assinatura) is None


def test_espera_das_rajadas_da_ia(settings, monkeypatch):
    """The debounce of the analysis and of the bot: the countdown each queued task gets."""
    from django.core.cache import cache

    from ia import tasks

    pedidos: list[tuple[str, float]] = []
    monkeypatch.setattr(
        tasks.analise_completa,
        "apply_async",
        lambda args, countdown: pedidos.append(("a", countdown)),
    )
    monkeypatch.setattr(
        tasks.responder_robo,
        "apply_async",
        lambda args, countdown: pedidos.append(("r", countdown)),
    )
    cache.delete_many(["ia:robo:t1", "ia:robo:t2"])
    cache.delete_many([tasks._chave_analise("t1"), tasks._chave_analise("t2")])
    assert tasks.agendar_analise("t1")
    assert tasks.agendar_robo("t1")
    settings.IA_ESPERA_ANALISE_SEGUNDOS = 2.5
    settings.IA_ESPERA_ROBO_SEGUNDOS = 1.5
    assert tasks.agendar_analise("t2")
    assert tasks.agendar_robo("t2")
    assert pedidos == [("a", 10.0), ("r", 4.0), ("a", 2.5), ("r", 1.5)]


def test_validade_do_token_do_visitante(settings):
    from canais.webchat.tokens import emitir, visitante_do_token

    with time_machine.travel(AGORA, tick=False):
        token, visitante = emitir("chave-publica", nome="Ana")
    with time_machine.travel(AGORA + timedelta(days=30), tick=False):
        assert visitante_do_token("chave-publica", token).id == visitante.id  # 90 days
        settings.WEBCHAT_VISITANTE_SEGUNDOS = 7 * 24 * 3600
        assert visitante_do_token("chave-publica", token) is None
