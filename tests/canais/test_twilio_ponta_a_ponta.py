"""Twilio end to end: every fixture through the real webhook URL with its real
``X-Twilio-Signature`` (forged ones refused, nothing stored), media downloaded only from
Twilio's hosts with the account's credentials, statuses moving forward only with the reason
shown, the outbound MMS fetched by a local server speaking Twilio's REST API from our signed
URL (refused after its TTL), WhatsApp-via-Twilio templates, activation and deactivation."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from werkzeug import Response

from atendimento.exceptions import RegraNegocio
from atendimento.models import Contato, EventoWebhook, Mensagem
from atendimento.services.saida import mensagem_enviar, mensagem_enviar_midia
from tests.factories import MensagemFactory, TemplateFactory, TicketFactory

from .twilio_apoio import MENSAGENS, SID, TOKEN, assinar, canal_twilio, criada, postar_twilio
from .webhook_apoio import (  # noqa: F401 - celery_eager, midia_em_tmp: fixtures
    FIXTURES,
    NADA,
    celery_eager,
    contagens,
    midia_em_tmp,
    url_webhook,
)

pytestmark = pytest.mark.usefixtures("celery_eager_twilio")

AUTH = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
SM = "SMe287d7109a5a925f182f0e07fe5b223b"


@pytest.fixture
def celery_eager_twilio(celery_eager, midia_em_tmp, settings):  # noqa: F811
    # no fixture may reach the real api.twilio.com: media hosts are the local server's only
    settings.TWILIO_HOSTS_MIDIA = []
    return


#: fixture -> (our channel's number, [(tipo, conteudo, midia_status)], conversation)
ENTRADAS = {
    "inbound_sms_courier.txt": ("+12028831111", [("texto", "Msg", "")], "+14133881111"),
    "inbound_mms_two_media_courier.txt": (
        "+12028831111",
        [("imagem", "Msg", "erro"), ("imagem", "", "erro")],  # relative URLs: never fetched
        "+14133881111",
    ),
    "inbound_whatsapp_button_courier.txt": (
        "whatsapp:+12028831111", [("interativo", "Confirm", "")], "whatsapp:+14133881111",
    ),
    "inbound_whatsapp_text_botbuilder.txt": (
        "whatsapp:+14123456789", [("texto", "test", "")], "whatsapp:+31612345678",
    ),
    "inbound_whatsapp_image_botbuilder.txt": (  # api.twilio.com is not a host of this test
        "whatsapp:+14123456789", [("imagem", "", "erro")], "whatsapp:+31612345678",
    ),
    "inbound_whatsapp_location_botbuilder.txt": (
        "whatsapp:+14123456789", [("localizacao", None, "")], "whatsapp:+31612345678",
    ),
}  # fmt: skip
#: fixture -> (our channel's number, message sid, final status, text in erro_detalhe)
STATUS = {
    "status_delivered_courier.txt": ("+12028831111", SM, "entregue", ""),
    "status_failed_21610_stop_courier.txt": ("+12028831111", SM, "erro", "respondeu STOP"),
    "status_failed_63018_courier.txt": ("+12028831111", SM, "erro", "limite de taxa"),
    "status_whatsapp_sent_botbuilder.txt": (
        "whatsapp:+14123456789", "SM0cec4ed334e74bcbb64eb8b6684e9654", "enviada", "",
    ),
    "status_whatsapp_delivered_botbuilder.txt": (
        "whatsapp:+14123456789", "SMdf55df64a2ff4920bb0748193cfbb640", "entregue", "",
    ),
}  # fmt: skip


def test_toda_fixture_do_twilio_esta_coberta():
    brutos = {p.name for p in (FIXTURES / "twilio").glob("*.txt")}
    assert brutos == set(ENTRADAS) | set(STATUS)


@pytest.mark.parametrize("nome", sorted(ENTRADAS))
def test_entrada_pela_url_real_fica_armazenada(
    nome, client, empresa, fila, django_capture_on_commit_callbacks
):
    numero, esperadas, conversa = ENTRADAS[nome]
    canal = canal_twilio(empresa, fila, numero)
    corpo = (FIXTURES / "twilio" / nome).read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_twilio(client, empresa.id, corpo)
        repetida = postar_twilio(client, empresa.id, corpo)  # Twilio retrying: same MessageSid

    assert (resposta.status_code, repetida.status_code) == (200, 200)
    assert resposta["Content-Type"] == "text/xml"
    evento = EventoWebhook.objects.get()
    assert (evento.canal_id, evento.status, bytes(evento.corpo)) == (canal.id, "processado", corpo)
    assert "x-twilio-signature" in evento.cabecalhos
    mensagens = list(Mensagem.objects.order_by("id_externo"))
    assert [(m.tipo, m.midia_status) for m in mensagens] == [(t, s) for t, _, s in esperadas]
    for mensagem, (_, conteudo, _) in zip(mensagens, esperadas, strict=True):
        if conteudo is not None:
            assert mensagem.conteudo == conteudo
        assert mensagem.ticket.conversa_id_externo == conversa
        assert mensagem.direcao == "entrada"
    if esperadas[0][2] == "erro":
        assert "fora dos servidores do Twilio" in mensagens[0].dados["midia_erro"]


@pytest.mark.parametrize("nome", sorted(STATUS))
def test_status_pela_url_real_move_a_mensagem(
    nome, client, empresa, fila, django_capture_on_commit_callbacks
):
    numero, sid, final, erro = STATUS[nome]
    canal = canal_twilio(empresa, fila, numero)
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    enviada = MensagemFactory(
        ticket=ticket, direcao="saida", remetente_tipo="atendente", status="pendente",
        id_externo=sid,
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_twilio(client, empresa.id, (FIXTURES / "twilio" / nome).read_bytes())

    assert resposta.status_code == 200
    assert EventoWebhook.objects.get().status == "processado"
    enviada.refresh_from_db()
    assert enviada.status == final
    assert erro in enviada.erro_detalhe
    ticket.contato.refresh_from_db()
    if "21610" in nome:  # STOP: the contact is opted out of bulk sends
        assert ticket.contato.opt_out_em is not None
        assert "STOP" in ticket.contato.opt_out_motivo
    else:
        assert ticket.contato.opt_out_em is None


@pytest.mark.parametrize(
    "alteracao",
    ["assinatura de outro token", "corpo alterado", "sem assinatura", "outra URL"],
)
def test_webhook_forjado_recusado_sem_gravar(client, empresa, fila, alteracao):
    canal_twilio(empresa, fila, "+12028831111")
    corpo = (FIXTURES / "twilio" / "inbound_sms_courier.txt").read_bytes()
    url = "http://testserver" + url_webhook("twilio", empresa.id)
    assinatura = {
        "assinatura de outro token": assinar(url, corpo, token="outro-token"),
        "corpo alterado": assinar(url, corpo.replace(b"Body=Msg", b"Body=Oi")),
        "sem assinatura": "",
        "outra URL": assinar(url + "?x=1", corpo),
    }[alteracao]
    resposta = client.post(
        url_webhook("twilio", empresa.id),
        data=corpo,
        content_type="application/x-www-form-urlencoded",
        **({"HTTP_X_TWILIO_SIGNATURE": assinatura} if assinatura else {}),
    )
    assert resposta.status_code == 401
    assert contagens() == NADA


def test_assinatura_sobre_a_url_publica_atras_do_proxy(client, empresa, fila, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    canal_twilio(empresa, fila, "+12028831111")
    corpo = (FIXTURES / "twilio" / "inbound_sms_courier.txt").read_bytes()
    # Twilio called https://…: the signature over the https URL is accepted behind the proxy
    assert postar_twilio(client, empresa.id, corpo, HTTP_X_FORWARDED_PROTO="https").status_code
    assert EventoWebhook.objects.count() == 1


def test_webhook_de_outra_empresa_nao_chega_ao_canal(client, empresa, outra_empresa, fila):
    canal_twilio(empresa, fila, "+12028831111")
    corpo = (FIXTURES / "twilio" / "inbound_sms_courier.txt").read_bytes()
    assert postar_twilio(client, outra_empresa.id, corpo).status_code == 404
    assert contagens() == NADA


# ------------------------------------------------------------------------------- media in
def test_midia_baixada_com_as_credenciais_da_conta(
    client, empresa, fila, httpserver, django_capture_on_commit_callbacks
):
    base = httpserver.url_for("").rstrip("/")
    canal_twilio(empresa, fila, "whatsapp:+14123456789", api_base_url=base)
    caminho = f"/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    autorizacoes = []

    def servir(request):
        autorizacoes.append(request.headers.get("Authorization"))
        return Response(b"\xff\xd8JPEG", content_type="image/jpeg")

    httpserver.expect_request(caminho).respond_with_handler(servir)
    formulario = {
        "MessageSid": "MM1", "AccountSid": SID, "From": "whatsapp:+5511988887777",
        "To": "whatsapp:+14123456789", "NumMedia": "2", "Body": "",
        "MediaUrl0": base + caminho, "MediaContentType0": "image/jpeg",
        # a MediaUrl outside Twilio's hosts (SSRF): refused, never requested
        "MediaUrl1": "http://169.254.169.254/latest/meta-data/", "MediaContentType1": "image/png",
    }  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert postar_twilio(client, empresa.id, formulario).status_code == 200

    primeira, segunda = Mensagem.objects.order_by("id_externo")
    assert (primeira.midia_status, primeira.midia_arquivo.read()) == ("disponivel", b"\xff\xd8JPEG")
    assert autorizacoes == [AUTH]
    assert segunda.midia_status == "erro"
    assert "fora dos servidores do Twilio" in segunda.dados["midia_erro"]


# ------------------------------------------------------------------------------- statuses
def _status(sid: str, status: str, codigo: str = "") -> dict:
    campos = {"MessageSid": sid, "MessageStatus": status, "AccountSid": SID,
              "From": "whatsapp:+14123456789", "To": "whatsapp:+5511988887777"}  # fmt: skip
    if codigo:
        campos["ErrorCode"] = codigo
    return campos


def test_status_so_avanca_e_o_motivo_aparece(
    client, empresa, fila, django_capture_on_commit_callbacks
):
    canal = canal_twilio(empresa, fila, "whatsapp:+14123456789")
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    lida = MensagemFactory(ticket=ticket, direcao="saida", status="enviada", id_externo="SM1")
    fora = MensagemFactory(ticket=ticket, direcao="saida", status="enviada", id_externo="SM2")

    with django_capture_on_commit_callbacks(execute=True):
        for campos in (_status("SM1", "read"), _status("SM1", "delivered"),
                       _status("SM1", "sent"), _status("SM2", "undelivered", "63016")):  # fmt: skip
            assert postar_twilio(client, empresa.id, campos).status_code == 200

    lida.refresh_from_db()
    fora.refresh_from_db()
    assert lida.status == "lida"  # delivered and sent after read changed nothing
    assert (fora.status, fora.erro_codigo) == ("erro", "63016")
    assert (
        fora.erro_detalhe == "63016: fora da janela de 24 h do WhatsApp: envie um template aprovado"
    )


# ------------------------------------------------------------------------------- media out
def test_mms_sai_com_url_assinada_que_expira(
    client, empresa, fila, atendente, httpserver, settings, django_capture_on_commit_callbacks
):
    settings.URL_PUBLICA = "https://crm.exemplo.com"
    settings.MIDIA_PUBLICA_SEGUNDOS = 300
    canal = canal_twilio(empresa, fila, "+12028831111", api_base_url=httpserver.url_for("")[:-1])
    ticket = TicketFactory(
        empresa=empresa, canal=canal, fila=fila, conversa_id_externo="+5511988887777"
    )
    httpserver.expect_request(
        MENSAGENS, method="POST", headers={"Authorization": AUTH}
    ).respond_with_json(criada("MM900"), status=201)
    arquivo = SimpleUploadedFile("foto.jpg", b"\xff\xd8JPEG-da-foto", content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar_midia(
            atendente=atendente, ticket=ticket, arquivo=arquivo, legenda="Segue a foto"
        )

    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo) == ("enviada", "MM900")
    ((requisicao, _),) = httpserver.log
    form = parse_qs(requisicao.get_data(as_text=True))
    assert (form["To"], form["From"], form["Body"]) == (
        ["+5511988887777"],
        ["+12028831111"],
        ["Segue a foto"],
    )
    (media_url,) = form["MediaUrl"]
    partes = urlsplit(media_url)
    assert (partes.scheme, partes.netloc) == ("https", "crm.exemplo.com")
    assert str(mensagem.pk) in partes.path  # one file, signed: not guessable without the key

    servida = client.get(partes.path)  # no session: Twilio has none
    assert servida.status_code == 200
    assert b"".join(servida.streaming_content) == b"\xff\xd8JPEG-da-foto"
    assert servida["Content-Type"] == "image/jpeg"
    adulterada = partes.path.replace(str(mensagem.pk)[:8], "00000000")
    assert client.get(adulterada).status_code == 404

    with time_machine.travel(timezone.now() + timedelta(seconds=301), tick=False):
        assert client.get(partes.path).status_code == 410


def test_url_publica_vem_do_webhook_registrado_sem_url_publica(
    empresa, fila, atendente, httpserver, settings, django_capture_on_commit_callbacks
):
    settings.URL_PUBLICA = ""
    canal = canal_twilio(
        empresa, fila, "+12028831111", api_base_url=httpserver.url_for("")[:-1],
        config={"status_callback_url": "https://atendimento.exemplo.org/api/atendimento/webhooks/twilio/x/"},
    )  # fmt: skip
    ticket = TicketFactory(
        empresa=empresa, canal=canal, fila=fila, conversa_id_externo="+5511900000000"
    )
    httpserver.expect_request(MENSAGENS, method="POST").respond_with_json(
        criada("MM901"), status=201
    )
    arquivo = SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        mensagem_enviar_midia(atendente=atendente, ticket=ticket, arquivo=arquivo)
    ((requisicao, _),) = httpserver.log
    form = parse_qs(requisicao.get_data(as_text=True))
    assert form["MediaUrl"][0].startswith("https://atendimento.exemplo.org/midia/publica/")
    assert form["StatusCallback"] == [canal.config["status_callback_url"]]


def test_midia_de_entrada_nao_e_servida_publicamente(client, empresa, fila):
    from atendimento.services.midia_publica import midia_publica_url

    canal = canal_twilio(empresa, fila, "+12028831111")
    recebida = MensagemFactory(ticket=TicketFactory(empresa=empresa, canal=canal, fila=fila))
    recebida.midia_arquivo.name = "x/recebida.jpg"
    recebida.save()
    url = midia_publica_url(recebida, base="https://crm.exemplo.com")
    assert client.get(urlsplit(url).path).status_code == 404


# ------------------------------------------------------------------------------- templates
def test_whatsapp_via_twilio_fora_da_janela_so_template(
    empresa, fila, atendente, httpserver, django_capture_on_commit_callbacks
):
    canal = canal_twilio(
        empresa, fila, "whatsapp:+14123456789", api_base_url=httpserver.url_for("")[:-1]
    )
    ticket = TicketFactory(
        empresa=empresa, canal=canal, fila=fila, conversa_id_externo="whatsapp:+5511988887777",
        ultima_entrada_em=timezone.now() - timedelta(hours=30),
    )  # fmt: skip
    ticket.contato.nome = "Ana Souza"
    ticket.contato.save()
    with pytest.raises(RegraNegocio, match="janela de 24 horas"):
        mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Oi!")
    template = TemplateFactory(
        empresa=empresa, tipo="whatsapp", nome="Pedido enviado",
        nome_whatsapp="HXb5b62575e6e4ff6129ad7c8efe1f983e",
        conteudo="Olá {{1}}, seu pedido saiu.", componentes=[],
        variaveis={"1": "{{contato.primeiro_nome}}"},
    )  # fmt: skip
    httpserver.expect_request(MENSAGENS, method="POST").respond_with_json(
        criada("SM77"), status=201
    )

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, template=template)

    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.conteudo) == ("enviada", "Olá Ana, seu pedido saiu.")
    ((requisicao, _),) = httpserver.log
    form = parse_qs(requisicao.get_data(as_text=True))
    assert form["ContentSid"] == ["HXb5b62575e6e4ff6129ad7c8efe1f983e"]
    assert form["ContentVariables"] == ['{"1": "Ana"}']
    assert "Body" not in form


# ------------------------------------------------------------------------------- activation
NUMEROS = f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json"


def _numeros(*numeros: tuple[str, str, str]) -> dict:
    return {
        "incoming_phone_numbers": [
            {"sid": sid, "phone_number": numero, "sms_url": url} for sid, numero, url in numeros
        ],
        "next_page_uri": None, "page": 0, "page_size": 20,
    }  # fmt: skip


def test_ativar_e_desativar_pelo_sms_url(api_supervisor, empresa, fila, httpserver):
    canal = canal_twilio(
        empresa, fila, "+12028831111", api_base_url=httpserver.url_for("")[:-1], ativo=False
    )
    nosso = f"http://testserver/api/atendimento/webhooks/twilio/{empresa.id}/"
    httpserver.expect_request(NUMEROS, method="GET").respond_with_json(
        _numeros(("PN1", "+12028831111", nosso))
    )
    atualizacoes = []

    def atualizar(request):
        atualizacoes.append(parse_qs(request.get_data(as_text=True), keep_blank_values=True))
        return Response('{"sid": "PN1"}', content_type="application/json")

    httpserver.expect_request(
        f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/PN1.json", method="POST"
    ).respond_with_handler(atualizar)

    ativado = api_supervisor.post(f"/api/atendimento/canais/{canal.id}/ativar/")
    assert ativado.status_code == 200, ativado.content
    canal.refresh_from_db()
    assert canal.ativo
    assert canal.webhook_registrado_em is not None
    assert canal.config["status_callback_url"] == nosso
    desativado = api_supervisor.post(f"/api/atendimento/canais/{canal.id}/desativar/")
    assert desativado.status_code == 200
    canal.refresh_from_db()
    assert (canal.ativo, canal.webhook_registrado_em) == (False, None)
    assert atualizacoes == [
        {"SmsUrl": [nosso], "SmsMethod": ["POST"]},
        {"SmsUrl": [""]},  # Desativar: only because it still pointed at us
    ]


def test_ativar_numero_fora_da_conta_422_com_o_motivo(api_supervisor, empresa, fila, httpserver):
    canal = canal_twilio(
        empresa, fila, "+12028831111", api_base_url=httpserver.url_for("")[:-1], ativo=False
    )

    def listar(request):
        if request.args.get("PhoneNumber"):
            return Response('{"incoming_phone_numbers": [], "next_page_uri": null}',
                            content_type="application/json")  # fmt: skip
        return Response(
            '{"incoming_phone_numbers": [{"sid": "PN9", "phone_number": "+14155550100"}],'
            ' "next_page_uri": null}',
            content_type="application/json",
        )

    httpserver.expect_request(NUMEROS, method="GET").respond_with_handler(listar)
    resposta = api_supervisor.post(f"/api/atendimento/canais/{canal.id}/ativar/")
    assert resposta.status_code == 422
    detalhe = resposta.json()["detail"]
    assert "+12028831111 não está na conta" in detalhe
    assert "+14155550100" in detalhe
    canal.refresh_from_db()
    assert canal.ativo is False


def test_messaging_service_no_lugar_do_numero(
    api_supervisor, client, empresa, fila, httpserver, django_capture_on_commit_callbacks
):
    base = httpserver.url_for("")[:-1]
    criado = api_supervisor.post(
        "/api/atendimento/canais/",
        {"tipo": "twilio", "nome": "SMS serviço", "config": {
            "account_sid": SID, "auth_token": TOKEN, "api_base_url": base,
            "messaging_service_sid": "MG1234567890abcdef1234567890abcdef"}},
        format="json",
    )  # fmt: skip
    assert criado.status_code == 201, criado.content
    canal_id = criado.json()["id"]
    servico = "/v1/Services/MG1234567890abcdef1234567890abcdef"
    corpos = []

    def atualizar(request):
        corpos.append(parse_qs(request.get_data(as_text=True), keep_blank_values=True))
        return Response('{"sid": "MG1234567890abcdef1234567890abcdef"}',
                        content_type="application/json")  # fmt: skip

    httpserver.expect_request(servico, method="POST").respond_with_handler(atualizar)
    assert api_supervisor.post(f"/api/atendimento/canais/{canal_id}/ativar/").status_code == 200
    nosso = f"http://testserver/api/atendimento/webhooks/twilio/{empresa.id}/"
    assert corpos == [
        {"InboundRequestUrl": [nosso], "InboundMethod": ["POST"], "StatusCallback": [nosso]}
    ]
    # a message to any number of the service reaches this channel
    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_twilio(client, empresa.id, {
            "MessageSid": "SM5", "AccountSid": SID, "From": "+5511988887777",
            "To": "+14155559999", "Body": "Oi", "NumMedia": "0",
            "MessagingServiceSid": "MG1234567890abcdef1234567890abcdef"})  # fmt: skip
    assert resposta.status_code == 200
    assert str(Mensagem.objects.get().canal_id) == canal_id
    assert Contato.objects.count() == 1
