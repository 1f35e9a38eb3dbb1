"""Outbound over Telegram: the sending tasks against a local server speaking the Bot API."""

from __future__ import annotations

import json

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from werkzeug import Request, Response

from atendimento.models import Mensagem
from atendimento.services.saida import enviar_lote as servico_lote
from atendimento.services.saida import mensagem_enviar_midia
from canais.registry import classe_adaptador
from canais.tasks.envio import (
    digitando,
    enviar_lote,
    enviar_mensagem,
    enviar_midia,
    marcar_lida_provedor,
)
from conectcrm.celery import app as celery_app
from tests.saida_apoio import (
    TOKEN_TG,
    OuvinteEventos,
    canal_telegram_local,
    entrada,
    resposta_bot,
    saida_pendente,
    ticket_aberto,
)

CHAT = 987654321
BOT = f"/bot{TOKEN_TG}"


@pytest.fixture
def canal(empresa, fila, httpserver):
    return canal_telegram_local(empresa, fila, httpserver)


@pytest.fixture
def ticket(canal, fila):
    # Telegram has no customer-service window: no inbound message is needed to write
    return ticket_aberto(canal, fila, conversa=str(CHAT), ultima_entrada_em=None)


@pytest.fixture
def retentativas(monkeypatch):
    pedidos: list[dict] = []

    def registrar(**kwargs):
        pedidos.append(kwargs)
        return Retry("retry pedido", kwargs.get("exc"), kwargs.get("countdown"))

    monkeypatch.setattr(enviar_mensagem, "retry", registrar)
    return pedidos


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def _enviar(mensagem, **opcoes):
    return enviar_mensagem.apply(args=[str(mensagem.id)], throw=False, **opcoes)


def test_texto_enviado_com_id_chat_e_mensagem(
    ticket, atendente, httpserver, django_capture_on_commit_callbacks
):
    ouvinte = OuvinteEventos.do_ticket(ticket)
    mensagem = saida_pendente(ticket, atendente, conteudo="Oi! Já verifico.")
    httpserver.expect_oneshot_request(
        f"{BOT}/sendMessage", method="POST", json={"chat_id": CHAT, "text": "Oi! Já verifico."}
    ).respond_with_json(resposta_bot(CHAT, 77))

    with django_capture_on_commit_callbacks(execute=True):
        resultado = _enviar(mensagem)

    assert resultado.successful()
    httpserver.check_assertions()
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, f"{CHAT}:77")
    assert [(n, d["status"]) for n, d in ouvinte.recebidos()] == [("status_mensagem", "enviada")]


def test_resposta_usa_reply_parameters(ticket, atendente, httpserver):
    original = entrada(ticket, f"{CHAT}:42")
    mensagem = saida_pendente(ticket, atendente, conteudo="Respondendo", responder_a=original)
    httpserver.expect_oneshot_request(
        f"{BOT}/sendMessage",
        method="POST",
        json={
            "chat_id": CHAT,
            "text": "Respondendo",
            "reply_parameters": {"message_id": 42, "allow_sending_without_reply": True},
        },
    ).respond_with_json(resposta_bot(CHAT, 78))

    _enviar(mensagem)

    httpserver.check_assertions()


def test_foto_enviada_por_upload(ticket, atendente, httpserver, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mensagem = saida_pendente(
        ticket,
        atendente,
        tipo=Mensagem.Tipo.IMAGEM,
        conteudo="Nota fiscal",
        midia_mime="image/png",
        midia_nome="nota.png",
        midia_status=Mensagem.StatusMidia.DISPONIVEL,
    )
    mensagem.midia_arquivo.save("nota.png", ContentFile(b"\x89PNGdados"))
    recebido: dict = {}

    def foto(request: Request) -> Response:
        recebido["form"] = request.form.to_dict()
        arquivo = request.files["photo"]
        recebido["arquivo"] = (arquivo.filename, arquivo.read())
        return Response(json.dumps(resposta_bot(CHAT, 90)), content_type="application/json")

    httpserver.expect_oneshot_request(f"{BOT}/sendPhoto", method="POST").respond_with_handler(foto)

    enviar_midia.apply(args=[str(mensagem.id)])

    assert recebido == {
        "form": {"chat_id": str(CHAT), "caption": "Nota fiscal"},
        "arquivo": ("nota.png", b"\x89PNGdados"),
    }
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, f"{CHAT}:90")


def test_audio_com_legenda_sai_como_voz_e_depois_o_texto(
    ticket, atendente, httpserver, settings, tmp_path, eager, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    httpserver.expect_ordered_request(f"{BOT}/sendVoice", method="POST").respond_with_json(
        resposta_bot(CHAT, 91)
    )
    httpserver.expect_ordered_request(
        f"{BOT}/sendMessage", method="POST", json={"chat_id": CHAT, "text": "Ouça as instruções"}
    ).respond_with_json(resposta_bot(CHAT, 92))
    audio = SimpleUploadedFile("instrucoes.ogg", b"OggS-dados", content_type="audio/ogg")

    with django_capture_on_commit_callbacks(execute=True):
        midia = mensagem_enviar_midia(
            atendente=atendente, ticket=ticket, arquivo=audio, legenda="Ouça as instruções"
        )

    httpserver.check_assertions()
    texto = Mensagem.objects.get(ticket=ticket, tipo=Mensagem.Tipo.TEXTO)
    midia.refresh_from_db()
    assert (midia.tipo, midia.conteudo, midia.status, midia.id_externo) == (
        Mensagem.Tipo.AUDIO,
        "",
        Mensagem.Status.ENVIADA,
        f"{CHAT}:91",
    )
    assert (texto.conteudo, texto.status, texto.id_externo) == (
        "Ouça as instruções",
        Mensagem.Status.ENVIADA,
        f"{CHAT}:92",
    )
    assert list(Mensagem.objects.filter(ticket=ticket).values_list("id", flat=True)) == [
        midia.id,
        texto.id,
    ]


def test_digitando_chama_send_chat_action_uma_vez_por_janela(ticket, httpserver):
    cache.delete(f"digitando:{ticket.id}")
    httpserver.expect_oneshot_request(
        f"{BOT}/sendChatAction", method="POST", json={"chat_id": CHAT, "action": "typing"}
    ).respond_with_json({"ok": True, "result": True})

    for _ in range(3):
        digitando.apply(args=[str(ticket.id)])

    httpserver.check_assertions()
    assert len(httpserver.log) == 1
    cache.delete(f"digitando:{ticket.id}")


def test_confirmacao_de_leitura_nao_existe_no_telegram(ticket, httpserver):
    recebida = entrada(ticket, f"{CHAT}:10")

    resultado = marcar_lida_provedor.apply(args=[str(recebida.id)])

    assert resultado.successful()
    assert httpserver.log == []


def test_flood_429_respeita_retry_after(ticket, atendente, httpserver, retentativas):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_oneshot_request(f"{BOT}/sendMessage", method="POST").respond_with_json(
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 17",
            "parameters": {"retry_after": 17},
        },
        status=429,
    )

    resultado = _enviar(mensagem, retries=1)

    assert resultado.state == "RETRY"
    assert [p["countdown"] for p in retentativas] == [17]  # max(17, backoff 10)
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.erro_codigo) == (Mensagem.Status.PENDENTE, "429")
    assert mensagem.erro_detalhe == (
        "Tentativa 2 falhou: 429: Too Many Requests: retry after 17. Nova tentativa em 17 s."
    )


def test_bot_bloqueado_e_erro_definitivo(ticket, atendente, httpserver, retentativas):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_oneshot_request(f"{BOT}/sendMessage", method="POST").respond_with_json(
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
        status=403,
    )

    _enviar(mensagem)

    assert retentativas == []
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.erro_codigo, mensagem.erro_detalhe) == (
        Mensagem.Status.ERRO,
        "403",
        "403: Forbidden: bot was blocked by the user",
    )


def test_lote_espaca_os_envios_na_taxa_do_telegram(
    canal, fila, atendente, monkeypatch, django_capture_on_commit_callbacks
):
    tickets = [ticket_aberto(canal, fila, conversa=str(CHAT + i)) for i in range(4)]
    agendados: list[tuple[str, float]] = []

    def agendar(args, countdown=0, **opcoes):
        agendados.append((args[0], countdown))

    monkeypatch.setattr(enviar_mensagem, "apply_async", agendar)
    lotes: list = []
    monkeypatch.setattr(enviar_lote, "apply_async", lambda args, **o: lotes.append(args[0]))

    with django_capture_on_commit_callbacks(execute=True):
        mensagens = servico_lote(atendente=atendente, tickets=tickets, conteudo="Aviso geral")
    (ids,) = lotes
    enviar_lote.run(ids)

    intervalo = 1 / classe_adaptador("telegram").taxa_lote_por_segundo
    assert sorted(ids) == sorted(str(m.id) for m in mensagens)
    assert [c for _, c in agendados] == [round(i * intervalo, 3) for i in range(4)]
    assert {str(pk) for pk, _ in agendados} == set(ids)
