from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime

import pytest
from werkzeug import Response

from canais.adapters.base import (
    AssinaturaInvalida,
    Conversa,
    EdicaoEntrada,
    ErroDefinitivo,
    ErroTransitorio,
    Identidade,
    MensagemEntrada,
    MensagemSaida,
    MidiaRef,
    MidiaSaida,
    OperacaoNaoSuportada,
    PayloadInvalido,
    RequisicaoWebhook,
    TemplateSaida,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.telegram.adaptador import ALLOWED_UPDATES
from canais.adapters.telegram.adaptador import AdaptadorTelegram as Adaptador
from tests.conftest import FIXTURES

PASTA = FIXTURES / "telegram"
SEGREDO = "s3gr3do_do-webhook"
TOKEN = "123456:ABC-DEF"
CONFIG = {"bot_token": TOKEN, "webhook_secret": SEGREDO}
#: this fixture is a Message object, not an Update: wrapped as ``{"update_id": 1, "message": …}``
SO_MENSAGEM = "photo_with_caption_MESSAGE_OBJECT_teloxide.json"


def req(corpo: bytes | dict, segredo: str | None = SEGREDO) -> RequisicaoWebhook:
    if isinstance(corpo, dict):
        corpo = json.dumps(corpo).encode()
    cabecalhos = {"content-type": "application/json"}
    if segredo is not None:
        cabecalhos["x-telegram-bot-api-secret-token"] = segredo
    return RequisicaoWebhook("POST", "https://x/wh", cabecalhos, corpo)


def utc(segundos: int) -> datetime:
    return datetime.fromtimestamp(segundos, tz=UTC)


def tg(id_: int | str) -> tuple[Identidade, ...]:
    return (Identidade(TipoIdentidade.TELEGRAM, str(id_)),)


PRIVADO = Conversa("1111111")
ARQUIVO = "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"

# ------------------------------------------------------------------------------- every fixture
#: fixture → (event class, {attribute: exact value}); remetente fields are read off .remetente
ESPERADO = {
    "private_text_message_official.json": (MensagemEntrada, {
        "id_externo": "1111111:1365", "ordem": 1365, "tipo": TipoMensagem.TEXTO,
        "tipo_original": "text", "conteudo": "/start", "conversa": PRIVADO,
        "data": utc(1441645532), "responde_a": "", "identidades": tg(1111111),
        "nome": "Test Firstname Test Lastname", "username": "Testusername",
    }),
    "private_text_message_teloxide.json": (MensagemEntrada, {
        "id_externo": "408258968:154", "conteudo": "4", "conversa": Conversa("408258968"),
        "identidades": tg(408258968), "nome": "Hirrolot", "username": "hirrolot",
        "data": utc(1581448857),
    }),
    "message_with_reply_official.json": (MensagemEntrada, {
        "id_externo": "1111111:1365", "conteudo": "/start", "responde_a": "1111111:1334",
    }),
    "edited_message_official.json": (EdicaoEntrada, {
        "id_externo": "1111111:1365", "conversa": PRIVADO, "conteudo": "Edited text",
        "data": utc(1441646600),
    }),
    "audio_message_official.json": (MensagemEntrada, {
        "tipo": TipoMensagem.AUDIO, "tipo_original": "audio", "conteudo": "",
        "midias": (MidiaRef(ref=ARQUIVO, mime="audio/mpeg", tamanho=3897500),),
        "dados": {"duration": 243, "title": "Test music file"},
    }),
    "voice_message_official.json": (MensagemEntrada, {
        "tipo": TipoMensagem.AUDIO, "tipo_original": "voice",
        "midias": (MidiaRef(ref=ARQUIVO, mime="audio/ogg", tamanho=23000),),
        "dados": {"duration": 5, "voz": True},
    }),
    "document_message_official.json": (MensagemEntrada, {
        "tipo": TipoMensagem.DOCUMENTO, "tipo_original": "document",
        "midias": (MidiaRef(ref=ARQUIVO, mime="application/pdf", nome="Testfile.pdf",
                            tamanho=536392),),
    }),
    "photo_message_ha.json": (MensagemEntrada, {
        "id_externo": "1111111:1", "tipo": TipoMensagem.IMAGEM, "tipo_original": "photo",
        "conteudo": "", "identidades": tg(12345678),
        "midias": (MidiaRef(
            ref="AgACAgUAAxkBAAIBUWJ5aXl6Y3h5bXl6Y3h5bXl6Y3gAAJxvMRtP7nG4Fq7m0m0vBAAMCAAN5AAMjBA",
            mime="image/jpeg", tamanho=123456),),
        "dados": {"file_unique_id": "AQADcbzEbT-5xuBa", "width": 800, "height": 800},
    }),
    SO_MENSAGEM: (MensagemEntrada, {
        "id_externo": "27433968:3460", "tipo": TipoMensagem.IMAGEM, "conteudo": "www.example.com",
        "midias": (MidiaRef(
            ref="AgACAgQAAxkBAAINhGKvijUVSn2i3980bQIIc1fqWGNCAAJpvDEbEmaBUfuA43fR-BnlAQADAgADeQADJAQ",
            mime="image/jpeg", tamanho=162061),),
        "nome": "Crax | rats addict",
    }),
    "group_command_message_ha.json": (MensagemEntrada, {
        "id_externo": "-123456789:1", "ordem": 1, "tipo": TipoMensagem.TEXTO,
        "conteudo": "/command", "conversa": Conversa("-123456789", grupo=True, titulo="SomeChat"),
        "identidades": tg(12345678), "nome": "Firstname", "username": "some_username",
    }),
    "supergroup_reply_command_teloxide.json": (MensagemEntrada, {
        "id_externo": "-1001293752024:134546", "ordem": 134546, "conteudo": "/report",
        "conversa": Conversa("-1001293752024", grupo=True, titulo="CryptoInside Chat"),
        "identidades": tg(5964236329), "nome": "the Cable Guy", "username": "spacewhaleblues",
        "responde_a": "-1001293752024:134545", "dados": {"message_thread_id": 134545},
    }),
    "supergroup_pinned_message_service_teloxide.json": (MensagemEntrada, {
        "id_externo": "-1001276785818:20225", "tipo": TipoMensagem.SISTEMA,
        "tipo_original": "pinned_message", "conteudo": "Mensagem fixada: Faster than a bullet",
        "conversa": Conversa("-1001276785818", grupo=True, titulo="teloxide dev"),
    }),
    "callback_query_ha.json": (MensagemEntrada, {
        "id_externo": "cb:4382bfdwdsb323b2d9", "tipo": TipoMensagem.INTERATIVO,
        "tipo_original": "callback_query", "conteudo": "Data from button callback",
        "conversa": Conversa("12345678"), "identidades": tg(12345678), "responde_a": "",
        "dados": {"id": "Data from button callback", "title": "",
                  "payload": "Data from button callback", "callback_id": "4382bfdwdsb323b2d9",
                  "inline_message_id": "1234csdbsk4839"},
    }),
    "callback_query_inline_official.json": (MensagemEntrada, {
        "id_externo": "cb:4382bfdwdsb323b2d9", "tipo": TipoMensagem.INTERATIVO,
        "conversa": PRIVADO, "nome": "Test Firstname Test Lastname",
    }),
}  # fmt: skip

REMETENTE = {"identidades", "nome", "username"}


def _fixtures_de_entrada() -> list[str]:
    return sorted(a.name for a in PASTA.glob("*.json") if "ok" not in json.loads(a.read_bytes()))


def _update(nome: str, fixture_json) -> dict:
    dados = fixture_json(f"telegram/{nome}")
    return {"update_id": 1, "message": dados} if nome == SO_MENSAGEM else dados


def test_toda_fixture_de_entrada_tem_expectativa():
    assert sorted(ESPERADO) == _fixtures_de_entrada()


@pytest.mark.parametrize("nome", _fixtures_de_entrada())
def test_interpreta_fixture(nome, fixture_json):
    requisicao = req(_update(nome, fixture_json))
    adaptador = Adaptador(CONFIG)
    adaptador.verificar(requisicao)
    antes = datetime.now(tz=UTC)
    (evento,) = adaptador.interpretar(requisicao)

    classe, campos = ESPERADO[nome]
    assert type(evento) is classe
    for campo, valor in campos.items():
        alvo = evento.remetente if campo in REMETENTE else evento
        assert getattr(alvo, campo) == valor, campo
    assert evento.data.tzinfo is UTC
    if nome.startswith("callback"):  # no date of its own: the moment we read it
        assert antes <= evento.data <= datetime.now(tz=UTC)


def test_id_evento(fixture_bytes):
    adaptador = Adaptador(CONFIG)
    corpo = fixture_bytes("telegram/supergroup_pinned_message_service_teloxide.json")
    assert adaptador.id_evento(req(corpo)) == "845402291"
    assert adaptador.id_evento(req(b"{nope")) is None


# ------------------------------------------------------------------------------- more update shapes
def _msg(**campos) -> dict:
    ana = {"id": 42, "first_name": "Ana", "last_name": "Lima", "username": "ana"}
    base = {"message_id": 7, "date": 1700000000, "chat": {"id": 42, "type": "private"}, "from": ana}
    return {**base, **campos}


SINTETICOS = [
    ({"message": _msg(location={"latitude": -23.5, "longitude": -46.6})},
     {"tipo": TipoMensagem.LOCALIZACAO, "conteudo": "📍 (-23.5, -46.6)",
      "dados": {"latitude": -23.5, "longitude": -46.6, "nome": "", "endereco": "", "url": ""}}),
    ({"message": _msg(location={"latitude": 1.5, "longitude": 2.5},
                      venue={"location": {"latitude": 1.5, "longitude": 2.5}, "title": "Loja",
                             "address": "Rua A, 1"})},
     {"tipo": TipoMensagem.LOCALIZACAO, "tipo_original": "venue",
      "conteudo": "📍 Loja — Rua A, 1 (1.5, 2.5)"}),
    ({"message": _msg(contact={"phone_number": "+5511988887777", "first_name": "Bia",
                               "user_id": 99})},
     {"tipo": TipoMensagem.CONTATO, "conteudo": "👤 Bia (+5511988887777)",
      "dados": {"contatos": [{
          "nome": "Bia", "emails": [], "user_id": "99", "vcard": "",
          "telefones": [{"numero": "+5511988887777", "wa_id": "", "tipo": ""}]}]}}),
    ({"message": _msg(sticker={"file_id": "S1", "file_unique_id": "u", "width": 512,
                               "height": 512, "is_animated": False, "is_video": False,
                               "emoji": "👍"})},
     {"tipo": TipoMensagem.STICKER, "conteudo": "👍",
      "midias": (MidiaRef(ref="S1", mime="image/webp"),)}),
    ({"message": _msg(video_note={"file_id": "V1", "file_unique_id": "u", "length": 240,
                                  "duration": 3})},
     {"tipo": TipoMensagem.VIDEO, "tipo_original": "video_note",
      "midias": (MidiaRef(ref="V1", mime="video/mp4"),)}),
    ({"message": _msg(animation={"file_id": "G1", "file_unique_id": "u", "mime_type": "video/mp4"},
                      document={"file_id": "G1", "file_unique_id": "u"}, caption="kkk")},
     {"tipo": TipoMensagem.VIDEO, "tipo_original": "animation", "conteudo": "kkk"}),
    ({"message": _msg(dice={"emoji": "🎲", "value": 3})},
     {"tipo": TipoMensagem.DESCONHECIDO, "tipo_original": "dice",
      "conteudo": "[mensagem do tipo dice não suportada]"}),
    ({"message": _msg(new_chat_members=[{"id": 5, "first_name": "Caio"}],
                      chat={"id": -5, "type": "group", "title": "G"})},
     {"tipo": TipoMensagem.SISTEMA, "conteudo": "Entrou no grupo: Caio",
      "conversa": Conversa("-5", grupo=True, titulo="G")}),
    ({"channel_post": {"message_id": 3, "date": 1700000000, "text": "aviso",
                       "chat": {"id": -1009, "type": "channel", "title": "Canal"},
                       "sender_chat": {"id": -1009, "type": "channel", "title": "Canal"}}},
     {"id_externo": "-1009:3", "conteudo": "aviso", "identidades": tg(-1009), "nome": "Canal",
      "conversa": Conversa("-1009", grupo=True, titulo="Canal")}),
    ({"callback_query": {"id": "77", "from": {"id": 42, "first_name": "Ana"}, "data": "sim",
                         "chat_instance": "c",
                         "message": _msg(text="Confirma?", reply_markup={"inline_keyboard": [[
                             {"text": "Sim ✅", "callback_data": "sim"},
                             {"text": "Não", "callback_data": "nao"}]]})}},
     {"id_externo": "cb:77", "conteudo": "Sim ✅", "responde_a": "42:7",
      "dados": {"id": "sim", "title": "Sim ✅", "payload": "sim", "callback_id": "77"}}),
    ({"message_reaction": {"chat": {"id": 42, "type": "private"}, "message_id": 7,
                           "user": {"id": 42, "first_name": "Ana"}, "date": 1700000001,
                           "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "❤"}]}},
     {"id_externo": "upd:9", "tipo": TipoMensagem.REACAO, "conteudo": "❤", "responde_a": "42:7",
      "dados": {"emoji": "❤", "message_id": "42:7", "removida": False}}),
    ({"my_chat_member": {"chat": {"id": 42, "type": "private"}, "date": 1700000002,
                         "from": {"id": 42, "first_name": "Ana"},
                         "old_chat_member": {"status": "member"},
                         "new_chat_member": {"status": "kicked"}}},
     {"id_externo": "upd:9", "tipo": TipoMensagem.DESCONHECIDO, "tipo_original": "my_chat_member",
      "data": utc(1700000002)}),
]  # fmt: skip


@pytest.mark.parametrize(("update", "campos"), SINTETICOS)
def test_outros_formatos(update, campos):
    (evento,) = Adaptador(CONFIG).interpretar(req({"update_id": 9, **update}))
    for campo, valor in campos.items():
        alvo = evento.remetente if campo in REMETENTE else evento
        assert getattr(alvo, campo) == valor, campo


def test_edicao_de_post_de_canal_e_update_sem_chat():
    edicao = {"message_id": 3, "date": 1, "edit_date": 5, "caption": "nova legenda",
              "chat": {"id": -1009, "type": "channel", "title": "Canal"}}  # fmt: skip
    (evento,) = Adaptador(CONFIG).interpretar(req({"update_id": 1, "edited_channel_post": edicao}))
    assert evento == EdicaoEntrada(
        "-1009:3", Conversa("-1009", grupo=True, titulo="Canal"), "nova legenda", utc(5)
    )
    poll = {"update_id": 2, "poll": {"id": "p", "question": "?", "options": []}}
    assert Adaptador(CONFIG).interpretar(req(poll)) == []


@pytest.mark.parametrize(
    ("corpo", "motivo"),
    [
        (b"{nope", "JSON"),
        (b"[]", "objeto"),
        (b'{"message": {}}', "update_id"),
        (b'{"update_id": 1, "message": {"message_id": 1, "date": 1}}', "chat"),
        (b'{"update_id": 1, "message": {"chat": {"id": 1}, "date": 1}}', "message_id"),
        (b'{"update_id": 1, "message": {"chat": {"id": 1}, "message_id": 1}}', "data"),
        (b'{"update_id": 1, "callback_query": {"id": "1"}}', "callback_query"),
    ],
)
def test_payload_invalido(corpo, motivo):
    with pytest.raises(PayloadInvalido, match=motivo):
        Adaptador(CONFIG).interpretar(req(corpo))


# ------------------------------------------------------------------------------- secret header
def test_identificador_e_o_sha256_do_segredo(fixture_bytes):
    esperado = hashlib.sha256(SEGREDO.encode()).hexdigest()
    assert Adaptador.identificador_da_config(CONFIG) == esperado
    assert Adaptador.identificador_da_config({}) == ""
    corpo = fixture_bytes("telegram/private_text_message_official.json")
    assert Adaptador.identificador_da_requisicao(req(corpo)) == esperado
    assert Adaptador.identificador_da_requisicao(req(corpo, segredo=None)) is None
    assert SEGREDO not in Adaptador.identificador_da_config(CONFIG)


@pytest.mark.parametrize(
    ("config", "segredo", "status"),
    [
        (CONFIG, "outro", 403),
        (CONFIG, SEGREDO + "x", 403),
        (CONFIG, None, 401),
        (CONFIG, "", 401),
        ({"bot_token": TOKEN}, SEGREDO, 401),
    ],
)
def test_segredo_recusado(config, segredo, status, fixture_bytes):
    corpo = fixture_bytes("telegram/private_text_message_official.json")
    with pytest.raises(AssinaturaInvalida) as exc:
        Adaptador(config).verificar(req(corpo, segredo=segredo))
    assert exc.value.status == status


def test_sem_handshake(fixture_bytes):
    assert Adaptador(CONFIG).handshake(req(b"{}")) is None


# ------------------------------------------------------------------------------- outbound
@pytest.fixture
def bot(api_base):
    return Adaptador({**CONFIG, "api_base_url": api_base})


def metodo(nome: str) -> str:
    return f"/bot{TOKEN}/{nome}"


def ok(resultado) -> dict:
    return {"ok": True, "result": resultado}


def enviada(chat_id: int, message_id: int) -> dict:
    return ok({"message_id": message_id, "date": 1, "chat": {"id": chat_id, "type": "private"}})


def test_enviar_texto_respondendo(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("sendMessage"),
        method="POST",
        json={
            "chat_id": 1111111,
            "text": "Olá! Como posso ajudar?",
            "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": True},
        },
    ).respond_with_json(enviada(1111111, 1366))
    mensagem = MensagemSaida(
        destino="1111111", texto="Olá! Como posso ajudar?", responder_a="1111111:1365"
    )
    assert bot.enviar(mensagem).id_externo == "1111111:1366"
    httpserver.check_assertions()


def test_enviar_texto_para_supergrupo(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("sendMessage"), json={"chat_id": -1001293752024, "text": "oi"}
    ).respond_with_json(enviada(-1001293752024, 134547))
    resultado = bot.enviar(MensagemSaida(destino="-1001293752024", texto="oi", responder_a="cb:9"))
    assert resultado.id_externo == "-1001293752024:134547"


@pytest.mark.parametrize(
    ("midia", "metodo_api", "campo"),
    [
        (MidiaSaida(TipoMensagem.IMAGEM, "image/jpeg", "foto.jpg", conteudo=b"JPEG"),
         "sendPhoto", "photo"),
        (MidiaSaida(TipoMensagem.DOCUMENTO, "application/pdf", "a.pdf", conteudo=b"%PDF"),
         "sendDocument", "document"),
        (MidiaSaida(TipoMensagem.AUDIO, "audio/mpeg", "a.mp3", conteudo=b"ID3"),
         "sendAudio", "audio"),
        (MidiaSaida(TipoMensagem.AUDIO, "audio/ogg; codecs=opus", "v.ogg", conteudo=b"OggS"),
         "sendVoice", "voice"),
        (MidiaSaida(TipoMensagem.VIDEO, "video/mp4", "v.mp4", conteudo=b"mp4"),
         "sendVideo", "video"),
    ],
)  # fmt: skip
def test_enviar_midia_multipart(bot, httpserver, midia, metodo_api, campo):
    recebidos = []

    def tratar(request):
        arquivo = request.files[campo]
        recebidos.append((dict(request.form), arquivo.filename, arquivo.mimetype, arquivo.read()))
        return Response(json.dumps(enviada(42, 8)), content_type="application/json")

    httpserver.expect_oneshot_request(metodo(metodo_api), method="POST").respond_with_handler(
        tratar
    )
    mensagem = MensagemSaida(destino="42", texto="legenda", midia=midia, responder_a="42:7")
    assert bot.enviar(mensagem).id_externo == "42:8"
    ((formulario, nome, mime, conteudo),) = recebidos
    assert formulario == {
        "chat_id": "42",
        "caption": "legenda",
        "reply_parameters": json.dumps({"message_id": 7, "allow_sending_without_reply": True}),
    }
    # werkzeug reports the part's type without parameters ("; codecs=opus")
    assert (nome, mime, conteudo) == (midia.nome, midia.mime.split(";")[0], midia.conteudo)


def test_enviar_midia_por_url_e_limites(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("sendPhoto"), json={"chat_id": 42, "photo": "https://exemplo.com/a.jpg"}
    ).respond_with_json(enviada(42, 9))
    midia = MidiaSaida(TipoMensagem.IMAGEM, "image/jpeg", "a.jpg", url="https://exemplo.com/a.jpg")
    assert bot.enviar(MensagemSaida(destino="42", midia=midia)).id_externo == "42:9"

    grande = MidiaSaida(
        TipoMensagem.IMAGEM, "image/jpeg", "a.jpg", conteudo=b"x" * (10 * 1024 * 1024 + 1)
    )
    with pytest.raises(ErroDefinitivo) as exc:
        bot.enviar(MensagemSaida(destino="42", midia=grande))
    assert exc.value.codigo == "midia_grande"
    with pytest.raises(ErroDefinitivo) as exc:
        bot.enviar(MensagemSaida(destino="42", template=TemplateSaida("boas_vindas")))
    assert exc.value.codigo == "template"
    assert len(httpserver.log) == 1


def test_digitando_e_marcar_lida(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("sendChatAction"), json={"chat_id": -123456789, "action": "typing"}
    ).respond_with_json(ok(True))
    bot.digitando(destino="-123456789")
    httpserver.check_assertions()
    with pytest.raises(OperacaoNaoSuportada):
        bot.marcar_lida(destino="42", id_externo="42:7")


def test_responder_callback(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("answerCallbackQuery"), json={"callback_query_id": "77", "text": "Recebido"}
    ).respond_with_json(ok(True))
    bot.responder_callback("cb:77", "Recebido")
    httpserver.check_assertions()


def test_baixar_midia_via_getfile(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("getFile"), json={"file_id": ARQUIVO}
    ).respond_with_json(
        ok(
            {
                "file_id": ARQUIVO,
                "file_unique_id": "u",
                "file_size": 4,
                "file_path": "voice/file_1.oga",
            }
        )
    )
    httpserver.expect_oneshot_request(
        f"/file/bot{TOKEN}/voice/file_1.oga", method="GET"
    ).respond_with_data(b"OggS", content_type="application/octet-stream")
    baixada = bot.baixar_midia(MidiaRef(ref=ARQUIVO, mime="audio/ogg", tamanho=23000))
    assert (baixada.conteudo, baixada.mime, baixada.nome) == (b"OggS", "audio/ogg", "file_1.oga")
    httpserver.check_assertions()


def test_baixar_midia_acima_de_20mb_e_recusada(bot, httpserver):
    with pytest.raises(ErroDefinitivo) as exc:
        bot.baixar_midia(MidiaRef(ref=ARQUIVO, tamanho=20 * 1024 * 1024 + 1))
    assert exc.value.codigo == "midia_grande"
    httpserver.expect_oneshot_request(metodo("getFile")).respond_with_json(
        {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"}, status=400
    )
    with pytest.raises(ErroDefinitivo, match="file is too big"):
        bot.baixar_midia(MidiaRef(ref=ARQUIVO))


def test_testar_conexao(bot, httpserver):
    httpserver.expect_oneshot_request(metodo("getMe")).respond_with_json(
        ok({"id": 7000000001, "is_bot": True, "first_name": "Atende", "username": "atende_bot"})
    )
    httpserver.expect_oneshot_request(metodo("getWebhookInfo")).respond_with_json(
        ok({"url": "https://x/wh", "pending_update_count": 0, "has_custom_certificate": False})
    )
    resultado = bot.testar_conexao()
    assert resultado.ok is True
    assert resultado.detalhe == "conectado como @atende_bot"
    assert resultado.dados == {
        "id": "7000000001",
        "username": "atende_bot",
        "first_name": "Atende",
        "webhook": {"url": "https://x/wh", "pending_update_count": 0},
    }


def test_testar_conexao_falhando(bot, httpserver, porta_fechada):
    httpserver.expect_oneshot_request(metodo("getMe")).respond_with_json(
        {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
    )
    resultado = bot.testar_conexao()
    assert (resultado.ok, resultado.detalhe, dict(resultado.dados)) == (
        False,
        "401: Unauthorized",
        {"codigo": "401"},
    )
    fora = Adaptador({**CONFIG, "api_base_url": f"http://127.0.0.1:{porta_fechada}"})
    assert fora.testar_conexao().ok is False
    assert Adaptador({}).testar_conexao().detalhe == "configuração incompleta: bot_token"


def test_registrar_webhook(bot, httpserver):
    httpserver.expect_oneshot_request(
        metodo("setWebhook"),
        method="POST",
        json={
            "url": "https://crm.exemplo.com/api/atendimento/webhooks/telegram/e1/",
            "secret_token": SEGREDO,
            "allowed_updates": list(ALLOWED_UPDATES),
            "drop_pending_updates": False,
        },
    ).respond_with_json(ok(True))
    bot.registrar_webhook("https://crm.exemplo.com/api/atendimento/webhooks/telegram/e1/")
    httpserver.check_assertions()
    assert ALLOWED_UPDATES == (
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "message_reaction",
    )


def test_registrar_webhook_recusa_segredo_invalido(api_base, httpserver):
    with pytest.raises(ErroDefinitivo, match="webhook_secret"):
        Adaptador(
            {**CONFIG, "webhook_secret": "tem espaço!", "api_base_url": api_base}
        ).registrar_webhook("https://x")
    assert httpserver.log == []


# ------------------------------------------------------------------------------- error mapping
def _enviar(bot):
    return bot.enviar(MensagemSaida(destino="42", texto="oi"))


def test_409_fixture_e_definitivo(bot, httpserver, fixture_bytes):
    httpserver.expect_request(metodo("sendMessage")).respond_with_data(
        fixture_bytes("telegram/error_response_409_conflict_teloxide.json"),
        status=409,
        content_type="application/json",
    )
    with pytest.raises(ErroDefinitivo) as exc:
        _enviar(bot)
    assert exc.value.codigo == "409"
    assert exc.value.detalhe == (
        "409: Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )


def test_fixture_retry_after_traz_migrate_to_chat_id(bot, httpserver, fixture_bytes):
    # despite its name, teloxide's "retry_after" sample carries parameters.migrate_to_chat_id
    httpserver.expect_request(metodo("sendMessage")).respond_with_data(
        fixture_bytes("telegram/error_response_retry_after_teloxide.json"),
        status=400,
        content_type="application/json",
    )
    with pytest.raises(ErroDefinitivo) as exc:
        _enviar(bot)
    assert exc.value.codigo == "migrate_to_chat_id"
    assert exc.value.detalhe == (
        "400: this string is ignored (o grupo virou supergrupo: novo chat_id 123456)"
    )


def test_429_com_retry_after(bot, httpserver):
    httpserver.expect_request(metodo("sendMessage")).respond_with_json(
        {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
         "parameters": {"retry_after": 5}},
        status=429,
    )  # fmt: skip
    with pytest.raises(ErroTransitorio) as exc:
        _enviar(bot)
    assert (exc.value.retry_after, exc.value.codigo) == (5.0, "429")
    assert exc.value.detalhe == "429: Too Many Requests: retry after 5"


@pytest.mark.parametrize(
    ("status", "corpo", "erro", "codigo"),
    [
        (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"},
         ErroTransitorio, "500"),
        (502, "<html>Bad Gateway</html>", ErroTransitorio, "502"),
        (403, {"ok": False, "error_code": 403,
               "description": "Forbidden: bot was blocked by the user"},
         ErroDefinitivo, "403"),
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
         ErroDefinitivo, "400"),
    ],
)  # fmt: skip
def test_mapeamento_de_status(bot, httpserver, status, corpo, erro, codigo):
    resposta = json.dumps(corpo) if isinstance(corpo, dict) else corpo
    httpserver.expect_request(metodo("sendMessage")).respond_with_data(resposta, status=status)
    with pytest.raises(erro) as exc:
        _enviar(bot)
    assert exc.value.codigo == codigo


def test_timeout_e_transitorio(bot, httpserver):
    def lento(request):
        time.sleep(0.5)
        return Response(json.dumps(enviada(42, 1)), content_type="application/json")

    httpserver.expect_request(metodo("sendMessage")).respond_with_handler(lento)
    bot.timeout_segundos = 0.1
    with pytest.raises(ErroTransitorio) as exc:
        _enviar(bot)
    assert exc.value.codigo == "timeout"
    assert TOKEN not in exc.value.detalhe


def test_conexao_recusada_e_transitoria(porta_fechada):
    bot = Adaptador({**CONFIG, "api_base_url": f"http://127.0.0.1:{porta_fechada}"})
    with pytest.raises(ErroTransitorio) as exc:
        _enviar(bot)
    assert exc.value.codigo == "conexao"
    assert TOKEN not in exc.value.detalhe


def test_token_do_bot_nao_vai_para_o_log_do_httpx(bot, httpserver, caplog):
    httpserver.expect_request(metodo("sendMessage")).respond_with_json(enviada(42, 2))
    httpserver.expect_request(f"/file/bot{TOKEN}/a.jpg").respond_with_data(b"x")
    httpserver.expect_request(metodo("getFile")).respond_with_json(ok({"file_path": "a.jpg"}))
    with caplog.at_level(logging.INFO, logger="httpx"):
        _enviar(bot)
        bot.baixar_midia(MidiaRef(ref="f"))
    texto = "\n".join(r.getMessage() for r in caplog.records if r.name == "httpx")
    assert "/bot<token>/sendMessage" in texto
    assert "/file/bot<token>/a.jpg" in texto
    assert TOKEN not in texto  # (the fake server's own werkzeug log does show it)


def test_formato_inesperado_vira_payload_invalido():
    update = {"update_id": 3, "message": _msg(sticker="não é objeto")}
    with pytest.raises(PayloadInvalido, match="formato inesperado"):
        Adaptador(CONFIG).interpretar(req(update))
