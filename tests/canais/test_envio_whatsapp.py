"""Outbound over WhatsApp: the sending tasks against a local server speaking the Graph API."""

from __future__ import annotations

import json
import threading
import time

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from werkzeug import Request, Response

from atendimento.models import Mensagem
from canais.adapters.whatsapp import AdaptadorWhatsApp
from canais.tasks.envio import (
    digitando,
    enviar_mensagem,
    enviar_midia,
    marcar_lida_provedor,
)
from conectcrm.celery import app as celery_app
from conectcrm.settings import ENVIO_MAX_TENTATIVAS as MAX_TENTATIVAS
from tests.saida_apoio import (
    PNID,
    TOKEN_WA,
    WAMID,
    OuvinteEventos,
    canal_whatsapp_local,
    entrada,
    saida_pendente,
    ticket_aberto,
)

CAMINHO = f"/v23.0/{PNID}/messages"
CLIENTE = "5511987654321"


@pytest.fixture
def canal(empresa, fila, httpserver):
    return canal_whatsapp_local(empresa, fila, httpserver)


@pytest.fixture
def ticket(canal, fila):
    return ticket_aberto(canal, fila, conversa=CLIENTE)


@pytest.fixture
def ouvinte(ticket):
    return OuvinteEventos.do_ticket(ticket)


@pytest.fixture
def resposta_envio(fixture_json):
    return fixture_json("whatsapp/outbound_send_text_response_metadocs.json")


@pytest.fixture
def retentativas(monkeypatch):
    """Record ``self.retry(...)`` of the sending tasks instead of re-running them."""
    pedidos: list[dict] = []

    def registrar(**kwargs):
        pedidos.append(kwargs)
        return Retry("retry pedido", kwargs.get("exc"), kwargs.get("countdown"))

    for tarefa in (enviar_mensagem, enviar_midia):
        monkeypatch.setattr(tarefa, "retry", registrar)
    return pedidos


def _enviar(mensagem, **opcoes):
    return enviar_mensagem.apply(args=[str(mensagem.id)], throw=False, **opcoes)


def _erro_graph(fixture_json, nome: str) -> dict:
    return {"error": {**fixture_json(nome), "type": "OAuthException", "fbtrace_id": "Abc123"}}


# ------------------------------------------------------------------------------- success
def test_texto_enviado_registra_id_e_publica(
    ticket, atendente, httpserver, resposta_envio, ouvinte, django_capture_on_commit_callbacks
):
    mensagem = saida_pendente(ticket, atendente, conteudo="Seu pedido saiu para entrega.")
    httpserver.expect_oneshot_request(
        CAMINHO,
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN_WA}"},
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": f"+{CLIENTE}",
            "type": "text",
            "text": {"preview_url": False, "body": "Seu pedido saiu para entrega."},
        },
    ).respond_with_json(resposta_envio)

    with django_capture_on_commit_callbacks(execute=True):
        resultado = _enviar(mensagem)

    assert resultado.successful()
    httpserver.check_assertions()
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ENVIADA
    assert mensagem.id_externo == WAMID
    assert mensagem.enviada_em is not None
    assert mensagem.tentativas == 1
    assert (mensagem.erro_codigo, mensagem.erro_detalhe) == ("", "")
    eventos = ouvinte.recebidos()
    assert [nome for nome, _ in eventos] == ["status_mensagem"]
    assert eventos[0][1] == {
        "mensagem_id": str(mensagem.id),
        "ticket_id": str(ticket.id),
        "status": "enviada",
        "erro_codigo": "",
        "erro_detalhe": "",
    }


def test_resposta_cita_a_mensagem_do_cliente(ticket, atendente, httpserver, resposta_envio):
    original = entrada(ticket, "wamid.DOCLIENTE")
    mensagem = saida_pendente(
        ticket, atendente, conteudo="Sim!", responder_a=original, responde_a_id_externo=""
    )
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(resposta_envio)

    _enviar(mensagem)

    ((pedido, _),) = httpserver.log
    assert pedido.get_json()["context"] == {"message_id": "wamid.DOCLIENTE"}
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ENVIADA


def test_template_vai_com_componentes(ticket, atendente, httpserver, resposta_envio):
    componentes = [{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}]
    mensagem = saida_pendente(
        ticket,
        atendente,
        conteudo="Olá Maria, seu pedido chegou.",
        dados={
            "template": {"nome": "pedido_chegou", "idioma": "pt_BR", "componentes": componentes}
        },
    )
    httpserver.expect_oneshot_request(
        CAMINHO,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": f"+{CLIENTE}",
            "type": "template",
            "template": {
                "name": "pedido_chegou",
                "language": {"code": "pt_BR"},
                "components": componentes,
            },
        },
    ).respond_with_json(resposta_envio)

    _enviar(mensagem)

    httpserver.check_assertions()
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, WAMID)


def test_midia_sobe_o_arquivo_e_envia_pelo_id(
    ticket, atendente, httpserver, resposta_envio, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    mensagem = saida_pendente(
        ticket,
        atendente,
        tipo=Mensagem.Tipo.IMAGEM,
        conteudo="Foto do produto",
        midia_mime="image/jpeg",
        midia_nome="produto.jpg",
        midia_tamanho=11,
        midia_status=Mensagem.StatusMidia.DISPONIVEL,
    )
    mensagem.midia_arquivo.save("produto.jpg", ContentFile(b"\xff\xd8\xffJPEGDATA"))
    recebido: dict = {}

    def upload(request: Request) -> Response:
        recebido["form"] = request.form.to_dict()
        arquivo = request.files["file"]
        recebido["arquivo"] = (arquivo.filename, arquivo.mimetype, arquivo.read())
        return Response(json.dumps({"id": "1037543291543636"}), content_type="application/json")

    httpserver.expect_ordered_request(f"/v23.0/{PNID}/media", method="POST").respond_with_handler(
        upload
    )
    httpserver.expect_ordered_request(
        CAMINHO,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": f"+{CLIENTE}",
            "type": "image",
            "image": {"id": "1037543291543636", "caption": "Foto do produto"},
        },
    ).respond_with_json(resposta_envio)

    resultado = enviar_midia.apply(args=[str(mensagem.id)])

    assert resultado.successful()
    httpserver.check_assertions()
    assert recebido["form"] == {"messaging_product": "whatsapp", "type": "image/jpeg"}
    assert recebido["arquivo"] == ("produto.jpg", "image/jpeg", b"\xff\xd8\xffJPEGDATA")
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, WAMID)


def test_marcar_lida_no_provedor(ticket, httpserver):
    lida = entrada(ticket, "wamid.RECEBIDA")
    httpserver.expect_oneshot_request(
        CAMINHO,
        method="POST",
        json={"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.RECEBIDA"},
    ).respond_with_json({"success": True})

    marcar_lida_provedor.apply(args=[str(lida.id)])

    httpserver.check_assertions()
    assert len(httpserver.log) == 1


def test_digitando_usa_a_ultima_mensagem_recebida_e_evita_repeticao(ticket, httpserver):
    cache.delete(f"digitando:{ticket.id}")
    entrada(ticket, "wamid.ANTIGA", data=ticket.criado_em)
    entrada(ticket, "wamid.ULTIMA")
    httpserver.expect_oneshot_request(
        CAMINHO,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.ULTIMA",
            "typing_indicator": {"type": "text"},
        },
    ).respond_with_json({"success": True})

    digitando.apply(args=[str(ticket.id)])
    digitando.apply(args=[str(ticket.id)])  # within the debounce window: no second call

    httpserver.check_assertions()
    assert len(httpserver.log) == 1
    cache.delete(f"digitando:{ticket.id}")


def test_digitando_sem_mensagem_recebida_nao_chama_o_provedor(ticket, httpserver):
    cache.delete(f"digitando:{ticket.id}")

    digitando.apply(args=[str(ticket.id)])

    assert httpserver.log == []
    cache.delete(f"digitando:{ticket.id}")


# ------------------------------------------------------------------------------- failures
@pytest.mark.parametrize(
    ("status_http", "cabecalhos", "espera"),
    [(500, {}, 5), (503, {}, 5), (429, {"Retry-After": "120"}, 120)],
)
def test_falha_transitoria_pede_nova_tentativa(
    ticket,
    atendente,
    httpserver,
    retentativas,
    ouvinte,
    status_http,
    cabecalhos,
    espera,
    django_capture_on_commit_callbacks,
):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(
        {"error": {"message": "Service temporarily unavailable", "code": 2}},
        status=status_http,
        headers=cabecalhos,
    )

    with django_capture_on_commit_callbacks(execute=True):
        resultado = _enviar(mensagem)

    assert resultado.state == "RETRY"
    assert [p["countdown"] for p in retentativas] == [espera]
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.PENDENTE
    assert mensagem.id_externo is None
    assert mensagem.tentativas == 1
    assert mensagem.erro_detalhe == (
        f"Tentativa 1 falhou: 2: Service temporarily unavailable. Nova tentativa em {espera} s."
    )
    assert [nome for nome, _ in ouvinte.recebidos()] == ["status_mensagem"]


def test_backoff_cresce_a_cada_tentativa(ticket, atendente, httpserver, retentativas):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_request(CAMINHO, method="POST").respond_with_data("erro", status=502)

    for tentativa in range(MAX_TENTATIVAS):
        _enviar(mensagem, retries=tentativa)

    assert [p["countdown"] for p in retentativas] == [5, 10, 20, 40, 80]


def test_tempo_esgotado_e_transitorio(ticket, atendente, httpserver, retentativas, monkeypatch):
    monkeypatch.setattr(AdaptadorWhatsApp, "timeout_segundos", 0.2)
    mensagem = saida_pendente(ticket, atendente)

    def lento(request: Request) -> Response:
        time.sleep(1)
        return Response("{}", content_type="application/json")

    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_handler(lento)

    resultado = _enviar(mensagem)

    assert resultado.state == "RETRY"
    assert [p["countdown"] for p in retentativas] == [5]
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.PENDENTE
    assert mensagem.erro_codigo == "timeout"


def test_depois_da_ultima_tentativa_fica_erro_com_o_motivo(
    ticket, atendente, httpserver, ouvinte, django_capture_on_commit_callbacks
):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(
        {"error": {"message": "(#130429) Rate limit hit", "code": 130429}}, status=400
    )

    with django_capture_on_commit_callbacks(execute=True):
        resultado = _enviar(mensagem, retries=MAX_TENTATIVAS)

    assert resultado.successful()
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ERRO
    assert mensagem.erro_codigo == "130429"
    assert mensagem.erro_detalhe == (
        f"130429: (#130429) Rate limit hit (desistimos após {MAX_TENTATIVAS + 1} tentativas)"
    )
    assert [dados["status"] for _, dados in ouvinte.recebidos()] == ["erro"]


def test_retentativas_reais_ate_o_sucesso(
    ticket, atendente, httpserver, resposta_envio, monkeypatch
):
    """Eager run: Celery re-runs the task on retry (countdown ignored) until the server answers
    (the nested eager re-runs only return instead of raising with propagation off)."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_ordered_request(CAMINHO, method="POST").respond_with_data("", status=500)
    httpserver.expect_ordered_request(CAMINHO, method="POST").respond_with_data("", status=503)
    httpserver.expect_ordered_request(CAMINHO, method="POST").respond_with_json(resposta_envio)

    resultado = _enviar(mensagem)

    assert resultado.successful()
    assert len(httpserver.log) == 3
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo, mensagem.tentativas) == (
        Mensagem.Status.ENVIADA,
        WAMID,
        3,
    )
    assert mensagem.erro_detalhe == ""


def test_janela_fechada_131047_vira_erro_definitivo(
    ticket,
    atendente,
    httpserver,
    fixture_json,
    retentativas,
    ouvinte,
    django_capture_on_commit_callbacks,
):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(
        _erro_graph(fixture_json, "whatsapp/error_object_131047_reengagement_pywa.json"),
        status=400,
    )

    with django_capture_on_commit_callbacks(execute=True):
        resultado = _enviar(mensagem)

    assert resultado.successful()
    assert retentativas == []
    assert len(httpserver.log) == 1
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ERRO
    assert mensagem.erro_codigo == "131047"
    assert mensagem.erro_detalhe == (
        "131047: Re-engagement message — Message failed to send because more than 24 hours "
        "have passed since the customer last replied to this number."
    )
    ((nome, dados),) = ouvinte.recebidos()
    assert (nome, dados["status"], dados["erro_codigo"]) == ("status_mensagem", "erro", "131047")


def test_token_expirado_e_definitivo(ticket, atendente, httpserver, fixture_json, retentativas):
    mensagem = saida_pendente(ticket, atendente)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(
        {"error": fixture_json("whatsapp/error_object_190_expired_token_pywa.json")}, status=401
    )

    _enviar(mensagem)

    assert retentativas == []
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.erro_codigo) == (Mensagem.Status.ERRO, "190")
    assert mensagem.erro_detalhe.startswith("190: Error validating access token")


# ------------------------------------------------------------------------------- idempotency
@pytest.mark.parametrize("status", [Mensagem.Status.ENVIADA, Mensagem.Status.ERRO])
def test_mensagem_que_nao_esta_pendente_nao_e_enviada(ticket, atendente, httpserver, status):
    mensagem = saida_pendente(ticket, atendente, status=status)

    _enviar(mensagem)

    assert httpserver.log == []
    mensagem.refresh_from_db()
    assert mensagem.status == status


def test_mensagem_ja_aceita_pelo_provedor_nao_e_reenviada(
    ticket, atendente, httpserver, ouvinte, django_capture_on_commit_callbacks
):
    mensagem = saida_pendente(ticket, atendente, id_externo="wamid.JAACEITA")

    with django_capture_on_commit_callbacks(execute=True):
        _enviar(mensagem)

    assert httpserver.log == []
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, "wamid.JAACEITA")
    assert [dados["status"] for _, dados in ouvinte.recebidos()] == ["enviada"]


def test_canal_desativado_antes_do_envio(ticket, atendente, canal, httpserver):
    mensagem = saida_pendente(ticket, atendente)
    canal.ativo = False
    canal.save()

    _enviar(mensagem)

    assert httpserver.log == []
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.erro_codigo) == (Mensagem.Status.ERRO, "canal_inativo")


@pytest.mark.django_db(transaction=True)
def test_mensagem_em_envio_por_outro_worker_nao_e_enviada_de_novo(
    empresa, fila, atendente, httpserver
):
    canal = canal_whatsapp_local(empresa, fila, httpserver)
    mensagem = saida_pendente(ticket_aberto(canal, fila, conversa=CLIENTE), atendente)
    bloqueou, liberar = threading.Event(), threading.Event()

    def outro_worker():
        try:
            with transaction.atomic():
                Mensagem.objects.select_for_update().get(pk=mensagem.pk)
                bloqueou.set()
                liberar.wait(30)
        finally:
            connection.close()

    fio = threading.Thread(target=outro_worker)
    fio.start()
    try:
        assert bloqueou.wait(30)
        resultado = _enviar(mensagem)
    finally:
        liberar.set()
        fio.join()

    assert resultado.successful()
    assert httpserver.log == []
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.tentativas) == (Mensagem.Status.PENDENTE, 0)


@pytest.mark.django_db(transaction=True)
def test_envio_por_um_worker_real_na_fila_messages(empresa, fila, atendente, httpserver):
    """mensagem_enviar → on_commit → Redis ``messages`` queue → a real Celery worker process →
    the Graph API → ``enviada`` in the database."""
    from atendimento.services.saida import mensagem_enviar
    from tests.processos import celery_worker

    canal = canal_whatsapp_local(empresa, fila, httpserver)
    ticket = ticket_aberto(canal, fila, conversa=CLIENTE)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(
        {"messages": [{"id": "wamid.DOWORKER"}]}
    )

    with celery_worker(filas="messages"):
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Oi do worker")
        for _ in range(300):
            mensagem.refresh_from_db()
            if mensagem.status != Mensagem.Status.PENDENTE:
                break
            time.sleep(0.1)

    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, "wamid.DOWORKER")
    ((pedido, _),) = httpserver.log
    assert pedido.get_json()["text"]["body"] == "Oi do worker"


# ------------------------------------------------------------------------------- choices
def _botoes(n: int, rotulo: str = "Opção") -> list[dict]:
    return [{"texto": f"{i} - {rotulo} {i}", "dados": str(i)} for i in range(1, n + 1)]


def _enviado_com_botoes(ticket, atendente, httpserver, resposta_envio, botoes, **dados) -> dict:
    texto = "Escolha:\n" + "\n".join(b["texto"] for b in botoes)
    mensagem = saida_pendente(ticket, atendente, conteudo=texto, dados={"botoes": botoes, **dados})
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(resposta_envio)
    assert _enviar(mensagem).successful()
    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, WAMID)
    ((pedido, _),) = httpserver.log
    return pedido.get_json()


def test_ate_tres_escolhas_vao_como_botoes_de_resposta(
    ticket, atendente, httpserver, resposta_envio
):
    botoes = [
        {"texto": "1 - Vendas", "dados": "1"},
        {"texto": "2 - Suporte técnico avançado", "dados": "2"},
        {"texto": "3 - Financeiro", "dados": "3"},
    ]
    corpo = _enviado_com_botoes(
        ticket, atendente, httpserver, resposta_envio, botoes, texto_botoes="Olá! Escolha:"
    )
    assert corpo == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": f"+{CLIENTE}",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Olá! Escolha:"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "1", "title": "1 - Vendas"}},
                    {"type": "reply", "reply": {"id": "2", "title": "2 - Suporte técnico…"}},
                    {"type": "reply", "reply": {"id": "3", "title": "3 - Financeiro"}},
                ]
            },
        },
    }
    assert all(len(b["reply"]["title"]) <= 20 for b in corpo["interactive"]["action"]["buttons"])


@pytest.mark.parametrize("quantas", [4, 10])
def test_ate_dez_escolhas_vao_como_lista(ticket, atendente, httpserver, resposta_envio, quantas):
    botoes = _botoes(quantas, rotulo="Atendimento especializado")
    corpo = _enviado_com_botoes(ticket, atendente, httpserver, resposta_envio, botoes)
    assert corpo["type"] == "interactive"
    interativo = corpo["interactive"]
    assert interativo["type"] == "list"
    # without texto_botoes the whole text (which also numbers the choices) is the body
    assert interativo["body"] == {"text": "Escolha:\n" + "\n".join(b["texto"] for b in botoes)}
    assert interativo["action"]["button"] == "Ver opções"
    (secao,) = interativo["action"]["sections"]
    assert secao["rows"][0] == {
        "id": "1",
        "title": "1 - Atendimento especia…",
        "description": "1 - Atendimento especializado 1",
    }
    assert [r["id"] for r in secao["rows"]] == [str(i) for i in range(1, quantas + 1)]
    assert all(len(r["title"]) <= 24 for r in secao["rows"])


def test_mais_de_dez_escolhas_vao_como_texto_numerado(
    ticket, atendente, httpserver, resposta_envio
):
    botoes = _botoes(11)
    corpo = _enviado_com_botoes(
        ticket, atendente, httpserver, resposta_envio, botoes, texto_botoes="Escolha:"
    )
    assert corpo["type"] == "text"
    assert corpo["text"]["body"] == "Escolha:\n" + "\n".join(b["texto"] for b in botoes)
    assert "interactive" not in corpo


def test_botao_de_link_vai_como_texto(ticket, atendente, httpserver, resposta_envio):
    botoes = [{"texto": "Site", "url": "https://example.com"}, {"texto": "Sim", "dados": "sim"}]
    corpo = _enviado_com_botoes(ticket, atendente, httpserver, resposta_envio, botoes)
    assert corpo["type"] == "text"
