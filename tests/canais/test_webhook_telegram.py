"""Every Telegram Update fixture posted through the real URL with the channel's secret header,
processed by the real task (Celery eager) and stored exactly as expected."""

from __future__ import annotations

import json

import pytest

from atendimento.models import EventoWebhook, Historico, IdentidadeContato, Mensagem, Ticket
from tests.factories import MensagemFactory, TicketFactory

from .webhook_apoio import (
    FIXTURES,
    canal_tg,
    celery_eager,  # noqa: F401 - fixture
    conteudo_midia,
    midia_em_tmp,  # noqa: F401 - fixture
    postar_telegram,
    servir_midia_telegram,
)

TESTE = "1111111"
NOME_TESTE = "Test Firstname Test Lastname"
ARQUIVO = "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"

#: fixture → what ends stored (the teloxide MESSAGE_OBJECT is wrapped in an Update)
ESPERADO = {
    "private_text_message_official.json": {
        "id_externo": "1111111:1365", "ordem": 1365, "tipo": "texto", "conteudo": "/start",
        "conversa": TESTE, "contato": NOME_TESTE, "remetente": NOME_TESTE,
    },
    "private_text_message_teloxide.json": {
        "id_externo": "408258968:154", "tipo": "texto", "conteudo": "4",
        "conversa": "408258968", "contato": "Hirrolot", "remetente": "Hirrolot",
        "identidades": {("telegram", "408258968")},
    },
    "message_with_reply_official.json": {
        "tipo": "texto", "conteudo": "/start", "responde_a_id_externo": "1111111:1334",
        "conversa": TESTE, "contato": NOME_TESTE,
    },
    "audio_message_official.json": {
        "tipo": "audio", "conteudo": "", "conversa": TESTE, "contato": NOME_TESTE,
        "midia": (ARQUIVO, "audio/mpeg"), "dados": {"title": "Test music file", "duration": 243},
    },
    "voice_message_official.json": {
        "tipo": "audio", "conteudo": "", "conversa": TESTE, "contato": NOME_TESTE,
        "midia": (ARQUIVO, "audio/ogg"), "dados": {"voz": True},
    },
    "document_message_official.json": {
        "tipo": "documento", "conteudo": "", "conversa": TESTE, "contato": NOME_TESTE,
        "midia": (ARQUIVO, "application/pdf"), "midia_nome": "Testfile.pdf",
    },
    "photo_message_ha.json": {
        "tipo": "imagem", "conteudo": "", "conversa": TESTE, "contato": NOME_TESTE,
        "midia": (
            "AgACAgUAAxkBAAIBUWJ5aXl6Y3h5bXl6Y3h5bXl6Y3gAAJxvMRtP7nG4Fq7m0m0vBAAMCAAN5AAMjBA",
            "image/jpeg",
        ),
        "dados": {"width": 800, "height": 800},
        "identidades": {("telegram", "12345678")},  # sender's user id (the sample's chat differs)
    },
    "photo_with_caption_MESSAGE_OBJECT_teloxide.json": {
        "tipo": "imagem", "conteudo": "www.example.com", "conversa": "27433968",
        "contato": "Crax | rats addict",
        "midia": (
            "AgACAgQAAxkBAAINhGKvijUVSn2i3980bQIIc1fqWGNCAAJpvDEbEmaBUfuA43fR-BnlAQADAgADeQADJAQ",
            "image/jpeg",
        ),
        "dados": {"width": 1280},
    },
    "callback_query_ha.json": {
        "id_externo": "cb:4382bfdwdsb323b2d9", "tipo": "interativo",
        "conteudo": "Data from button callback", "conversa": "12345678", "contato": NOME_TESTE,
        "dados": {"payload": "Data from button callback", "callback_id": "4382bfdwdsb323b2d9"},
    },
    "callback_query_inline_official.json": {
        "id_externo": "cb:4382bfdwdsb323b2d9", "tipo": "interativo",
        "conteudo": "Data from button callback", "conversa": TESTE, "contato": NOME_TESTE,
        "dados": {"inline_message_id": "1234csdbsk4839"},
    },
    "group_command_message_ha.json": {
        "id_externo": "-123456789:1", "tipo": "texto", "conteudo": "/command",
        "conversa": "-123456789", "grupo": True, "titulo": "SomeChat", "contato": "SomeChat",
        "identidades": {("telegram", "-123456789")}, "remetente": "Firstname",
        "remetente_id_externo": "12345678",
    },
    "supergroup_reply_command_teloxide.json": {
        "tipo": "texto", "conteudo": "/report", "conversa": "-1001293752024", "grupo": True,
        "titulo": "CryptoInside Chat", "contato": "CryptoInside Chat", "remetente": "the Cable Guy",
        "remetente_id_externo": "5964236329",
        "responde_a_id_externo": "-1001293752024:134545",
        "dados": {"message_thread_id": 134545},
    },
    "supergroup_pinned_message_service_teloxide.json": {
        "tipo": "sistema", "conteudo": "Mensagem fixada: Faster than a bullet",
        "conversa": "-1001276785818", "grupo": True, "titulo": "teloxide dev",
        "contato": "teloxide dev", "remetente": "Hirrolot", "remetente_tipo": "sistema",
        "nao_lidas": 0,
    },
}  # fmt: skip

#: fixtures that are not inbound Updates, or are tested on their own below
FORA = {
    "error_response_409_conflict_teloxide.json",
    "error_response_retry_after_teloxide.json",
    "edited_message_official.json",
}


def _corpo(fixture_bytes, nome: str) -> bytes:
    corpo = fixture_bytes(f"telegram/{nome}")
    if "MESSAGE_OBJECT" in nome:
        return json.dumps({"update_id": 77, "message": json.loads(corpo)}).encode()
    return corpo


def test_toda_fixture_do_telegram_esta_coberta():
    assert {p.name for p in (FIXTURES / "telegram").glob("*.json")} == set(ESPERADO) | FORA


@pytest.mark.usefixtures("celery_eager", "midia_em_tmp")
@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_fixture_postada_fica_armazenada(
    nome, client, empresa, fila, fixture_bytes, httpserver, django_capture_on_commit_callbacks
):
    corpo = _corpo(fixture_bytes, nome)
    canal = canal_tg(empresa, fila, api_base_url=httpserver.url_for("/")[:-1])
    servir_midia_telegram(httpserver)
    esperado = ESPERADO[nome]

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_telegram(client, empresa.id, corpo)

    assert resposta.status_code == 200
    evento = EventoWebhook.objects.get()
    assert (evento.canal_id, evento.status) == (canal.id, "processado")
    assert evento.id_evento_externo == str(json.loads(corpo)["update_id"])
    assert "x-telegram-bot-api-secret-token" not in evento.cabecalhos  # never stored
    mensagem = Mensagem.objects.get()
    for campo in ("id_externo", "ordem", "tipo", "conteudo", "responde_a_id_externo"):
        if campo in esperado:
            assert getattr(mensagem, campo) == esperado[campo], campo
    assert esperado.get("dados", {}).items() <= mensagem.dados.items()
    assert mensagem.remetente_nome == esperado.get("remetente", esperado["contato"])
    assert mensagem.remetente_tipo == esperado.get("remetente_tipo", "contato")
    if "remetente_id_externo" in esperado:
        assert mensagem.remetente_id_externo == esperado["remetente_id_externo"]
    ticket = mensagem.ticket
    assert (ticket.canal_id, ticket.status, ticket.conversa_id_externo) == (
        canal.id,
        "aberto",
        esperado["conversa"],
    )
    assert (ticket.grupo, ticket.titulo_conversa) == (
        esperado.get("grupo", False),
        esperado.get("titulo", ""),
    )
    assert (ticket.nao_lidas, ticket.total_mensagens) == (esperado.get("nao_lidas", 1), 1)
    assert ticket.contato.nome == esperado["contato"]
    identidades = set(
        IdentidadeContato.objects.filter(contato=ticket.contato).values_list("tipo", "valor")
    )
    assert identidades == esperado.get("identidades", {("telegram", esperado["conversa"])})
    if "midia" in esperado:
        ref, mime = esperado["midia"]
        assert (mensagem.midia_ref, mensagem.midia_mime, mensagem.midia_status) == (
            ref,
            mime,
            "disponivel",
        )
        assert mensagem.midia_arquivo.read() == conteudo_midia(ref)
        if "midia_nome" in esperado:
            assert mensagem.midia_nome == esperado["midia_nome"]
    else:
        assert mensagem.midia_status == ""


@pytest.mark.usefixtures("celery_eager")
def test_grupo_um_ticket_por_chat_e_cada_mensagem_mostra_o_remetente(
    client, empresa, fila, django_capture_on_commit_callbacks
):
    canal_tg(empresa, fila)
    chat = {"id": -100200300, "title": "Clientes VIP", "type": "supergroup"}
    pessoas = [
        {"id": 501, "is_bot": False, "first_name": "Ana", "last_name": "Lima"},
        {"id": 502, "is_bot": False, "first_name": "Bruno"},
    ]

    with django_capture_on_commit_callbacks(execute=True):
        for n, pessoa in enumerate([*pessoas, pessoas[0]], start=1):
            update = {
                "update_id": 900 + n,
                "message": {
                    "message_id": n,
                    "from": pessoa,
                    "chat": chat,
                    "date": 1700000000 + n,
                    "text": f"mensagem {n}",
                },
            }
            postar_telegram(client, empresa.id, json.dumps(update).encode())

    ticket = Ticket.objects.get()
    assert (ticket.grupo, ticket.titulo_conversa, ticket.conversa_id_externo) == (
        True,
        "Clientes VIP",
        "-100200300",
    )
    remetentes = ticket.mensagens.values_list("remetente_nome", "remetente_id_externo", "ordem")
    assert list(remetentes) == [
        ("Ana Lima", "501", 1),
        ("Bruno", "502", 2),
        ("Ana Lima", "501", 3),
    ]
    assert (ticket.nao_lidas, ticket.total_mensagens) == (3, 3)


@pytest.mark.usefixtures("celery_eager")
def test_edicao_atualiza_a_mensagem_e_guarda_o_historico(
    client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    canal = canal_tg(empresa, fila)
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila, conversa_id_externo=TESTE)
    original = MensagemFactory(ticket=ticket, id_externo="1111111:1365", conteudo="Texto antigo")
    corpo = fixture_bytes("telegram/edited_message_official.json")

    with django_capture_on_commit_callbacks(execute=True):
        primeira = postar_telegram(client, empresa.id, corpo)
        repetida = postar_telegram(client, empresa.id, corpo)  # same update_id: a re-delivery

    assert (primeira.status_code, repetida.status_code) == (200, 200)
    assert EventoWebhook.objects.get().status == "processado"
    original.refresh_from_db()
    assert original.conteudo == "Edited text"
    assert original.historico_edicoes == [
        {"conteudo": "Texto antigo", "substituido_em": "2015-09-07T17:23:20+00:00"}
    ]
    assert original.editada_em.timestamp() == 1441646600
    historico = Historico.objects.get(ticket=ticket)
    assert (historico.acao, historico.dados["anterior"], historico.dados["novo"]) == (
        "mensagem_editada",
        "Texto antigo",
        "Edited text",
    )
    assert Mensagem.objects.count() == 1


@pytest.mark.usefixtures("celery_eager")
def test_edicao_de_mensagem_desconhecida_nao_cria_nada(
    client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    canal_tg(empresa, fila)

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_telegram(
            client, empresa.id, fixture_bytes("telegram/edited_message_official.json")
        )

    assert resposta.status_code == 200
    assert EventoWebhook.objects.get().status == "processado"
    assert (Mensagem.objects.count(), Ticket.objects.count()) == (0, 0)


@pytest.mark.usefixtures("celery_eager")
def test_update_repetido_grava_um_evento_e_uma_mensagem(
    client, empresa, fila, fixture_bytes, django_capture_on_commit_callbacks
):
    canal_tg(empresa, fila)
    corpo = fixture_bytes("telegram/private_text_message_teloxide.json")

    with django_capture_on_commit_callbacks(execute=True):
        codigos = [postar_telegram(client, empresa.id, corpo).status_code for _ in range(3)]

    assert codigos == [200, 200, 200]
    assert EventoWebhook.objects.count() == 1
    assert Mensagem.objects.count() == 1
