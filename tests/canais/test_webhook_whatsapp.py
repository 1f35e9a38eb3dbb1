"""Every WhatsApp fixture posted through the real URL with a real X-Hub-Signature-256, processed
by the real task (Celery eager) and stored exactly as expected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from atendimento.models import EventoWebhook, IdentidadeContato, Mensagem, Ticket
from atendimento.services.entrada import RESUMOS
from tests.atendimento.test_entrada_concorrente import em_paralelo
from tests.factories import MensagemFactory, TicketFactory

from .webhook_apoio import (
    FIXTURES,
    canal_wa,
    celery_eager,  # noqa: F401 - fixture
    conteudo_midia,
    midia_em_tmp,  # noqa: F401 - fixture
    postar_whatsapp,
    servir_midia_whatsapp,
)

TESTE = "972987654321"
BSUID = "US.13491208655302741918"
PESSOA_TESTE = {("whatsapp", TESTE), ("telefone", TESTE), ("whatsapp_bsuid", BSUID)}
SHEENA = {("whatsapp", "16505551234"), ("telefone", "16505551234")}
WAMID_TEXTO = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="

#: fixture → what ends stored: message fields, contact, conversation, media
ESPERADO = {
    "text_message_metadocs.json": {
        "id_externo": WAMID_TEXTO, "tipo": "texto", "conteudo": "Does it come in another color?",
        "contato": "Sheena Nelson", "conversa": "16505551234", "identidades": SHEENA,
        "data": datetime.fromtimestamp(1749416383, tz=UTC), "tipo_original": "text",
    },
    "text_reply_with_context_pywa.json": {
        "tipo": "texto", "conteudo": "replied text", "responde_a_id_externo": "wamid.xyzxyz==",
        "contato": "Test Name", "conversa": TESTE, "identidades": PESSOA_TESTE,
    },
    "batch_two_messages_same_id_courier.json": {
        "id_externo": "external_id", "tipo": "texto", "conteudo": "Hello World",
        "contato": "Kerry Fisher", "conversa": "5678",
        "identidades": {("whatsapp", "5678"), ("telefone", "5678")},
    },
    "text_from_username_user_no_phone_bsuid_courier.json": {
        "tipo": "texto", "conteudo": "Hello World", "contato": "Kerry Fisher",
        "conversa": "US.1234", "identidades": {("whatsapp_bsuid", "US.1234")},
    },
    "image_message_metadocs.json": {
        "tipo": "imagem", "conteudo": "Taj Mahal", "contato": "Sheena Nelson",
        "conversa": "16505551234", "identidades": SHEENA,
        "midia": ("1003383421387256", "image/jpeg"),
    },
    "image_message_with_url_pywa.json": {
        "tipo": "imagem", "conteudo": "", "contato": "Test Name", "conversa": TESTE,
        "identidades": PESSOA_TESTE, "midia": ("65463453", "image/jpeg"),
    },
    "document_message_pywa.json": {
        "tipo": "documento", "conteudo": "caption", "contato": "Test Name", "conversa": TESTE,
        "midia": ("1234567890987654321", "application/pdf"), "midia_nome": "filename.pdf",
        "dados": {"encaminhada": True},
    },
    "audio_message_pywa.json": {
        "tipo": "audio", "conteudo": "", "contato": "Test Name", "conversa": TESTE,
        "midia": ("1234567890987654321", "audio/ogg; codecs=opus"),
    },
    "voice_note_message_pywa.json": {
        "tipo": "audio", "conteudo": "", "contato": "Test Name", "conversa": TESTE,
        "midia": ("1234567890987654321", "audio/ogg; codecs=opus"), "dados": {"voz": True},
    },
    "video_message_pywa.json": {
        "tipo": "video", "conteudo": "caption", "contato": "Test Name", "conversa": TESTE,
        "midia": ("765756756", "video/mp4"),
    },
    "sticker_message_pywa.json": {
        "tipo": "sticker", "conteudo": "", "contato": "Test Name", "conversa": TESTE,
        "midia": ("1234567890987654321", "image/webp"),
    },
    "location_message_pywa.json": {
        "tipo": "localizacao",
        "conteudo": "📍 Facebook HQ — 1 Hacker Way, Menlo Park, CA 94025 "
        "(37.4611978, -122.2164385)",
        "contato": "Test Name", "conversa": TESTE,
        "dados": {"latitude": 37.4611978, "longitude": -122.2164385, "nome": "Facebook HQ"},
    },
    "contacts_message_pywa.json": {
        "tipo": "contato",
        "conteudo": "👤 Chandler Bing (+1 555-555-5555); Monica (+1 666-666-6666); "
        "Rachel Green (+1 777-777-7777)",
        "contato": "Test Name", "conversa": TESTE,
    },
    "interactive_button_reply_metadocs.json": {
        "tipo": "interativo", "conteudo": "Cancel", "contato": "Sheena Nelson",
        "conversa": "16505551234", "dados": {"id": "cancel-button", "payload": "cancel-button"},
        "responde_a_id_externo": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
    },
    "interactive_list_reply_metadocs.json": {
        "tipo": "interativo", "conteudo": "Priority Mail Express", "contato": "Sheena Nelson",
        "conversa": "16505551234", "dados": {"id": "priority_express"},
    },
    "template_quick_reply_button_pywa.json": {
        "id_externo": "wamid.xsidjw", "tipo": "interativo", "tipo_original": "button",
        "conteudo": "title", "contato": "Test Name", "conversa": TESTE,
        "dados": {"payload": "callback_data"},
    },
    "template_quick_reply_no_context_bsuid_pywa.json": {
        "id_externo": "wamid.xsidjx", "tipo": "interativo", "conteudo": "title",
        "contato": "Test Name", "conversa": TESTE, "identidades": PESSOA_TESTE,
    },
    "reaction_message_pywa.json": {
        "tipo": "reacao", "conteudo": "\U0001f62e", "contato": "Test Name", "conversa": TESTE,
        "responde_a_id_externo": "wamid.yzxyzx=", "dados": {"removida": False},
        "resumo": "Reagiu com \U0001f62e",
    },
    "reaction_removed_pywa.json": {
        "tipo": "reacao", "conteudo": "", "contato": "Test Name", "conversa": TESTE,
        "dados": {"removida": True}, "resumo": "Reação removida",
    },
    "unsupported_message_error_pywa.json": {
        "tipo": "desconhecido", "tipo_original": "unsupported",
        "conteudo": "[mensagem do tipo unsupported não suportada] 131051: Message type unknown "
        "— Message type is currently not supported.",
        "contato": "Test Name", "conversa": TESTE,
    },
}  # fmt: skip

#: status fixture → (wamid, status stored on our outbound message, error code)
STATUS = {
    "status_sent_metadocs.json": (
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        "enviada",
        "",
    ),
    "status_delivered_metadocs.json": (
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",
        "entregue",
        "",
    ),
    "status_read_pywa.json": ("wamid.xyzxyz", "lida", ""),
    "status_failed_131049_metadocs.json": (
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA",
        "erro",
        "131049",
    ),
    "status_failed_130472_pywa.json": ("wamid.xyzxyz", "erro", "130472"),
}


def _pnid(corpo: bytes) -> str:
    return json.loads(corpo)["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]


def test_toda_fixture_do_whatsapp_esta_coberta():
    nomes = {
        p.name
        for p in (FIXTURES / "whatsapp").glob("*.json")
        if json.loads(p.read_bytes()).get("object") == "whatsapp_business_account"
    }
    assert nomes == set(ESPERADO) | set(STATUS)


@pytest.mark.usefixtures("celery_eager", "midia_em_tmp")
@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_fixture_postada_fica_armazenada(
    nome, client, empresa, fila, fixture_bytes, httpserver, django_capture_on_commit_callbacks
):
    corpo = fixture_bytes(f"whatsapp/{nome}")
    canal = canal_wa(empresa, fila, pnid=_pnid(corpo), api_base_url=httpserver.url_for("/")[:-1])
    servir_midia_whatsapp(httpserver)
    esperado = ESPERADO[nome]

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_whatsapp(client, empresa.id, corpo)

    assert resposta.status_code == 200
    evento = EventoWebhook.objects.get()
    assert (evento.canal_id, evento.status, evento.tentativas) == (canal.id, "processado", 1)
    assert bytes(evento.corpo) == corpo
    assert evento.cabecalhos["x-hub-signature-256"].startswith("sha256=")
    mensagem = Mensagem.objects.get()
    campos = ("id_externo", "tipo", "conteudo", "responde_a_id_externo", "tipo_original", "data")
    for campo in campos:
        if campo in esperado:
            assert getattr(mensagem, campo) == esperado[campo], campo
    assert esperado.get("dados", {}).items() <= mensagem.dados.items()
    assert (mensagem.direcao, mensagem.status, mensagem.remetente_tipo) == (
        "entrada",
        "recebida",
        "contato",
    )
    assert mensagem.remetente_nome == esperado["contato"]
    ticket = mensagem.ticket
    assert (ticket.canal_id, ticket.fila_id, ticket.status) == (canal.id, fila.id, "aberto")
    assert ticket.conversa_id_externo == esperado["conversa"]
    assert (ticket.nao_lidas, ticket.total_mensagens) == (1, 1)
    assert ticket.ultima_mensagem_em == ticket.ultima_entrada_em == mensagem.data
    resumo = esperado.get("resumo") or esperado["conteudo"][:200] or RESUMOS[esperado["tipo"]]
    assert ticket.ultima_mensagem_resumo == resumo
    assert ticket.numero == 1
    assert ticket.contato.nome == esperado["contato"]
    identidades = set(
        IdentidadeContato.objects.filter(contato=ticket.contato).values_list("tipo", "valor")
    )
    assert identidades == esperado.get("identidades", identidades)
    assert ticket.historico.get().acao == "criado"
    if "midia" in esperado:
        ref, mime = esperado["midia"]
        assert (mensagem.midia_ref, mensagem.midia_mime) == (ref, mime)
        assert mensagem.midia_status == "disponivel"
        assert mensagem.midia_arquivo.read() == conteudo_midia(ref)
        assert mensagem.midia_tamanho == len(conteudo_midia(ref))
        assert mensagem.midia_nome == esperado.get("midia_nome", mensagem.midia_nome)
    else:
        assert (mensagem.midia_status, mensagem.midia_ref) == ("", "")


@pytest.mark.usefixtures("celery_eager")
@pytest.mark.parametrize("nome", sorted(STATUS))
def test_status_move_a_mensagem_enviada(
    nome, client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    corpo = fixture_bytes(f"whatsapp/{nome}")
    canal = canal_wa(empresa, fila, pnid=_pnid(corpo))
    wamid, status, codigo = STATUS[nome]
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    enviada = MensagemFactory(
        ticket=ticket,
        direcao="saida",
        remetente_tipo="atendente",
        status="pendente",
        id_externo=wamid,
    )

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_whatsapp(client, empresa.id, corpo)

    assert resposta.status_code == 200
    assert EventoWebhook.objects.get().status == "processado"
    enviada.refresh_from_db()
    assert (enviada.status, enviada.erro_codigo) == (status, codigo)
    assert Mensagem.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.usefixtures("celery_eager")
def test_mesmo_payload_tres_vezes_uma_mensagem(
    client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")
    canal_wa(empresa, fila, pnid=_pnid(corpo))

    with django_capture_on_commit_callbacks(execute=True):
        respostas = [postar_whatsapp(client, empresa.id, corpo).status_code for _ in range(3)]

    assert respostas == [200, 200, 200]
    assert EventoWebhook.objects.count() == 3  # each delivery is kept (no event id in WhatsApp)
    assert set(EventoWebhook.objects.values_list("status", flat=True)) == {"processado"}
    assert Mensagem.objects.count() == 1
    ticket = Ticket.objects.get()
    assert (ticket.nao_lidas, ticket.total_mensagens) == (1, 1)


@pytest.mark.usefixtures("celery_eager")
def test_mensagens_da_mesma_conversa_vao_para_o_mesmo_ticket(
    client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    texto = fixture_bytes("whatsapp/text_message_metadocs.json")
    imagem = fixture_bytes("whatsapp/interactive_button_reply_metadocs.json")
    canal_wa(empresa, fila, pnid=_pnid(texto))

    with django_capture_on_commit_callbacks(execute=True):
        postar_whatsapp(client, empresa.id, texto)
        postar_whatsapp(client, empresa.id, imagem)

    ticket = Ticket.objects.get()
    assert list(ticket.mensagens.values_list("tipo", flat=True)) == ["texto", "interativo"]
    assert (ticket.nao_lidas, ticket.total_mensagens) == (2, 2)
    assert ticket.ultima_mensagem_resumo == "Cancel"
    assert ticket.contato.identidades.count() == 2


@pytest.mark.usefixtures("celery_eager")
def test_resposta_aponta_para_a_mensagem_citada(
    client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    corpo = fixture_bytes("whatsapp/reaction_message_pywa.json")
    canal = canal_wa(empresa, fila, pnid=_pnid(corpo))
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila, conversa_id_externo=TESTE)
    citada = MensagemFactory(ticket=ticket, direcao="saida", id_externo="wamid.yzxyzx=")

    with django_capture_on_commit_callbacks(execute=True):
        postar_whatsapp(client, empresa.id, corpo)

    reacao = Mensagem.objects.get(tipo="reacao")
    assert (reacao.ticket_id, reacao.responder_a_id) == (ticket.id, citada.id)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_eager")
def test_mesmo_payload_tres_vezes_ao_mesmo_tempo_uma_mensagem(empresa, fila, fixture_bytes):
    """Three concurrent deliveries through the real view, each thread on its own connection;
    each one is stored and processed (eager) at once, racing on the message's unique index."""
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")
    canal_wa(empresa, fila, pnid=_pnid(corpo))

    codigos = em_paralelo([lambda: postar_whatsapp(Client(), empresa.id, corpo).status_code] * 3)

    assert codigos == [200, 200, 200]
    assert list(EventoWebhook.objects.values_list("status", flat=True)) == ["processado"] * 3
    assert Mensagem.objects.count() == 1
    ticket = Ticket.objects.get()
    assert (ticket.nao_lidas, ticket.total_mensagens) == (1, 1)
