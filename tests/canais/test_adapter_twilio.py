from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import time_machine
from twilio.request_validator import RequestValidator
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
    StatusEntrada,
    StatusEntrega,
    TemplateSaida,
    TipoIdentidade,
    TipoMensagem,
)
from canais.adapters.twilio import AdaptadorTwilio as Adaptador
from canais.adapters.twilio import parse as twilio_parse
from canais.registry import classe_adaptador
from tests.conftest import FIXTURES

PASTA = FIXTURES / "twilio"
VETORES = "signature_test_vectors_twilio_python.json"
SID = "AC1a03647d811fab342c0ad608e382fab2"
TOKEN = "s3gr3d0-do-twilio"
URL = "https://crm.exemplo.com/api/atendimento/webhooks/twilio/e1/"
CONFIG = {"account_sid": SID, "auth_token": TOKEN, "numero": "whatsapp:+14123456789"}
AGORA = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"


def assinar(url: str, corpo: bytes, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, twilio_parse.carregar(corpo))


def req(corpo: bytes | dict, *, url: str = URL, assinatura: str | None = "", tipo: str = FORM):
    if isinstance(corpo, dict):
        corpo = urlencode(corpo).encode()
    cabecalhos = {"content-type": tipo}
    if assinatura is not None:
        cabecalhos["x-twilio-signature"] = assinatura or assinar(url, corpo)
    return RequisicaoWebhook("POST", url, cabecalhos, corpo)


def wa(digitos: str) -> tuple[Identidade, ...]:
    return (
        Identidade(TipoIdentidade.WHATSAPP, digitos),
        Identidade(TipoIdentidade.TELEFONE, digitos),
    )


def fone(digitos: str) -> tuple[Identidade, ...]:
    return (Identidade(TipoIdentidade.TELEFONE, digitos),)


SM = "SMe287d7109a5a925f182f0e07fe5b223b"
MEDIA = (
    "https://api.twilio.com/2010-04-01/Accounts/AC1a03647d811fab342c0ad608e382fab2/Messages/"
    "MM21151abfaadc1fb79b782f8460862a52/Media/ME5f0afa2336bd0f73ca553fb5a2e3150bc"
)

# ------------------------------------------------------------------------------- every fixture
#: fixture → (routing key, id_evento, event class or None, {attribute: exact value})
ESPERADO = {
    "inbound_sms_courier.txt": ("+12028831111", SM, MensagemEntrada, {
        "id_externo": SM, "tipo": TipoMensagem.TEXTO, "tipo_original": "text", "conteudo": "Msg",
        "conversa": Conversa("+14133881111"), "identidades": fone("14133881111"),
        "telefone": "14133881111", "nome": "", "midias": (), "dados": {}, "responde_a": "",
    }),
    "inbound_mms_two_media_courier.txt": ("+12028831111", SM, MensagemEntrada, {
        "tipo": TipoMensagem.IMAGEM, "tipo_original": "image", "conteudo": "Msg",
        # no MediaContentTypeN in this capture: the type is guessed from the URL
        "midias": (MidiaRef(ref="cat.jpg", mime="image/jpeg"),
                   MidiaRef(ref="dog.jpg", mime="image/jpeg")),
        "conversa": Conversa("+14133881111"),
    }),
    "inbound_whatsapp_button_courier.txt": ("whatsapp:+12028831111", SM, MensagemEntrada, {
        "tipo": TipoMensagem.INTERATIVO, "tipo_original": "button", "conteudo": "Confirm",
        "dados": {"id": "", "title": "Confirm", "payload": "", "tipo_interativo": "button"},
        "conversa": Conversa("whatsapp:+14133881111"), "identidades": wa("14133881111"),
    }),
    "inbound_whatsapp_text_botbuilder.txt": (
        "whatsapp:+14123456789", "SM892512e202b34d4109b10a3893fa9640", MensagemEntrada, {
            "id_externo": "SM892512e202b34d4109b10a3893fa9640", "tipo": TipoMensagem.TEXTO,
            "conteudo": "test", "conversa": Conversa("whatsapp:+31612345678"),
            "identidades": wa("31612345678"), "telefone": "31612345678",
        }),
    "inbound_whatsapp_image_botbuilder.txt": (
        "whatsapp:+14123456789", "MM21151abfaadc1fb79b782f8460862a52", MensagemEntrada, {
            "id_externo": "MM21151abfaadc1fb79b782f8460862a52", "tipo": TipoMensagem.IMAGEM,
            "tipo_original": "image", "conteudo": "",
            "midias": (MidiaRef(ref=MEDIA, mime="image/jpeg"),),
        }),
    "inbound_whatsapp_location_botbuilder.txt": (
        "whatsapp:+14123456789", "SM9c871cd9649aa3829298e153ae6a8123", MensagemEntrada, {
            "tipo": TipoMensagem.LOCALIZACAO, "tipo_original": "location",
            "conteudo": "📍 Microsoft — Evert van de Beekstraat 354, Schiphol, North Holland "
                        "1118 CZ (52.303897857666016, 4.750025749206543)",
            "dados": {"latitude": 52.303897857666016, "longitude": 4.750025749206543,
                      "nome": "Microsoft",
                      "endereco": "Evert van de Beekstraat 354, Schiphol, North Holland 1118 CZ",
                      "url": ""},
        }),
    # courier's trimmed callbacks lack From (real ones carry it): they route nowhere
    "status_delivered_courier.txt": (None, f"{SM}:delivered", StatusEntrada, {
        "id_externo": SM, "status": StatusEntrega.ENTREGUE, "erro_codigo": "",
        "erro_detalhe": "", "conversa_id_externo": "",
    }),
    "status_failed_21610_stop_courier.txt": (None, f"{SM}:failed", StatusEntrada, {
        "status": StatusEntrega.ERRO, "erro_codigo": "21610",
        "erro_detalhe": "21610: o destinatário respondeu STOP e não recebe mais mensagens "
                        "deste número",
        "conversa_id_externo": "+12028831111",
    }),
    "status_failed_63018_courier.txt": (None, f"{SM}:failed", StatusEntrada, {
        "status": StatusEntrega.ERRO, "erro_codigo": "63018",
        "erro_detalhe": "63018: limite de taxa do WhatsApp excedido",
    }),
    "status_whatsapp_sent_botbuilder.txt": (
        "whatsapp:+14123456789", "SM0cec4ed334e74bcbb64eb8b6684e9654:sent", StatusEntrada, {
            "id_externo": "SM0cec4ed334e74bcbb64eb8b6684e9654", "status": StatusEntrega.ENVIADA,
            "conversa_id_externo": "whatsapp:+31612345678",
        }),
    "status_whatsapp_delivered_botbuilder.txt": (
        "whatsapp:+14123456789", "SMdf55df64a2ff4920bb0748193cfbb640:delivered", StatusEntrada, {
            "id_externo": "SMdf55df64a2ff4920bb0748193cfbb640", "status": StatusEntrega.ENTREGUE,
            "erro_codigo": "", "conversa_id_externo": "whatsapp:+31612345678",
        }),
}  # fmt: skip
REMETENTE = {"identidades", "nome", "telefone"}


def test_toda_fixture_tem_expectativa():
    arquivos = {a.name for a in PASTA.iterdir()}
    brutos = {a for a in arquivos if a.endswith(".txt")}
    assert sorted(ESPERADO) == sorted(brutos)
    # every other file is a parsed view of a raw sibling, or the signature vectors
    assert arquivos - brutos == {a.replace(".txt", ".parsed.json") for a in brutos} | {VETORES}


@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_visao_parsed_confere_com_o_bruto(nome, fixture_bytes, fixture_json):
    form = twilio_parse.carregar(fixture_bytes(f"twilio/{nome}"))
    visao = fixture_json(f"twilio/{nome.replace('.txt', '.parsed.json')}")
    assert {k: v[0] for k, v in form.items()} == visao
    assert all(len(v) == 1 for v in form.values())


@pytest.mark.parametrize("nome", sorted(ESPERADO))
def test_interpreta_fixture(nome, fixture_bytes):
    corpo = fixture_bytes(f"twilio/{nome}")
    requisicao = req(corpo)
    identificador, id_evento, classe, campos = ESPERADO[nome]
    adaptador = Adaptador(CONFIG)
    adaptador.verificar(requisicao)
    assert Adaptador.identificador_da_requisicao(requisicao) == identificador
    assert adaptador.id_evento(requisicao) == id_evento
    with time_machine.travel(AGORA, tick=False):
        (evento,) = adaptador.interpretar(requisicao)
    assert type(evento) is classe
    assert evento.data == AGORA  # Twilio webhooks carry no timestamp: the moment we read it
    for campo, valor in campos.items():
        alvo = evento.remetente if campo in REMETENTE else evento
        assert getattr(alvo, campo) == valor, campo


# ------------------------------------------------------------------------------- signature
@pytest.fixture
def vetores(fixture_json):
    return fixture_json(f"twilio/{VETORES}")


def test_vetor_de_formulario(vetores):
    caso = vetores["form_case"]
    corpo = urlencode(caso["params"]).encode()
    adaptador = Adaptador({**CONFIG, "auth_token": vetores["auth_token"]})
    adaptador.verificar(req(corpo, url=caso["url"], assinatura=caso["expected_X-Twilio-Signature"]))
    with pytest.raises(AssinaturaInvalida):
        adaptador.verificar(req(corpo, url=caso["url"], assinatura="RSOYDt4T1cUTdK1PDd93/VVr8B9="))


@pytest.mark.parametrize(
    ("chave", "url"),
    [
        # signed with the port: we were called without it (and vice versa below)
        ("https_with_port_443_expected", "https://mycompany.com/myapp.php?foo=1&bar=2"),
        ("https_with_port_443_expected", "https://mycompany.com:443/myapp.php?foo=1&bar=2"),
        ("http_url_with_port_80_expected", "http://mycompany.com/myapp.php?foo=1&bar=2"),
        ("http_url_with_port_1234_expected", "http://mycompany.com:1234/myapp.php?foo=1&bar=2"),
    ],
)
def test_vetores_de_porta(vetores, chave, url):
    corpo = urlencode(vetores["form_case"]["params"]).encode()
    adaptador = Adaptador({**CONFIG, "auth_token": vetores["auth_token"]})
    adaptador.verificar(req(corpo, url=url, assinatura=vetores["form_case_port_variants"][chave]))


def test_vetor_de_parametro_repetido(vetores):
    caso = vetores["duplicate_params_case"]
    corpo = urlencode([tuple(par) for par in caso["params_multidict"]]).encode()
    adaptador = Adaptador({**CONFIG, "auth_token": vetores["auth_token"]})
    adaptador.verificar(req(corpo, url=caso["url"], assinatura=caso["expected_X-Twilio-Signature"]))


def test_vetor_de_corpo_json(vetores):
    caso = vetores["json_body_case"]
    adaptador = Adaptador({**CONFIG, "auth_token": vetores["auth_token"]})
    requisicao = req(
        caso["body"].encode(),
        url=caso["url_as_called"],
        assinatura=caso["expected_X-Twilio-Signature"],
        tipo="application/json",
    )
    adaptador.verificar(requisicao)
    with pytest.raises(PayloadInvalido, match="JSON"):
        adaptador.interpretar(requisicao)
    adulterado = req(
        caso["body"].replace("value", "valor").encode(),
        url=caso["url_as_called"],
        assinatura=caso["expected_X-Twilio-Signature"],
        tipo="application/json",
    )
    with pytest.raises(AssinaturaInvalida):
        adaptador.verificar(adulterado)


@pytest.mark.parametrize(
    ("config", "mudanca", "detalhe"),
    [
        (CONFIG, {"assinatura": None}, "ausente"),
        (CONFIG, {"assinatura": "  "}, "ausente"),
        (CONFIG, {"assinatura": base64.b64encode(b"x" * 20).decode()}, "não confere"),
        # Twilio signs the exact URL: http vs https, a missing query string, another path
        (CONFIG, {"url": URL.replace("https", "http")}, "não confere"),
        (CONFIG, {"url": URL + "?canal=1"}, "não confere"),
        (CONFIG, {"corpo": b"Body=oi&From=%2B1&To=%2B2"}, "não confere"),
        ({**CONFIG, "auth_token": "outro"}, {}, "não confere"),
        ({**CONFIG, "auth_token": ""}, {}, "auth_token"),
    ],
)
def test_assinatura_recusada(fixture_bytes, config, mudanca, detalhe):
    corpo = fixture_bytes("twilio/inbound_sms_courier.txt")
    assinatura = mudanca.get("assinatura", assinar(URL, corpo))
    requisicao = req(
        mudanca.get("corpo", corpo), url=mudanca.get("url", URL), assinatura=assinatura
    )
    if assinatura is None:
        requisicao.cabecalhos.pop("x-twilio-signature", None)
    with pytest.raises(AssinaturaInvalida, match=detalhe) as exc:
        Adaptador(config).verificar(requisicao)
    assert exc.value.status == 401


def test_webhook_rules_com_sharedkey_nao_suportadas(fixture_bytes):
    corpo = fixture_bytes("twilio/inbound_sms_courier.txt")
    requisicao = req(corpo, assinatura="c29tZXRoaW5nIGVsc2U=")
    requisicao.cabecalhos["x-twilio-webhooks-signature-settings"] = "key=k1,algorithm=HMAC_SHA256"
    with pytest.raises(AssinaturaInvalida, match="SharedKey"):
        Adaptador(CONFIG).verificar(requisicao)


def test_corpo_ilegivel_nao_e_verificavel():
    with pytest.raises(AssinaturaInvalida, match="ilegível"):
        Adaptador(CONFIG).verificar(req(b"\xff\xfe", assinatura="abc="))


# ------------------------------------------------------------------------------- routing
def test_identificador_normaliza_o_numero():
    assert Adaptador.identificador_da_config({"numero": "whatsapp:+55 (11) 99999-0000"}) == (
        "whatsapp:+5511999990000"
    )
    assert Adaptador.identificador_da_config({"numero": "WhatsApp:5511999990000"}) == (
        "whatsapp:+5511999990000"
    )
    assert Adaptador.identificador_da_config({"numero": "+1 202-883-1111"}) == "+12028831111"
    assert Adaptador.identificador_da_config({"numero": "12345"}) == "12345"  # short code
    assert Adaptador.identificador_da_config({}) == ""


def test_callback_de_status_roteia_pelo_from_e_entrada_pelo_to():
    status = {"MessageSid": "SM1", "MessageStatus": "delivered", "From": "+12028831111",
              "To": "+5511988887777"}  # fmt: skip
    entrada = {"MessageSid": "SM2", "SmsStatus": "received", "MessageStatus": "received",
               "From": "+5511988887777", "To": "+12028831111", "Body": "oi"}  # fmt: skip
    assert Adaptador.identificador_da_requisicao(req(status)) == "+12028831111"
    assert Adaptador.identificador_da_requisicao(req(entrada)) == "+12028831111"
    assert Adaptador(CONFIG).id_evento(req(entrada)) == "SM2"
    assert Adaptador.identificador_da_requisicao(req(b"\xff", assinatura="x")) is None
    assert Adaptador.identificador_da_requisicao(req(b"Body=oi")) is None
    assert Adaptador(CONFIG).id_evento(req(b"Body=oi")) is None
    assert Adaptador(CONFIG).id_evento(req(b"\xff", assinatura="x")) is None


def test_registrado_no_registry():
    assert classe_adaptador("twilio") is Adaptador


# ------------------------------------------------------------------------------- other shapes
def _entrada(**campos) -> dict:
    base = {"MessageSid": "SM9", "AccountSid": SID, "From": "whatsapp:+5511988887777",
            "To": "whatsapp:+14123456789", "Body": "", "NumMedia": "0"}  # fmt: skip
    return {**base, **campos}


SINTETICOS = [
    (_entrada(Body="oi", ProfileName="Ana Lima", WaId="5511988887777",
              OriginalRepliedMessageSid="SM7", Forwarded="true"),
     {"conteudo": "oi", "nome": "Ana Lima", "responde_a": "SM7", "identidades": wa("5511988887777"),
      "dados": {"encaminhada": True}}),
    (_entrada(From="whatsapp:US.13491208655302741918", Body="oi",
              ExternalUserId="whatsapp:US.13491208655302741918"),
     {"identidades": (Identidade(TipoIdentidade.WHATSAPP_BSUID, "US.13491208655302741918"),),
      "telefone": "", "conversa": Conversa("whatsapp:US.13491208655302741918")}),
    (_entrada(From="whatsapp:+5511988887777", ExternalUserId="whatsapp:BR.77", Body="oi"),
     {"identidades": (Identidade(TipoIdentidade.WHATSAPP, "5511988887777"),
                      Identidade(TipoIdentidade.WHATSAPP_BSUID, "BR.77"),
                      Identidade(TipoIdentidade.TELEFONE, "5511988887777"))}),
    (_entrada(From="LOJA", Body="promo"),
     {"identidades": fone("LOJA"), "telefone": "", "conversa": Conversa("LOJA")}),
    (_entrada(NumMedia="1", MediaUrl0="https://api.twilio.com/M/ME1",
              MediaContentType0="audio/OGG", Body=""),
     {"tipo": TipoMensagem.AUDIO, "tipo_original": "audio",
      "midias": (MidiaRef(ref="https://api.twilio.com/M/ME1", mime="audio/ogg"),)}),
    (_entrada(NumMedia="1", MediaUrl0="https://x/ME2", MediaContentType0="video/mp4",
              Body="olha"),
     {"tipo": TipoMensagem.VIDEO, "conteudo": "olha"}),
    (_entrada(NumMedia="1", MediaUrl0="https://x/ME3", MediaContentType0="application/pdf",
              MessageType="document"),
     {"tipo": TipoMensagem.DOCUMENTO, "tipo_original": "document"}),
    (_entrada(ButtonPayload="sim_1", ButtonText="Sim"),
     {"tipo": TipoMensagem.INTERATIVO, "conteudo": "Sim",
      "dados": {"id": "sim_1", "title": "Sim", "payload": "sim_1", "tipo_interativo": "button"}}),
    (_entrada(MessageType="reaction"),
     {"tipo": TipoMensagem.DESCONHECIDO, "tipo_original": "reaction",
      "conteudo": "[mensagem do tipo reaction não suportada]"}),
]  # fmt: skip


@pytest.mark.parametrize(("form", "campos"), SINTETICOS)
def test_outros_formatos(form, campos):
    (evento,) = Adaptador(CONFIG).interpretar(req(form))
    for campo, valor in campos.items():
        alvo = evento.remetente if campo in REMETENTE else evento
        assert getattr(alvo, campo) == valor, campo


def test_tipo_desconhecido_guarda_o_formulario_bruto():
    (evento,) = Adaptador(CONFIG).interpretar(req(_entrada()))
    assert evento.dados == {"bruto": _entrada()}
    assert evento.tipo_original == "?"


@pytest.mark.parametrize(
    ("status", "codigo", "esperado", "detalhe"),
    [
        ("read", "", StatusEntrega.LIDA, ""),
        ("undelivered", "30003", StatusEntrega.ERRO, "30003: aparelho de destino inalcançável"),
        ("failed", "63016", StatusEntrega.ERRO,
         "63016: fora da janela de 24 h do WhatsApp: envie um template aprovado"),
        ("failed", "99999", StatusEntrega.ERRO, "99999: erro do Twilio"),
        ("failed", "", StatusEntrega.ERRO, "falha sem código"),
        ("canceled", "", StatusEntrega.ERRO, "envio cancelado"),
    ],
)  # fmt: skip
def test_status(status, codigo, esperado, detalhe):
    form = {"MessageSid": "SM5", "MessageStatus": status, "From": "+12028831111",
            "To": "+5511988887777", "ErrorCode": codigo}  # fmt: skip
    (evento,) = Adaptador(CONFIG).interpretar(req(form))
    assert (evento.status, evento.erro_codigo, evento.erro_detalhe) == (esperado, codigo, detalhe)
    assert evento.conversa_id_externo == "+5511988887777"


def test_status_com_mensagem_de_erro_do_twilio():
    form = {"MessageSid": "SM5", "MessageStatus": "failed", "ErrorCode": "30007",
            "ErrorMessage": "Carrier violation"}  # fmt: skip
    (evento,) = Adaptador(CONFIG).interpretar(req(form))
    assert evento.erro_detalhe == "30007: Carrier violation"


@pytest.mark.parametrize("status", ["queued", "sending", "accepted", "scheduled"])
def test_status_intermediario_nao_gera_evento(status):
    form = {"MessageSid": "SM5", "MessageStatus": status, "From": "+12028831111"}
    assert Adaptador(CONFIG).interpretar(req(form)) == []


@pytest.mark.parametrize(
    ("form", "motivo"),
    [
        ({"From": "+1", "Body": "x"}, "MessageSid"),
        ({"MessageSid": "SM1", "Body": "x"}, "From"),
        ({"MessageStatus": "delivered"}, "MessageSid"),
        (_entrada(NumMedia="dois"), "NumMedia"),
        (_entrada(NumMedia="2", MediaUrl0="https://x/1"), "MediaUrl1"),
        (_entrada(Latitude="norte", Longitude="1"), "Latitude"),
    ],
)
def test_payload_invalido(form, motivo):
    with pytest.raises(PayloadInvalido, match=motivo):
        Adaptador(CONFIG).interpretar(req(form))


def test_corpo_que_nao_e_formulario():
    with pytest.raises(PayloadInvalido, match="formulário"):
        Adaptador(CONFIG).interpretar(req(b"\xff\xfe", assinatura="x"))
    with pytest.raises(PayloadInvalido, match="formulário"):
        Adaptador(CONFIG).interpretar(req(b"a=1&&=&b", assinatura="x"))


# ------------------------------------------------------------------------------- outbound
MENSAGENS = f"/2010-04-01/Accounts/{SID}/Messages.json"
AUTH = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()


@pytest.fixture
def twilio(api_base):
    return Adaptador({**CONFIG, "api_base_url": api_base})


def criada(sid: str = "SM0cec4ed334e74bcbb64eb8b6684e9654") -> dict:
    """Twilio's Message resource as answered by POST Messages.json (trimmed)."""
    return {
        "account_sid": SID, "api_version": "2010-04-01", "body": "oi", "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": "whatsapp:+14123456789",
        "num_media": "0", "num_segments": "1", "sid": sid, "status": "queued",
        "to": "whatsapp:+31612345678", "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json",
    }  # fmt: skip


def _formularios(httpserver) -> list[dict[str, list[str]]]:
    return [{k: r.form.getlist(k) for k in r.form} for r, _ in httpserver.log]


def test_enviar_texto_com_status_callback(api_base, httpserver):
    httpserver.expect_oneshot_request(
        MENSAGENS, method="POST", headers={"Authorization": AUTH}
    ).respond_with_json(criada(), status=201)
    adaptador = Adaptador({**CONFIG, "api_base_url": api_base, "status_callback_url": URL + "?x=1"})
    resultado = adaptador.enviar(MensagemSaida(destino="whatsapp:+31612345678", texto="Olá!"))
    assert resultado.id_externo == "SM0cec4ed334e74bcbb64eb8b6684e9654"
    assert resultado.status == StatusEntrega.ENVIADA
    assert _formularios(httpserver) == [{
        "To": ["whatsapp:+31612345678"], "From": ["whatsapp:+14123456789"], "Body": ["Olá!"],
        "StatusCallback": [URL + "?x=1"],
    }]  # fmt: skip
    (requisicao, _) = httpserver.log[0]
    assert requisicao.headers["Content-Type"] == FORM
    httpserver.check_assertions()


@pytest.mark.parametrize(
    ("numero", "destino", "para"),
    [
        ("whatsapp:+14123456789", "5511988887777", "whatsapp:+5511988887777"),  # identity digits
        ("whatsapp:+14123456789", "+55 11 98888-7777", "whatsapp:+5511988887777"),
        ("+12028831111", "5511988887777", "+5511988887777"),
        ("+12028831111", "+14133881111", "+14133881111"),
    ],
)
def test_enviar_normaliza_destino(api_base, httpserver, numero, destino, para):
    httpserver.expect_oneshot_request(MENSAGENS, method="POST").respond_with_json(
        criada(), status=201
    )
    adaptador = Adaptador({**CONFIG, "numero": numero, "api_base_url": api_base})
    adaptador.enviar(MensagemSaida(destino=destino, texto="oi"))
    assert _formularios(httpserver)[0]["To"] == [para]
    assert _formularios(httpserver)[0]["From"] == [
        Adaptador.identificador_da_config(adaptador.config)
    ]


def test_enviar_midia_por_url_e_template(twilio, httpserver):
    httpserver.expect_request(MENSAGENS, method="POST").respond_with_json(criada(), status=201)
    midia = MidiaSaida(TipoMensagem.IMAGEM, "image/jpeg", "a.jpg", url="https://cdn.exemplo/a.jpg")
    twilio.enviar(MensagemSaida(destino="whatsapp:+31612345678", texto="legenda", midia=midia))
    twilio.enviar(MensagemSaida(destino="whatsapp:+31612345678", midia=midia))
    template = TemplateSaida(
        "HXb5b62575e6e4ff6129ad7c8efe1f983e", componentes=({"1": "Ana"}, {"2": "12/03"})
    )
    twilio.enviar(MensagemSaida(destino="whatsapp:+31612345678", template=template))
    twilio.enviar(MensagemSaida(destino="whatsapp:+31612345678", template=TemplateSaida("HX1")))
    para = {"To": ["whatsapp:+31612345678"], "From": ["whatsapp:+14123456789"]}
    assert _formularios(httpserver) == [
        {**para, "Body": ["legenda"], "MediaUrl": ["https://cdn.exemplo/a.jpg"]},
        {**para, "MediaUrl": ["https://cdn.exemplo/a.jpg"]},
        {**para, "ContentSid": ["HXb5b62575e6e4ff6129ad7c8efe1f983e"],
         "ContentVariables": ['{"1": "Ana", "2": "12/03"}']},
        {**para, "ContentSid": ["HX1"]},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("mensagem", "codigo"),
    [
        (MensagemSaida(destino="+5511988887777"), "vazia"),
        (MensagemSaida(destino="", texto="oi"), "destino"),
        (MensagemSaida(destino="+5511988887777", midia=MidiaSaida(
            TipoMensagem.IMAGEM, "image/jpeg", "a.jpg", conteudo=b"JPEG")), "midia_sem_url"),
    ],
)  # fmt: skip
def test_enviar_recusado_sem_chamar_o_twilio(twilio, httpserver, mensagem, codigo):
    with pytest.raises(ErroDefinitivo) as exc:
        twilio.enviar(mensagem)
    assert exc.value.codigo == codigo
    assert httpserver.log == []


def test_config_incompleta(api_base, httpserver):
    with pytest.raises(ErroDefinitivo) as exc:
        Adaptador({"account_sid": SID, "numero": "+1202", "api_base_url": api_base}).enviar(
            MensagemSaida(destino="+5511988887777", texto="oi")
        )
    assert exc.value.codigo == "config"
    with pytest.raises(ErroDefinitivo) as exc:
        Adaptador({**CONFIG, "numero": "", "api_base_url": api_base}).enviar(
            MensagemSaida(destino="+5511988887777", texto="oi")
        )
    assert exc.value.codigo == "config"
    assert httpserver.log == []


def test_resposta_sem_sid(twilio, httpserver):
    httpserver.expect_request(MENSAGENS).respond_with_json({"status": "queued"}, status=201)
    with pytest.raises(ErroDefinitivo, match="sem sid"):
        twilio.enviar(MensagemSaida(destino="+5511988887777", texto="oi"))


def _erro(codigo: int, mensagem: str, status: int) -> dict:
    return {"code": codigo, "message": mensagem, "more_info": f"https://www.twilio.com/docs/errors/{codigo}",
            "status": status}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "corpo", "erro", "codigo", "detalhe"),
    [
        (400, _erro(21211, "The 'To' number 5551234567 is not a valid phone number.", 400),
         ErroDefinitivo, "21211", "21211: The 'To' number 5551234567 is not a valid phone number."),
        (400, _erro(21610, "Attempt to send to unsubscribed recipient", 400),
         ErroDefinitivo, "21610", "21610: Attempt to send to unsubscribed recipient"),
        (400, _erro(63016, "Failed to send freeform message because you are outside the allowed "
                           "window.", 400),
         ErroDefinitivo, "63016", "63016: Failed to send freeform message because you are outside "
                                  "the allowed window."),
        (401, _erro(20003, "Authenticate", 401), ErroDefinitivo, "20003", "20003: Authenticate"),
        (500, _erro(20500, "Internal Server Error", 500), ErroTransitorio, "20500",
         "20500: Internal Server Error"),
        (503, "<html>Service Unavailable</html>", ErroTransitorio, "503",
         "503: <html>Service Unavailable</html>"),
        (404, "", ErroDefinitivo, "404", "404: sem descrição"),
        (400, {"type": "https://www.twilio.com/docs/errors/20001", "title": "Invalid parameter",
               "status": 400, "code": 20001, "detail": "Body is too long"},
         ErroDefinitivo, "20001", "20001: Body is too long"),
    ],
)  # fmt: skip
def test_mapeamento_de_erros(twilio, httpserver, status, corpo, erro, codigo, detalhe):
    texto = json.dumps(corpo) if isinstance(corpo, dict) else corpo
    httpserver.expect_request(MENSAGENS).respond_with_data(
        texto, status=status, content_type="application/json"
    )
    with pytest.raises(erro) as exc:
        twilio.enviar(MensagemSaida(destino="+5511988887777", texto="oi"))
    assert (exc.value.codigo, exc.value.detalhe) == (codigo, detalhe)


def test_429_respeita_retry_after(twilio, httpserver):
    httpserver.expect_request(MENSAGENS).respond_with_json(
        _erro(20429, "Too Many Requests", 429), status=429, headers={"Retry-After": "7"}
    )
    with pytest.raises(ErroTransitorio) as exc:
        twilio.enviar(MensagemSaida(destino="+5511988887777", texto="oi"))
    assert (exc.value.codigo, exc.value.retry_after) == ("20429", 7.0)


def test_timeout_e_conexao_recusada_sao_transitorios(twilio, httpserver, porta_fechada):
    def lento(request):
        time.sleep(0.5)
        return Response(json.dumps(criada()), status=201, content_type="application/json")

    httpserver.expect_request(MENSAGENS).respond_with_handler(lento)
    twilio.timeout_segundos = 0.1
    with pytest.raises(ErroTransitorio) as exc:
        twilio.enviar(MensagemSaida(destino="+5511988887777", texto="oi"))
    assert exc.value.codigo == "timeout"
    fora = Adaptador({**CONFIG, "api_base_url": f"http://127.0.0.1:{porta_fechada}"})
    with pytest.raises(ErroTransitorio) as exc:
        fora.enviar(MensagemSaida(destino="+5511988887777", texto="oi"))
    assert exc.value.codigo == "conexao"
    assert TOKEN not in exc.value.detalhe


def test_variaveis_de_ambiente_do_sdk_nao_desviam_o_envio(twilio, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    httpserver.expect_oneshot_request(MENSAGENS).respond_with_json(criada(), status=201)
    twilio.enviar(MensagemSaida(destino="+5511988887777", texto="oi"))
    httpserver.check_assertions()


# ------------------------------------------------------------------------------- media download
def test_baixar_midia_segue_o_redirecionamento_sem_credenciais(twilio, httpserver):
    caminho = f"/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    httpserver.expect_oneshot_request(caminho, headers={"Authorization": AUTH}).respond_with_data(
        "", status=307, headers={"Location": "/cdn/media.twiliocdn.com/abc?Expires=1"}
    )
    vistos = []

    def cdn(request):
        vistos.append(request.headers.get("Authorization"))
        return Response(b"\xff\xd8JPEG", content_type="image/jpeg")

    httpserver.expect_oneshot_request("/cdn/media.twiliocdn.com/abc").respond_with_handler(cdn)
    baixada = twilio.baixar_midia(MidiaRef(ref=httpserver.url_for(caminho), mime="image/jpeg"))
    assert (baixada.conteudo, baixada.mime, baixada.nome) == (
        b"\xff\xd8JPEG",
        "image/jpeg",
        "ME1.jpg",
    )
    assert vistos == [None]
    httpserver.check_assertions()


def test_baixar_midia_direta_e_credenciais_so_para_a_api(twilio, httpserver, settings):
    vistos = []

    def servir(request):
        vistos.append(request.headers.get("Authorization"))
        return Response(b"OggS", content_type="application/octet-stream")

    httpserver.expect_request("/m/ME2").respond_with_handler(servir)
    baixada = twilio.baixar_midia(MidiaRef(ref=httpserver.url_for("/m/ME2"), mime="audio/ogg"))
    assert (baixada.conteudo, baixada.mime, baixada.nome) == (b"OggS", "audio/ogg", "ME2.oga")
    # same server under another host name: another origin, refused unless listed as a media
    # host, and then fetched without credentials
    outro = httpserver.url_for("/m/ME2").replace("localhost", "127.0.0.1")
    with pytest.raises(ErroDefinitivo) as exc:
        twilio.baixar_midia(MidiaRef(ref=outro))
    assert exc.value.codigo == "midia_host"
    settings.TWILIO_HOSTS_MIDIA = [outro.rsplit("/m/", 1)[0]]
    twilio.baixar_midia(MidiaRef(ref=outro))
    httpserver.expect_request("/m/cat.jpg").respond_with_handler(servir)
    assert twilio.baixar_midia(MidiaRef(ref=httpserver.url_for("/m/cat.jpg"))).nome == "cat.jpg"
    assert vistos == [AUTH, None, AUTH]
    assert twilio._host_da_api("https://api.twilio.com/2010-04-01/x") is True
    assert twilio._host_da_api("https://media.twiliocdn.com/x") is False
    assert twilio._host_da_api("http://api.twilio.com/x") is False
    assert twilio._host_da_api("http://[::1") is False
    settings.TWILIO_HOSTS_MIDIA = ["api.twilio.com", ".twiliocdn.com"]
    assert twilio._host_de_midia("https://media.twiliocdn.com/x") is True
    assert twilio._host_de_midia("https://api.twilio.com/2010-04-01/x") is True
    assert twilio._host_de_midia("http://media.twiliocdn.com/x") is False
    assert twilio._host_de_midia("https://twiliocdn.com.evil.example/x") is False
    assert twilio._host_de_midia("https://169.254.169.254/latest/meta-data") is False


def test_baixar_midia_limites_e_erros(twilio, httpserver):
    with pytest.raises(ErroDefinitivo) as exc:
        twilio.baixar_midia(MidiaRef(ref="https://api.twilio.com/x", tamanho=16 * 1024 * 1024 + 1))
    assert exc.value.codigo == "midia_grande"
    httpserver.expect_request("/m/grande").respond_with_data(b"x" * 2048)
    twilio.limite_download_bytes = 1024
    with pytest.raises(ErroDefinitivo) as exc:
        twilio.baixar_midia(MidiaRef(ref=httpserver.url_for("/m/grande")))
    assert exc.value.codigo == "midia_grande"
    httpserver.expect_request("/m/sumiu").respond_with_json(
        _erro(20404, "The requested resource was not found", 404), status=404
    )
    with pytest.raises(ErroDefinitivo) as exc:
        twilio.baixar_midia(MidiaRef(ref=httpserver.url_for("/m/sumiu")))
    assert exc.value.detalhe == "20404: The requested resource was not found"
    assert len(httpserver.log) == 2  # the oversized declared size made no request


# ------------------------------------------------------------------------------- the rest
CONTA = f"/2010-04-01/Accounts/{SID}.json"


def conta(status: str) -> dict:
    return {"sid": SID, "friendly_name": "Loja Exemplo", "status": status, "type": "Full",
            "auth_token": "nunca-usado", "uri": CONTA}  # fmt: skip


def test_testar_conexao(twilio, httpserver):
    httpserver.expect_oneshot_request(
        CONTA, method="GET", headers={"Authorization": AUTH}
    ).respond_with_json(conta("active"))
    resultado = twilio.testar_conexao()
    assert resultado.ok is True
    assert resultado.detalhe == "conta Loja Exemplo (active)"
    assert resultado.dados == {
        "account_sid": SID,
        "nome": "Loja Exemplo",
        "status": "active",
        "numero": "whatsapp:+14123456789",
    }
    httpserver.expect_oneshot_request(CONTA).respond_with_json(conta("suspended"))
    assert twilio.testar_conexao().ok is False


def test_testar_conexao_falhando(twilio, httpserver):
    httpserver.expect_request(CONTA).respond_with_json(
        _erro(20003, "Authenticate", 401), status=401
    )
    resultado = twilio.testar_conexao()
    assert (resultado.ok, resultado.detalhe, dict(resultado.dados)) == (
        False,
        "20003: Authenticate",
        {"codigo": "20003"},
    )
    incompleta = Adaptador({"account_sid": SID}).testar_conexao()
    assert (incompleta.ok, incompleta.detalhe) == (
        False,
        "configuração incompleta: auth_token, numero",
    )


NUMEROS = f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json"


def test_registrar_webhook_atualiza_o_sms_url(api_base, httpserver):
    sms = Adaptador({**CONFIG, "numero": "+1 202 883 1111", "api_base_url": api_base})
    httpserver.expect_oneshot_request(
        NUMEROS, method="GET", query_string={"PhoneNumber": "+12028831111", "PageSize": "1"}
    ).respond_with_json(
        {
            "incoming_phone_numbers": [{"sid": "PN3f94", "phone_number": "+12028831111"}],
            "next_page_uri": None,
            "page": 0,
            "page_size": 1,
        }
    )
    httpserver.expect_oneshot_request(
        f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/PN3f94.json",
        method="POST",
        data=urlencode({"SmsMethod": "POST", "SmsUrl": URL}),
    ).respond_with_json({"sid": "PN3f94", "sms_url": URL, "sms_method": "POST"})
    sms.registrar_webhook(URL)
    httpserver.check_assertions()


def test_registrar_webhook_numero_de_outra_conta_ou_whatsapp(api_base, httpserver, twilio):
    sms = Adaptador({**CONFIG, "numero": "+12028831111", "api_base_url": api_base})
    httpserver.expect_request(NUMEROS).respond_with_json(
        {"incoming_phone_numbers": [], "next_page_uri": None, "page": 0, "page_size": 1}
    )
    with pytest.raises(ErroDefinitivo, match=r"\+12028831111 não está na conta") as exc:
        sms.registrar_webhook(URL)
    assert exc.value.codigo == "numero"
    assert "números da conta: nenhum" in exc.value.detalhe
    with pytest.raises(OperacaoNaoSuportada, match="console"):
        twilio.registrar_webhook(URL)
    assert len(httpserver.log) == 2  # the number looked up, then the account's numbers listed


def test_operacoes_nao_suportadas(twilio):
    with pytest.raises(OperacaoNaoSuportada):
        twilio.marcar_lida(destino="whatsapp:+31612345678", id_externo="SM1")
    with pytest.raises(OperacaoNaoSuportada):
        twilio.digitando(destino="whatsapp:+31612345678")
