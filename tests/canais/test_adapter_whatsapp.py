from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from werkzeug import Response

from canais.adapters.base import (
    AssinaturaInvalida,
    Conversa,
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
    RespostaHandshake,
    StatusEntrada,
    StatusEntrega,
    TemplateSaida,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.whatsapp import AdaptadorWhatsApp as Adaptador
from tests.conftest import FIXTURES

PASTA = FIXTURES / "whatsapp"
SEGREDO = "segredo-do-app"
PNID = "106540352242922"
CONFIG = {
    "phone_number_id": PNID,
    "waba_id": "102290129340398",
    "access_token": "TOKEN",
    "app_secret": SEGREDO,
    "verify_token": "meatyhamhock",
}
TESTE = "972987654321"  # wa_id of the pywa fixtures
BSUID = "US.13491208655302741918"
PESSOA_TESTE = (
    Identidade(TipoIdentidade.WHATSAPP, TESTE),
    Identidade(TipoIdentidade.TELEFONE, TESTE),
    Identidade(TipoIdentidade.WHATSAPP_BSUID, BSUID),
)
MB = 1024 * 1024
SHEENA = (
    Identidade(TipoIdentidade.WHATSAPP, "16505551234"),
    Identidade(TipoIdentidade.TELEFONE, "16505551234"),
)


def req(corpo: bytes, *, assinatura: str | None = None, metodo: str = "POST", query=None):
    cabecalhos = {"content-type": "application/json"}
    if assinatura is not None:
        cabecalhos["x-hub-signature-256"] = assinatura
    return RequisicaoWebhook(metodo, "https://x/wh", cabecalhos, corpo, query or {})


def assinar(corpo: bytes, segredo: str = SEGREDO) -> str:
    return "sha256=" + hmac.new(segredo.encode(), corpo, hashlib.sha256).hexdigest()


def utc(segundos: int) -> datetime:
    return datetime.fromtimestamp(segundos, tz=UTC)


# ------------------------------------------------------------------------------- every fixture
def _midia(ref, mime, sha, nome=""):
    return (MidiaRef(ref=ref, mime=mime, nome=nome, sha256=sha),)


#: fixture → [(event class, {attribute: exact value})], in payload order
ESPERADO = {
    "text_message_metadocs.json": [
        (MensagemEntrada, {
            "id_externo": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "tipo": TipoMensagem.TEXTO, "tipo_original": "text",
            "conteudo": "Does it come in another color?", "data": utc(1749416383),
            "conversa": Conversa("16505551234"), "identidades": SHEENA, "nome": "Sheena Nelson",
            "telefone": "16505551234", "responde_a": "", "midias": (), "dados": {},
        }),
    ],
    "text_reply_with_context_pywa.json": [
        (MensagemEntrada, {
            "id_externo": "wamid.xyzxyz", "tipo": TipoMensagem.TEXTO,
            "conteudo": "replied text", "responde_a": "wamid.xyzxyz==",
            "conversa": Conversa(TESTE), "identidades": PESSOA_TESTE, "nome": "Test Name",
        }),
    ],
    "batch_two_messages_same_id_courier.json": [
        (MensagemEntrada, {"id_externo": "external_id", "conteudo": "Hello World",
                           "tipo": TipoMensagem.TEXTO, "conversa": Conversa("5678"),
                           "nome": "Kerry Fisher", "data": utc(1454119029)}),
        (MensagemEntrada, {"id_externo": "external_id", "conteudo": "Hello World"}),
    ],
    "text_from_username_user_no_phone_bsuid_courier.json": [
        (MensagemEntrada, {
            "id_externo": "external_id", "tipo": TipoMensagem.TEXTO, "conteudo": "Hello World",
            "conversa": Conversa("US.1234"),
            "identidades": (Identidade(TipoIdentidade.WHATSAPP_BSUID, "US.1234"),),
            "nome": "Kerry Fisher", "username": "kfisher", "telefone": "",
        }),
    ],
    "image_message_metadocs.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.IMAGEM, "tipo_original": "image", "conteudo": "Taj Mahal",
            "midias": _midia("1003383421387256", "image/jpeg",
                             "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="),
            "dados": {"url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133..."},
        }),
    ],
    "image_message_with_url_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.IMAGEM, "conteudo": "",
            "midias": _midia("65463453", "image/jpeg", "4654+8g="),
        }),
    ],
    "document_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.DOCUMENTO, "conteudo": "caption", "dados": {"encaminhada": True},
            "midias": _midia("1234567890987654321", "application/pdf",
                             "grwfwe/ZPx0wAbdfbdeFUNItPZ0RylL8gGUvdt3YFqc18SY=", "filename.pdf"),
        }),
    ],
    "audio_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.AUDIO, "tipo_original": "audio", "dados": {"encaminhada": True},
            "midias": _midia("1234567890987654321", "audio/ogg; codecs=opus",
                             "E3dxS/PdYZE7ppA3pQ4mpCFaXBJ8pX4SRN/dsfvds/iPGA="),
        }),
    ],
    "voice_note_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.AUDIO, "tipo_original": "audio", "dados": {"voz": True},
            "midias": _midia("1234567890987654321", "audio/ogg; codecs=opus",
                             "m04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI="),
        }),
    ],
    "video_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.VIDEO, "conteudo": "caption", "dados": {"encaminhada": True},
            "midias": _midia("765756756", "video/mp4",
                             "Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc="),
        }),
    ],
    "sticker_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.STICKER, "conteudo": "", "dados": {},
            "midias": _midia("1234567890987654321", "image/webp",
                             "OmT4nhjUhCMIPNmj7eeOZeCYjTXkLxoOv85OMCFwSuc="),
        }),
    ],
    "location_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.LOCALIZACAO,
            "conteudo": "📍 Facebook HQ — 1 Hacker Way, Menlo Park, CA 94025 "
            "(37.4611978, -122.2164385)",
            "dados": {
                "latitude": 37.4611978, "longitude": -122.2164385, "nome": "Facebook HQ",
                "endereco": "1 Hacker Way, Menlo Park, CA 94025",
                "url": "https://maps.google.com/?cid=2000000000000000000", "encaminhada": True,
            },
        }),
    ],
    "contacts_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.CONTATO,
            "conteudo": "👤 Chandler Bing (+1 555-555-5555); Monica (+1 666-666-6666); "
            "Rachel Green (+1 777-777-7777)",
            "dados": {"contatos": [
                {"nome": "Chandler Bing", "emails": [],
                 "telefones": [{"numero": "+1 555-555-5555", "wa_id": TESTE, "tipo": "CELL"}]},
                {"nome": "Monica", "emails": [],
                 "telefones": [{"numero": "+1 666-666-6666", "wa_id": TESTE, "tipo": "HOME"}]},
                {"nome": "Rachel Green", "emails": [],
                 "telefones": [{"numero": "+1 777-777-7777", "wa_id": TESTE, "tipo": "WORK"}]},
            ]},
        }),
    ],
    "interactive_button_reply_metadocs.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.INTERATIVO, "tipo_original": "interactive", "conteudo": "Cancel",
            "dados": {"id": "cancel-button", "title": "Cancel", "payload": "cancel-button",
                      "tipo_interativo": "button_reply"},
            "responde_a": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA",
        }),
    ],
    "interactive_list_reply_metadocs.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.INTERATIVO, "conteudo": "Priority Mail Express",
            "dados": {"id": "priority_express", "title": "Priority Mail Express",
                      "payload": "priority_express", "descricao": "Next Day to 2 Days",
                      "tipo_interativo": "list_reply"},
            "responde_a": "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
        }),
    ],
    "template_quick_reply_button_pywa.json": [
        (MensagemEntrada, {
            "id_externo": "wamid.xsidjw", "tipo": TipoMensagem.INTERATIVO,
            "tipo_original": "button", "conteudo": "title", "responde_a": "wamid.xyzxyz==",
            "dados": {"id": "callback_data", "title": "title", "payload": "callback_data",
                      "tipo_interativo": "button"},
        }),
    ],
    "template_quick_reply_no_context_bsuid_pywa.json": [
        (MensagemEntrada, {
            "id_externo": "wamid.xsidjx", "tipo": TipoMensagem.INTERATIVO, "conteudo": "title",
            "responde_a": "", "conversa": Conversa(TESTE), "identidades": PESSOA_TESTE,
        }),
    ],
    "reaction_message_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.REACAO, "conteudo": "\U0001f62e", "responde_a": "wamid.yzxyzx=",
            "dados": {"emoji": "\U0001f62e", "message_id": "wamid.yzxyzx=", "removida": False},
        }),
    ],
    "reaction_removed_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.REACAO, "conteudo": "",
            "dados": {"emoji": "", "message_id": "wamid.yzxyzx=", "removida": True},
        }),
    ],
    "unsupported_message_error_pywa.json": [
        (MensagemEntrada, {
            "tipo": TipoMensagem.DESCONHECIDO, "tipo_original": "unsupported",
            "conteudo": "[mensagem do tipo unsupported não suportada] 131051: Message type "
            "unknown — Message type is currently not supported.",
        }),
    ],
    "status_sent_metadocs.json": [
        (StatusEntrada, {
            "id_externo": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
            "status": StatusEntrega.ENVIADA, "data": utc(1750030073), "erro_codigo": "",
            "conversa_id_externo": "16505551234",
        }),
    ],
    "status_delivered_metadocs.json": [
        (StatusEntrada, {"status": StatusEntrega.ENTREGUE, "data": utc(1750263773)}),
    ],
    "status_read_pywa.json": [
        (StatusEntrada, {"id_externo": "wamid.xyzxyz", "status": StatusEntrega.LIDA,
                         "conversa_id_externo": TESTE}),
    ],
    "status_failed_131049_metadocs.json": [
        (StatusEntrada, {
            "status": StatusEntrega.ERRO, "erro_codigo": "131049",
            "erro_detalhe": "131049: This message was not delivered to maintain healthy "
            "ecosystem engagement. — In order to maintain a healthy ecosystem engagement, the "
            "message failed to be delivered.",
        }),
    ],
    "status_failed_130472_pywa.json": [
        (StatusEntrada, {
            "status": StatusEntrega.ERRO, "erro_codigo": "130472",
            "erro_detalhe": "130472: User's number is part of an experiment — Failed to send "
            "message because this user's phone number is part of an experiment",
        }),
    ],
}  # fmt: skip

REMETENTE = {"identidades", "nome", "telefone", "username"}


def _fixtures_de_entrada() -> list[str]:
    nomes = []
    for arquivo in sorted(PASTA.glob("*.json")):
        if json.loads(arquivo.read_bytes()).get("object") == "whatsapp_business_account":
            nomes.append(arquivo.name)
    return nomes


def test_toda_fixture_de_entrada_tem_expectativa():
    assert sorted(ESPERADO) == _fixtures_de_entrada()


@pytest.mark.parametrize("nome", _fixtures_de_entrada())
def test_interpreta_fixture(nome, fixture_bytes):
    corpo = fixture_bytes(f"whatsapp/{nome}")
    pnid = Adaptador.identificador_da_requisicao(req(corpo))
    adaptador = Adaptador({**CONFIG, "phone_number_id": pnid})
    adaptador.verificar(req(corpo, assinatura=assinar(corpo)))
    eventos = adaptador.interpretar(req(corpo))

    esperados = ESPERADO[nome]
    assert [type(e) for e in eventos] == [classe for classe, _ in esperados]
    for evento, (_, campos) in zip(eventos, esperados, strict=True):
        for campo, valor in campos.items():
            alvo = evento.remetente if campo in REMETENTE else evento
            assert getattr(alvo, campo) == valor, campo
        assert evento.data.tzinfo is UTC


def test_desconhecida_guarda_objeto_bruto_e_erros(fixture_bytes, fixture_json):
    nome = "whatsapp/unsupported_message_error_pywa.json"
    bruto = fixture_json(nome)["entry"][0]["changes"][0]["value"]["messages"][0]
    (evento,) = Adaptador({**CONFIG, "phone_number_id": "1122334455667"}).interpretar(
        req(fixture_bytes(nome))
    )
    assert evento.dados == {"bruto": bruto, "erros": bruto["errors"]}


# ------------------------------------------------------------------------------- routing
def test_identificadores(fixture_bytes):
    assert Adaptador.identificador_da_config(CONFIG) == PNID
    assert Adaptador.identificador_da_config({}) == ""
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")
    assert Adaptador.identificador_da_requisicao(req(corpo)) == PNID
    assert Adaptador.identificador_da_requisicao(req(b"{nope")) is None
    assert Adaptador.identificador_da_requisicao(req(b"", metodo="GET")) is None
    assert Adaptador.identificador_da_requisicao(req(b'{"entry": []}')) is None
    assert Adaptador.identificador_da_requisicao(req(b'{"entry": [{"changes": [1]}]}')) is None


def _envelope(*valores: dict) -> bytes:
    mudancas = [{"field": "messages", "value": v} for v in valores]
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": mudancas}]}
    ).encode()


def _texto(pnid: str, wa_id: str, id_: str, texto: str) -> dict:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": pnid},
        "contacts": [{"profile": {"name": "X"}, "wa_id": wa_id}],
        "messages": [
            {"from": wa_id, "id": id_, "timestamp": "1700000000", "type": "text",
             "text": {"body": texto}}
        ],
    }  # fmt: skip


def test_varios_phone_number_ids_roteia_pelo_primeiro_e_filtra():
    corpo = _envelope(
        _texto("111", "5511", "wamid.a", "um"), _texto("222", "5522", "wamid.b", "dois")
    )
    assert Adaptador.identificador_da_requisicao(req(corpo)) == "111"
    primeiro = Adaptador({**CONFIG, "phone_number_id": "111"}).interpretar(req(corpo))
    segundo = Adaptador({**CONFIG, "phone_number_id": "222"}).interpretar(req(corpo))
    assert [e.id_externo for e in primeiro] == ["wamid.a"]
    assert [e.id_externo for e in segundo] == ["wamid.b"]


def test_varias_mudancas_e_status_em_ordem(fixture_json):
    status = fixture_json("whatsapp/status_sent_metadocs.json")["entry"][0]["changes"][0]["value"]
    conta = {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}
    dados = json.loads(_envelope(_texto(PNID, "5511", "wamid.1", "a"), status))
    dados["entry"][0]["changes"].insert(1, conta)
    dados["entry"].append(json.loads(_envelope(_texto(PNID, "5511", "wamid.2", "b")))["entry"][0])
    eventos = Adaptador(CONFIG).interpretar(req(json.dumps(dados).encode()))
    assert [(type(e).__name__, e.id_externo) for e in eventos] == [
        ("MensagemEntrada", "wamid.1"),
        ("StatusEntrada", "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="),
        ("MensagemEntrada", "wamid.2"),
    ]


def test_id_evento_e_none(fixture_bytes):
    assert (
        Adaptador(CONFIG).id_evento(req(fixture_bytes("whatsapp/text_message_metadocs.json")))
        is None
    )


@pytest.mark.parametrize(
    ("corpo", "motivo"),
    [
        (b"{nope", "JSON"),
        (b"[1, 2]", "objeto"),
        (b'{"object": "page", "entry": []}', "object"),
        (b'{"object": "whatsapp_business_account", "entry": {}}', "entry"),
        (b'{"object": "whatsapp_business_account", "entry": [{"changes": [{}]}]}', "value"),
        (_envelope({"messages": [{"from": "1", "timestamp": "1", "type": "text"}]}), "id"),
        (_envelope({"messages": [{"from": "1", "id": "w", "timestamp": "x", "type": "text",
                                  "text": {"body": "a"}}]}), "timestamp"),
        (_envelope({"messages": [{"from": "1", "id": "w", "timestamp": "1", "type": "image"}]}),
         "image"),
        (_envelope({"messages": "nada"}), "messages"),
    ],
)  # fmt: skip
def test_payload_invalido(corpo, motivo):
    with pytest.raises(PayloadInvalido, match=motivo):
        Adaptador(CONFIG).interpretar(req(corpo))


# ------------------------------------------------------------------------------- signature
def test_assinatura_valida_sobre_bytes_crus_com_escapes_unicode(fixture_bytes):
    corpo = fixture_bytes("whatsapp/reaction_message_pywa.json")
    assert b"\\ud83d\\ude2e" in corpo  # Meta sends (and signs) the escaped form
    Adaptador(CONFIG).verificar(req(corpo, assinatura=assinar(corpo)))
    Adaptador(CONFIG).verificar(req(corpo, assinatura=assinar(corpo).upper().replace("SHA", "sha")))

    reserializado = json.dumps(json.loads(corpo), indent=2, ensure_ascii=False).encode()
    with pytest.raises(AssinaturaInvalida):
        Adaptador(CONFIG).verificar(req(reserializado, assinatura=assinar(corpo)))


@pytest.mark.parametrize(
    "assinatura",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,
        "sha256=xyz",
        "0" * 64,
        "sha256=",
    ],
)
def test_assinatura_recusada(assinatura, fixture_bytes):
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")
    with pytest.raises(AssinaturaInvalida) as exc:
        Adaptador(CONFIG).verificar(req(corpo, assinatura=assinatura))
    assert exc.value.status == 401


def test_assinatura_com_outro_segredo_ou_sem_segredo(fixture_bytes):
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")
    with pytest.raises(AssinaturaInvalida):
        Adaptador(CONFIG).verificar(req(corpo, assinatura=assinar(corpo, "outro")))
    with pytest.raises(AssinaturaInvalida, match="app_secret"):
        Adaptador({**CONFIG, "app_secret": ""}).verificar(req(corpo, assinatura=assinar(corpo, "")))


# ------------------------------------------------------------------------------- handshake
def test_handshake(fixture_bytes):
    linhas = fixture_bytes("whatsapp/verification_get_request_graphapi_docs.txt").decode()
    query = dict(p.strip().rstrip("&").split("=", 1) for p in linhas.split("?", 1)[1].split())
    adaptador = Adaptador(CONFIG)
    assert adaptador.handshake(req(b"", metodo="GET", query=query)) == RespostaHandshake(
        200, "1158201444"
    )
    errado = {**query, "hub.verify_token": "outro"}
    assert adaptador.handshake(req(b"", metodo="GET", query=errado)).status == 403
    sem_modo = {k: v for k, v in query.items() if k != "hub.mode"}
    assert adaptador.handshake(req(b"", metodo="GET", query=sem_modo)).status == 403
    assert (
        Adaptador({**CONFIG, "verify_token": ""})
        .handshake(req(b"", metodo="GET", query={**query, "hub.verify_token": ""}))
        .status
        == 403
    )
    assert adaptador.handshake(req(b"{}", query=query)) is None


# ------------------------------------------------------------------------------- outbound
@pytest.fixture
def wa(api_base):
    return Adaptador({**CONFIG, "api_base_url": api_base, "api_version": "v23.0"})


MENSAGENS = f"/v23.0/{PNID}/messages"
AUTH = {"Authorization": "Bearer TOKEN"}


def test_enviar_texto_no_formato_da_meta(wa, httpserver, fixture_json):
    pedido = fixture_json("whatsapp/outbound_send_text_request_metadocs.json")
    httpserver.expect_oneshot_request(
        MENSAGENS, method="POST", json=pedido, headers=AUTH
    ).respond_with_json(fixture_json("whatsapp/outbound_send_text_response_metadocs.json"))
    resultado = wa.enviar(MensagemSaida(destino="16505551234", texto=pedido["text"]["body"]))
    assert resultado.id_externo == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"
    assert resultado.status == StatusEntrega.ENVIADA
    httpserver.check_assertions()


def test_enviar_resposta_com_contexto_e_bsuid(wa, httpserver):
    httpserver.expect_oneshot_request(
        MENSAGENS,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "recipient": "US.1234",
            "type": "text",
            "text": {"preview_url": False, "body": "Claro!"},
            "context": {"message_id": "wamid.original"},
        },
    ).respond_with_json({"messages": [{"id": "wamid.novo"}]})
    mensagem = MensagemSaida(destino="US.1234", texto="Claro!", responder_a="wamid.original")
    assert wa.enviar(mensagem).id_externo == "wamid.novo"
    httpserver.check_assertions()


def test_enviar_midia_faz_upload_e_envia_por_id(wa, httpserver, fixture_json):
    recebidos = []

    def upload(request):
        recebidos.append((dict(request.form), request.files["file"], request.files["file"].read()))
        resposta = fixture_json("whatsapp/outbound_media_upload_response_metadocs.json")
        return Response(json.dumps(resposta), content_type="application/json")

    httpserver.expect_oneshot_request(
        f"/v23.0/{PNID}/media", method="POST", headers=AUTH
    ).respond_with_handler(upload)
    httpserver.expect_oneshot_request(
        MENSAGENS,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+5511999990000",
            "type": "image",
            "image": {"id": "1037543291543636", "caption": "segue a foto"},
        },
    ).respond_with_json({"messages": [{"id": "wamid.img"}]})
    midia = MidiaSaida(TipoMensagem.IMAGEM, "image/png", "foto.png", conteudo=b"\x89PNG...")
    resultado = wa.enviar(MensagemSaida(destino="5511999990000", texto="segue a foto", midia=midia))
    assert resultado.id_externo == "wamid.img"
    ((formulario, arquivo, conteudo),) = recebidos
    assert formulario == {"messaging_product": "whatsapp", "type": "image/png"}
    assert (arquivo.filename, arquivo.mimetype, conteudo) == (
        "foto.png",
        "image/png",
        b"\x89PNG...",
    )
    httpserver.check_assertions()


def test_enviar_documento_por_link(wa, httpserver):
    httpserver.expect_oneshot_request(
        MENSAGENS,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+5511999990000",
            "type": "document",
            "document": {
                "link": "https://exemplo.com/a.pdf",
                "caption": "boleto",
                "filename": "a.pdf",
            },
        },
    ).respond_with_json({"messages": [{"id": "wamid.doc"}]})
    midia = MidiaSaida(
        TipoMensagem.DOCUMENTO, "application/pdf", "a.pdf", url="https://exemplo.com/a.pdf"
    )
    mensagem = MensagemSaida(destino="+5511999990000", texto="boleto", midia=midia)
    assert wa.enviar(mensagem).id_externo == "wamid.doc"


@pytest.mark.parametrize(
    ("midia", "codigo"),
    [
        (MidiaSaida(TipoMensagem.IMAGEM, "image/jpeg", "a.jpg", conteudo=b"x" * (5 * MB + 1)),
         "midia_grande"),
        (MidiaSaida(TipoMensagem.IMAGEM, "image/gif", "a.gif", conteudo=b"GIF89a"),
         "mime_nao_suportado"),
        (MidiaSaida(TipoMensagem.STICKER, "image/webp", "s.webp", conteudo=b"x" * (500 * 1024 + 1)),
         "midia_grande"),
        (MidiaSaida(TipoMensagem.AUDIO, "audio/ogg", "a.ogg"), "vazia"),
    ],
)  # fmt: skip
def test_midia_recusada_antes_de_chamar_a_api(wa, midia, codigo, httpserver):
    with pytest.raises(ErroDefinitivo) as exc:
        wa.enviar(MensagemSaida(destino="5511", midia=midia))
    assert exc.value.codigo == codigo
    assert httpserver.log == []


def test_enviar_template(wa, httpserver):
    componentes = (
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
        {"type": "button", "sub_type": "quick_reply", "index": "0",
         "parameters": [{"type": "payload", "payload": "SIM"}]},
    )  # fmt: skip
    httpserver.expect_oneshot_request(
        MENSAGENS,
        method="POST",
        json={
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+5511999990000",
            "type": "template",
            "template": {
                "name": "retomar",
                "language": {"code": "pt_BR"},
                "components": list(componentes),
            },
        },
    ).respond_with_json({"messages": [{"id": "wamid.tpl", "message_status": "accepted"}]})
    mensagem = MensagemSaida(
        destino="5511999990000", template=TemplateSaida("retomar", componentes=componentes)
    )
    assert wa.enviar(mensagem).id_externo == "wamid.tpl"


def test_enviar_vazio_e_definitivo(wa):
    with pytest.raises(ErroDefinitivo, match="sem texto"):
        wa.enviar(MensagemSaida(destino="5511"))


def test_marcar_lida_e_digitando(wa, httpserver, fixture_json):
    digitando = fixture_json("whatsapp/outbound_mark_read_typing_request_metadocs.json")
    id_ = digitando["message_id"]
    httpserver.expect_ordered_request(
        MENSAGENS,
        method="POST",
        json={"messaging_product": "whatsapp", "status": "read", "message_id": id_},
        headers=AUTH,
    ).respond_with_json({"success": True})
    httpserver.expect_ordered_request(
        MENSAGENS, method="POST", json=digitando, headers=AUTH
    ).respond_with_json({"success": True})
    wa.marcar_lida(destino="16505551234", id_externo=id_)
    wa.digitando(destino="16505551234", id_externo=id_)
    httpserver.check_assertions()
    assert len(httpserver.log) == 2
    with pytest.raises(OperacaoNaoSuportada):
        wa.digitando(destino="16505551234")


def test_baixar_midia(wa, httpserver):
    url_midia = httpserver.url_for("/whatsapp_business/attachments/")
    info = {"messaging_product": "whatsapp", "url": url_midia + "?mid=1", "mime_type": "image/jpeg",
            "sha256": "x", "file_size": "9", "id": "1003383421387256"}  # fmt: skip
    httpserver.expect_oneshot_request(
        "/v23.0/1003383421387256", method="GET", headers=AUTH
    ).respond_with_json(info)
    httpserver.expect_oneshot_request(
        "/whatsapp_business/attachments/", method="GET", headers=AUTH, query_string="mid=1"
    ).respond_with_data(b"\xff\xd8JPEG..", content_type="image/jpeg")
    baixada = wa.baixar_midia(MidiaRef(ref="1003383421387256", mime="image/jpeg", nome="foto.jpg"))
    assert (baixada.conteudo, baixada.mime, baixada.nome) == (
        b"\xff\xd8JPEG..",
        "image/jpeg",
        "foto.jpg",
    )
    httpserver.check_assertions()


def test_baixar_midia_respeita_limite(wa, httpserver):
    httpserver.expect_request("/v23.0/55").respond_with_json({"url": httpserver.url_for("/m")})
    httpserver.expect_request("/m").respond_with_data(b"x" * 64)
    wa.limite_download_bytes = 16
    with pytest.raises(ErroDefinitivo) as exc:
        wa.baixar_midia(MidiaRef(ref="55"))
    assert exc.value.codigo == "midia_grande"

    httpserver.clear()
    httpserver.expect_request("/v23.0/55").respond_with_json({"url": "x", "file_size": "17"})
    with pytest.raises(ErroDefinitivo, match="excede"):
        wa.baixar_midia(MidiaRef(ref="55"))


def test_testar_conexao(wa, httpserver, fixture_json):
    httpserver.expect_oneshot_request(
        f"/v23.0/{PNID}", method="GET", headers=AUTH,
        query_string={"fields": "display_phone_number,verified_name"},
    ).respond_with_json(
        {"display_phone_number": "+1 555-078-3881", "verified_name": "Loja", "id": PNID}
    )  # fmt: skip
    resultado = wa.testar_conexao()
    assert resultado.ok is True
    assert resultado.detalhe == "conectado: Loja (+1 555-078-3881)"
    assert resultado.dados == {
        "display_phone_number": "+1 555-078-3881",
        "verified_name": "Loja",
        "id": PNID,
    }

    httpserver.expect_oneshot_request(f"/v23.0/{PNID}").respond_with_json(
        {"error": fixture_json("whatsapp/error_object_190_expired_token_pywa.json")}, status=401
    )
    falha = wa.testar_conexao()
    assert falha.ok is False
    assert falha.detalhe.startswith("190: Error validating access token: Session has expired")
    assert falha.dados == {"codigo": "190"}

    assert (
        Adaptador({}).testar_conexao().detalhe
        == "configuração incompleta: access_token, phone_number_id"
    )


def test_registrar_webhook_nao_suportado(wa):
    with pytest.raises(OperacaoNaoSuportada):
        wa.registrar_webhook("https://x/wh")


# ------------------------------------------------------------------------------- error mapping
def _texto_para(wa):
    return wa.enviar(MensagemSaida(destino="5511999990000", texto="oi"))


def test_erro_500_e_transitorio(wa, httpserver):
    httpserver.expect_request(MENSAGENS).respond_with_data("boom", status=500)
    with pytest.raises(ErroTransitorio) as exc:
        _texto_para(wa)
    assert exc.value.codigo == "500"


def test_timeout_e_transitorio(wa, httpserver):
    def lento(request):
        time.sleep(0.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(MENSAGENS).respond_with_handler(lento)
    wa.timeout_segundos = 0.1
    with pytest.raises(ErroTransitorio) as exc:
        _texto_para(wa)
    assert exc.value.codigo == "timeout"


def test_conexao_recusada_e_transitoria(porta_fechada):
    wa = Adaptador({**CONFIG, "api_base_url": f"http://127.0.0.1:{porta_fechada}"})
    with pytest.raises(ErroTransitorio) as exc:
        _texto_para(wa)
    assert exc.value.codigo == "conexao"


def test_429_com_retry_after(wa, httpserver):
    httpserver.expect_request(MENSAGENS).respond_with_json(
        {"error": {"code": 130429, "message": "Rate limit hit"}},
        status=429,
        headers={"Retry-After": "7"},
    )
    with pytest.raises(ErroTransitorio) as exc:
        _texto_para(wa)
    assert (exc.value.retry_after, exc.value.codigo) == (7.0, "130429")


@pytest.mark.parametrize("codigo", [4, 80007, 130429, 131056, 131000])
def test_codigos_de_limite_sao_transitorios(wa, httpserver, codigo):
    httpserver.expect_request(MENSAGENS).respond_with_json(
        {"error": {"code": codigo, "message": "limite", "type": "OAuthException"}}, status=400
    )
    with pytest.raises(ErroTransitorio) as exc:
        _texto_para(wa)
    assert exc.value.codigo == str(codigo)
    assert exc.value.retry_after is None


@pytest.mark.parametrize(
    ("fixture", "status", "codigo", "detalhe"),
    [
        ("error_object_131047_reengagement_pywa.json", 400, "131047",
         "131047: Re-engagement message — Message failed to send because more than 24 hours have "
         "passed since the customer last replied to this number."),
        ("error_object_131053_media_upload_pywa.json", 400, "131053",
         "131053: Media upload error — Downloading media from weblink failed with http code 429, "
         "status message Too Many Requests"),
        ("error_object_190_expired_token_pywa.json", 401, "190",
         "190: Error validating access token: Session has expired on Friday, 26-Apr-24 06:00:00 "
         "PDT. The current time is Sunday, 28-Apr-24 03:40:10 PDT."),
    ],
)  # fmt: skip
def test_erros_definitivos(wa, httpserver, fixture_json, fixture, status, codigo, detalhe):
    httpserver.expect_request(MENSAGENS).respond_with_json(
        {"error": fixture_json(f"whatsapp/{fixture}")}, status=status
    )
    with pytest.raises(ErroDefinitivo) as exc:
        _texto_para(wa)
    assert (exc.value.codigo, exc.value.detalhe) == (codigo, detalhe)


def test_4xx_sem_corpo_de_erro_e_definitivo(wa, httpserver):
    httpserver.expect_request(MENSAGENS).respond_with_data("not found", status=404)
    with pytest.raises(ErroDefinitivo) as exc:
        _texto_para(wa)
    assert exc.value.codigo == "404"


def test_formato_inesperado_vira_payload_invalido():
    corpo = _envelope(
        {"messages": [{"from": "1", "id": "w", "timestamp": "1", "type": "contacts",
                       "contacts": [{"name": "não é objeto"}]}]}
    )  # fmt: skip
    with pytest.raises(PayloadInvalido, match="formato inesperado"):
        Adaptador(CONFIG).interpretar(req(corpo))
