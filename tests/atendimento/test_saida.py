"""The outbound services: store before sending, first response, the WhatsApp 24 h window,
templates and quick replies, media limits, delivery states that never move back, read marks,
re-sending, batches, and a broker that is down."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from atendimento.exceptions import ArquivoGrande, NaoEncontrado, RegraNegocio, TipoNaoSuportado
from atendimento.models import Historico, Mensagem, Template, Ticket
from atendimento.services.saida import (
    enviar_lote,
    mensagem_aplicar_status,
    mensagem_enviar,
    mensagem_enviar_midia,
    mensagem_reenviar,
    mensagens_marcar_lidas,
)
from atendimento.services.templates import template_renderizar
from canais.adapters.base import StatusEntrada, StatusEntrega
from canais.adapters.whatsapp import parse as whatsapp_parse
from conectcrm.celery import app as celery_app
from tests.factories import EmpresaFactory, TemplateFactory
from tests.saida_apoio import (
    PNID,
    WAMID,
    OuvinteEventos,
    canal_telegram_local,
    canal_whatsapp_local,
    entrada,
    saida_pendente,
    ticket_aberto,
)

CLIENTE = "5511987654321"
CAMINHO = f"/v23.0/{PNID}/messages"


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
def eager(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def resposta_envio(fixture_bytes):
    return json.loads(fixture_bytes("whatsapp/outbound_send_text_response_metadocs.json"))


@pytest.fixture
def midia_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _arquivos(pasta) -> list:
    return [p for p in pasta.rglob("*") if p.is_file()]


# ------------------------------------------------------------------------------- sending text
def test_mensagem_e_guardada_pendente_antes_do_envio(
    ticket, atendente, httpserver, resposta_envio, eager, django_capture_on_commit_callbacks
):
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(resposta_envio)

    with django_capture_on_commit_callbacks() as depois_do_commit:
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo=" Bom dia! ")

    guardada = Mensagem.objects.get(pk=mensagem.pk)
    assert (guardada.direcao, guardada.remetente_tipo, guardada.status) == (
        Mensagem.Direcao.SAIDA,
        Mensagem.Remetente.ATENDENTE,
        Mensagem.Status.PENDENTE,
    )
    assert (guardada.atendente, guardada.remetente_nome, guardada.conteudo) == (
        atendente,
        "Beto Atendente",
        "Bom dia!",
    )
    assert guardada.data is not None
    assert guardada.id_externo is None
    assert httpserver.log == []  # nothing leaves before the commit

    for callback in depois_do_commit:
        callback()

    guardada.refresh_from_db()
    assert (guardada.status, guardada.id_externo) == (Mensagem.Status.ENVIADA, WAMID)


def test_primeira_resposta_poe_o_ticket_em_atendimento(
    ticket, atendente, ouvinte, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("canais.tasks.envio.enviar_mensagem.apply_async", lambda *a, **k: None)
    assert (ticket.status, ticket.primeira_resposta_em) == (Ticket.Status.ABERTO, None)

    with django_capture_on_commit_callbacks(execute=True):
        primeira = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Olá!")
        segunda = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Um momento.")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.EM_ATENDIMENTO
    assert ticket.primeira_resposta_em == primeira.data
    assert ticket.ultima_mensagem_em == segunda.data
    assert ticket.ultima_mensagem_resumo == "Um momento."
    assert ticket.total_mensagens == 2
    # the reply also made the unassigned ticket this agent's (Fila.assumir_ao_responder)
    assert ticket.atendente_id == atendente.pk
    (historico,) = Historico.objects.filter(ticket=ticket, acao=Historico.Acao.STATUS)
    assert (historico.acao, historico.atendente, historico.dados) == (
        Historico.Acao.STATUS,
        atendente,
        {"de": "aberto", "para": "em_atendimento"},
    )
    eventos = ouvinte.recebidos()
    assert [nome for nome, _ in eventos] == [
        "nova_mensagem",
        "ticket_atualizado",
        "ticket_atualizado",  # assigned to the agent who replied
        "nova_mensagem",
        "ticket_atualizado",
    ]
    assert eventos[2][1]["atendente"] == str(atendente.pk)
    assert eventos[0][1]["status"] == "pendente"
    assert eventos[0][1]["conteudo"] == "Olá!"
    assert eventos[1][1]["status"] == "em_atendimento"


@pytest.mark.parametrize(
    "ultima_entrada", [timedelta(hours=24, seconds=1), timedelta(days=3), None]
)
def test_texto_fora_da_janela_de_24h_e_recusado(
    ticket, atendente, httpserver, ouvinte, ultima_entrada, django_capture_on_commit_callbacks
):
    ticket.ultima_entrada_em = timezone.now() - ultima_entrada if ultima_entrada else None
    ticket.save()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RegraNegocio) as erro:
        mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Olá, tudo bem?")

    assert erro.value.status_http == 422
    assert "janela de 24 horas" in erro.value.detalhe
    assert "template aprovado do WhatsApp" in erro.value.detalhe
    assert not Mensagem.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.total_mensagens) == (Ticket.Status.ABERTO, 0)
    assert httpserver.log == []
    assert ouvinte.recebidos() == []


def test_resposta_rapida_fora_da_janela_tambem_e_texto_livre(ticket, atendente, empresa):
    ticket.ultima_entrada_em = timezone.now() - timedelta(days=2)
    ticket.save()
    rapida = TemplateFactory(empresa=empresa, conteudo="Oi {{contato.nome}}")

    with pytest.raises(RegraNegocio):
        mensagem_enviar(atendente=atendente, ticket=ticket, template=rapida)

    assert not Mensagem.objects.filter(ticket=ticket).exists()


def test_template_aprovado_sai_fora_da_janela(
    ticket, atendente, empresa, httpserver, resposta_envio, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    ticket.ultima_entrada_em = timezone.now() - timedelta(days=5)
    ticket.save()
    template = TemplateFactory(
        empresa=empresa,
        tipo=Template.Tipo.WHATSAPP,
        nome="Pedido chegou",
        nome_whatsapp="pedido_chegou",
        idioma="pt_BR",
        conteudo="Olá {{1}}, seu pedido {{2}} chegou.",
        componentes=[
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "{{contato.nome}}"},
                    {"type": "text", "text": "#{{ticket.numero}}"},
                ],
            }
        ],
    )
    corpo_esperado = [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Maria Silva"},
                {"type": "text", "text": f"#{ticket.numero}"},
            ],
        }
    ]
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
                "components": corpo_esperado,
            },
        },
    ).respond_with_json(resposta_envio)

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, template=template)

    httpserver.check_assertions()
    mensagem.refresh_from_db()
    assert mensagem.conteudo == f"Olá Maria Silva, seu pedido #{ticket.numero} chegou."
    assert mensagem.template == template
    assert (mensagem.status, mensagem.id_externo) == (Mensagem.Status.ENVIADA, WAMID)


def test_template_aprovado_so_no_whatsapp(empresa, fila, atendente, httpserver):
    canal = canal_telegram_local(empresa, fila, httpserver)
    ticket = ticket_aberto(canal, fila, conversa="555")
    template = TemplateFactory(empresa=empresa, tipo=Template.Tipo.WHATSAPP, nome_whatsapp="x")

    with pytest.raises(RegraNegocio, match="só podem ser enviados pelo WhatsApp"):
        mensagem_enviar(atendente=atendente, ticket=ticket, template=template)

    assert not Mensagem.objects.filter(ticket=ticket).exists()


def test_telegram_nao_tem_janela(empresa, fila, atendente, httpserver, monkeypatch):
    monkeypatch.setattr("canais.tasks.envio.enviar_mensagem.apply_async", lambda *a, **k: None)
    canal = canal_telegram_local(empresa, fila, httpserver)
    ticket = ticket_aberto(canal, fila, conversa="555", ultima_entrada_em=None)

    mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Olá")

    assert mensagem.status == Mensagem.Status.PENDENTE


def test_resposta_rapida_preenche_as_variaveis(ticket, atendente, empresa, monkeypatch):
    monkeypatch.setattr("canais.tasks.envio.enviar_mensagem.apply_async", lambda *a, **k: None)
    rapida = TemplateFactory(
        empresa=empresa,
        conteudo=(
            "Olá {{contato.nome}}! Sou {{ atendente.nome }}, ticket #{{ticket.numero}}, "
            "telefone {{contato.telefone}}.{{desconhecida}}{{contato.__class__}}{{ 7*7 }}"
        ),
    )

    mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, template=rapida)

    assert mensagem.conteudo == (
        f"Olá Maria Silva! Sou Beto Atendente, ticket #{ticket.numero}, telefone {CLIENTE}."
    )
    assert mensagem.template == rapida
    assert mensagem.dados == {}


def test_template_renderizar_sem_atendente(ticket, empresa):
    rapida = TemplateFactory(empresa=empresa, conteudo="{{atendente.nome}}|{{contato.nome}}")

    assert template_renderizar(template=rapida, ticket=ticket, atendente=None) == "|Maria Silva"


def test_template_de_outra_empresa_nao_existe(ticket, atendente):
    alheio = TemplateFactory(empresa=EmpresaFactory())

    with pytest.raises(NaoEncontrado):
        mensagem_enviar(atendente=atendente, ticket=ticket, template=alheio)


@pytest.mark.parametrize(
    ("alterar", "texto"),
    [
        ({"status": Ticket.Status.FECHADO}, "fechado"),
        ({"canal_inativo": True}, "inativo"),
    ],
)
def test_ticket_fechado_ou_canal_inativo_recusa(ticket, atendente, canal, alterar, texto):
    if alterar.get("canal_inativo"):
        canal.ativo = False
        canal.save()
    else:
        ticket.status = alterar["status"]
        ticket.save()

    with pytest.raises(RegraNegocio, match=texto):
        mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Olá")

    assert not Mensagem.objects.filter(ticket=ticket).exists()


def test_texto_vazio_e_recusado(ticket, atendente):
    with pytest.raises(RegraNegocio, match="Escreva a mensagem"):
        mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="   ")


def test_ticket_invisivel_ou_de_outra_empresa_e_404(
    ticket, atendente_outra_fila, admin_outra_empresa
):
    for intruso in (atendente_outra_fila, admin_outra_empresa):
        with pytest.raises(NaoEncontrado):
            mensagem_enviar(atendente=intruso, ticket=ticket, conteudo="Olá")

    assert not Mensagem.objects.filter(ticket=ticket).exists()


def test_responder_mensagem_de_outro_ticket_e_404(ticket, atendente, canal, fila):
    outro = ticket_aberto(canal, fila, conversa="5511911112222")
    alheia = entrada(outro, "wamid.OUTRO")

    with pytest.raises(NaoEncontrado):
        mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Oi", responder_a=alheia)


# ------------------------------------------------------------------------------- media
def test_midia_guardada_no_storage(
    ticket, atendente, midia_tmp, django_capture_on_commit_callbacks, monkeypatch
):
    enfileiradas: list = []
    monkeypatch.setattr(
        "canais.tasks.envio.enviar_midia.apply_async", lambda args, **k: enfileiradas.append(args)
    )
    arquivo = SimpleUploadedFile("boleto.pdf", b"%PDF-1.4 boleto", content_type="application/pdf")

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar_midia(
            atendente=atendente, ticket=ticket, arquivo=arquivo, legenda="Segue o boleto"
        )

    mensagem.refresh_from_db()
    assert (mensagem.tipo, mensagem.conteudo, mensagem.status) == (
        Mensagem.Tipo.DOCUMENTO,
        "Segue o boleto",
        Mensagem.Status.PENDENTE,
    )
    assert (mensagem.midia_mime, mensagem.midia_nome, mensagem.midia_tamanho) == (
        "application/pdf",
        "boleto.pdf",
        15,
    )
    assert mensagem.midia_arquivo.read() == b"%PDF-1.4 boleto"
    assert enfileiradas == [[str(mensagem.id)]]
    ticket.refresh_from_db()
    assert ticket.ultima_mensagem_resumo == "[Documento] Segue o boleto"


def test_midia_grande_demais_e_413(ticket, atendente, midia_tmp):
    foto = SimpleUploadedFile("foto.jpg", b"\xff" * (5 * 1024 * 1024 + 1), "image/jpeg")

    with pytest.raises(ArquivoGrande) as erro:
        mensagem_enviar_midia(atendente=atendente, ticket=ticket, arquivo=foto)

    assert erro.value.status_http == 413
    assert erro.value.detalhe == "O arquivo tem 5,1 MB; o WhatsApp aceita até 5 MB para imagem."
    assert not Mensagem.objects.filter(ticket=ticket).exists()
    assert _arquivos(midia_tmp) == []


def test_midia_de_tipo_nao_aceito_e_415(ticket, atendente, midia_tmp):
    programa = SimpleUploadedFile("setup.exe", b"MZ...", "application/x-msdownload")

    with pytest.raises(TipoNaoSuportado) as erro:
        mensagem_enviar_midia(atendente=atendente, ticket=ticket, arquivo=programa)

    assert erro.value.status_http == 415
    assert not Mensagem.objects.filter(ticket=ticket).exists()
    assert _arquivos(midia_tmp) == []


def test_midia_fora_da_janela_e_recusada(ticket, atendente, midia_tmp):
    ticket.ultima_entrada_em = timezone.now() - timedelta(days=1, minutes=1)
    ticket.save()
    foto = SimpleUploadedFile("foto.jpg", b"\xff\xd8", "image/jpeg")

    with pytest.raises(RegraNegocio, match="template aprovado"):
        mensagem_enviar_midia(atendente=atendente, ticket=ticket, arquivo=foto)

    assert _arquivos(midia_tmp) == []


# ------------------------------------------------------------------------------- statuses
def _status(status: StatusEntrega, id_externo: str = WAMID, **extra) -> StatusEntrada:
    return StatusEntrada(
        id_externo=id_externo, status=status, data=datetime(2026, 3, 1, 12, tzinfo=UTC), **extra
    )


@pytest.fixture
def enviada(ticket, atendente):
    return saida_pendente(
        ticket, atendente, status=Mensagem.Status.ENVIADA, id_externo=WAMID,
        enviada_em=datetime(2026, 3, 1, 11, 59, tzinfo=UTC),
    )  # fmt: skip


def test_status_avanca_e_publica(canal, enviada, ouvinte, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.ENTREGUE))
        lida = mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.LIDA))

    assert lida.status == Mensagem.Status.LIDA
    momento = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert (lida.enviada_em, lida.entregue_em, lida.lida_em) == (
        datetime(2026, 3, 1, 11, 59, tzinfo=UTC),
        momento,
        momento,
    )
    assert [d["status"] for _, d in ouvinte.recebidos()] == ["entregue", "lida"]


def test_status_atrasado_nunca_volta(canal, enviada, ouvinte, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.LIDA))
        depois = [
            mensagem_aplicar_status(canal=canal, status=_status(s))
            for s in (StatusEntrega.ENVIADA, StatusEntrega.ENTREGUE, StatusEntrega.LIDA)
        ]

    assert {m.status for m in depois} == {Mensagem.Status.LIDA}
    enviada.refresh_from_db()
    assert enviada.status == Mensagem.Status.LIDA
    assert enviada.entregue_em == datetime(2026, 3, 1, 12, tzinfo=UTC)  # read implies delivered
    assert [d["status"] for _, d in ouvinte.recebidos()] == ["lida"]


def test_status_repetido_publica_uma_vez(
    canal, enviada, ouvinte, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.ENTREGUE))

    assert [d["status"] for _, d in ouvinte.recebidos()] == ["entregue"]


def test_falha_depois_de_entregue_vira_erro_final(
    canal, enviada, ouvinte, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.ENTREGUE))
        mensagem_aplicar_status(
            canal=canal,
            status=_status(
                StatusEntrega.ERRO,
                erro_codigo="131047",
                erro_detalhe="131047: Re-engagement message",
            ),
        )
        mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.LIDA))

    enviada.refresh_from_db()
    assert (enviada.status, enviada.erro_codigo, enviada.erro_detalhe) == (
        Mensagem.Status.ERRO,
        "131047",
        "131047: Re-engagement message",
    )
    eventos = [d for _, d in ouvinte.recebidos()]
    assert [d["status"] for d in eventos] == ["entregue", "erro"]
    assert eventos[1]["erro_codigo"] == "131047"


def test_status_de_fixture_real_do_whatsapp(canal, ticket, atendente, fixture_bytes):
    """The adapter's parse of a real ``read`` webhook applied to our message."""
    mensagem = saida_pendente(
        ticket, atendente, status=Mensagem.Status.ENVIADA, id_externo="wamid.xyzxyz"
    )
    (status,) = whatsapp_parse.interpretar(
        json.loads(fixture_bytes("whatsapp/status_read_pywa.json"))
    )

    resultado = mensagem_aplicar_status(canal=canal, status=status)

    assert resultado == mensagem
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.LIDA
    assert mensagem.lida_em == datetime.fromtimestamp(1689380458, tz=UTC)


def test_status_desconhecido_ou_de_outro_canal(canal, enviada, empresa, fila, httpserver):
    outro = canal_telegram_local(empresa, fila, httpserver)

    assert mensagem_aplicar_status(canal=canal, status=_status(StatusEntrega.LIDA, "x")) is None
    assert mensagem_aplicar_status(canal=outro, status=_status(StatusEntrega.LIDA)) is None
    enviada.refresh_from_db()
    assert enviada.status == Mensagem.Status.ENVIADA


# ------------------------------------------------------------------------------- read marks
def test_marcar_lidas_zera_e_pede_confirmacao_da_ultima(
    ticket, atendente, httpserver, eager, ouvinte, django_capture_on_commit_callbacks
):
    agora = timezone.now()
    for i, wamid in enumerate(["wamid.A", "wamid.B", "wamid.C"]):
        entrada(ticket, wamid, data=agora - timedelta(minutes=3 - i))
    ticket.nao_lidas = 3
    ticket.save()
    httpserver.expect_oneshot_request(
        CAMINHO,
        method="POST",
        json={"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.C"},
    ).respond_with_json({"success": True})

    with django_capture_on_commit_callbacks(execute=True):
        marcadas = mensagens_marcar_lidas(atendente=atendente, ticket=ticket)
        de_novo = mensagens_marcar_lidas(atendente=atendente, ticket=ticket)

    assert (marcadas, de_novo) == (3, 0)
    httpserver.check_assertions()
    assert len(httpserver.log) == 1
    ticket.refresh_from_db()
    assert ticket.nao_lidas == 0
    assert not Mensagem.objects.filter(ticket=ticket, lida_pelo_atendente=False).exists()
    eventos = ouvinte.recebidos()
    assert [n for n, _ in eventos] == ["ticket_atualizado"]
    assert eventos[0][1]["nao_lidas"] == 0


def test_marcar_algumas_recalcula_nao_lidas(ticket, atendente, monkeypatch):
    monkeypatch.setattr("canais.tasks.envio.marcar_lida_provedor.apply_async", lambda *a, **k: None)
    a, b, c = (entrada(ticket, f"wamid.{x}") for x in "ABC")
    ticket.nao_lidas = 3
    ticket.save()

    marcadas = mensagens_marcar_lidas(atendente=atendente, mensagens=[a, b.id])

    assert marcadas == 2
    ticket.refresh_from_db()
    assert ticket.nao_lidas == 1
    c.refresh_from_db()
    assert c.lida_pelo_atendente is False


def test_marcar_lidas_de_ticket_invisivel_e_404(ticket, atendente_outra_fila):
    entrada(ticket, "wamid.A")

    with pytest.raises(NaoEncontrado):
        mensagens_marcar_lidas(atendente=atendente_outra_fila, ticket=ticket)
    assert (
        mensagens_marcar_lidas(
            atendente=atendente_outra_fila, mensagens=list(Mensagem.objects.filter(ticket=ticket))
        )
        == 0
    )


# ------------------------------------------------------------------------------- re-send
def test_reenviar_mensagem_com_erro(
    ticket, atendente, httpserver, resposta_envio, eager, django_capture_on_commit_callbacks
):
    falhou = saida_pendente(
        ticket, atendente, status=Mensagem.Status.ERRO, id_externo="wamid.VELHO",
        erro_codigo="131026", erro_detalhe="131026: Message undeliverable",
    )  # fmt: skip
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(resposta_envio)

    with django_capture_on_commit_callbacks(execute=True):
        mensagem_reenviar(atendente=atendente, mensagem=falhou)

    falhou.refresh_from_db()
    assert (falhou.status, falhou.id_externo, falhou.erro_codigo, falhou.erro_detalhe) == (
        Mensagem.Status.ENVIADA,
        WAMID,
        "",
        "",
    )
    assert falhou.dados["ids_externos_anteriores"] == ["wamid.VELHO"]


@pytest.mark.parametrize("status", [Mensagem.Status.ENVIADA, Mensagem.Status.LIDA])
def test_so_mensagem_com_erro_e_reenviada(ticket, atendente, status):
    mensagem = saida_pendente(ticket, atendente, status=status, id_externo="wamid.OK")

    with pytest.raises(RegraNegocio):
        mensagem_reenviar(atendente=atendente, mensagem=mensagem)


def test_mensagem_do_cliente_nao_e_reenviada(ticket, atendente):
    with pytest.raises(RegraNegocio):
        mensagem_reenviar(atendente=atendente, mensagem=entrada(ticket, "wamid.CLI"))


@pytest.fixture
def broker_fora(monkeypatch):
    """Point the Celery app at a port where nobody listens (the broker is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        porta = s.getsockname()[1]
    monkeypatch.setitem(celery_app.conf, "broker_url", f"redis://127.0.0.1:{porta}/0")
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    return monkeypatch


def test_mensagem_sobrevive_ao_broker_fora_e_reenviar_a_enfileira(
    ticket, atendente, httpserver, resposta_envio, ouvinte, broker_fora,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Olá!")

    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.erro_codigo) == (
        Mensagem.Status.PENDENTE,
        "fila_indisponivel",
    )
    assert "não entrou na fila de envio" in mensagem.erro_detalhe
    assert [n for n, _ in ouvinte.recebidos()] == [
        "nova_mensagem",
        "ticket_atualizado",
        "ticket_atualizado",  # the reply made the unassigned ticket this agent's
        "status_mensagem",
    ]

    broker_fora.undo()  # the broker is back
    broker_fora.setitem(celery_app.conf, "task_always_eager", True)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(resposta_envio)
    with django_capture_on_commit_callbacks(execute=True):
        mensagem_reenviar(atendente=atendente, mensagem=mensagem)

    mensagem.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo, mensagem.erro_detalhe) == (
        Mensagem.Status.ENVIADA,
        WAMID,
        "",
    )


def test_varredura_envia_o_que_nao_entrou_na_fila(
    ticket, atendente, httpserver, resposta_envio, broker_fora,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from canais.tasks import varrer_mensagens_pendentes

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="Olá!")
    recente = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo="ainda na fila")
    Mensagem.objects.filter(pk=mensagem.pk).update(
        atualizado_em=timezone.now() - timedelta(minutes=1)
    )

    broker_fora.undo()  # the broker is back; beat runs the sweep
    broker_fora.setitem(celery_app.conf, "task_always_eager", True)
    httpserver.expect_oneshot_request(CAMINHO, method="POST").respond_with_json(resposta_envio)
    with django_capture_on_commit_callbacks(execute=True):
        assert varrer_mensagens_pendentes() == 1

    mensagem.refresh_from_db()
    recente.refresh_from_db()
    assert (mensagem.status, mensagem.id_externo, mensagem.erro_codigo) == (
        Mensagem.Status.ENVIADA,
        WAMID,
        "",
    )
    assert recente.status == Mensagem.Status.PENDENTE  # queued normally, not the sweep's
    assert len(httpserver.log) == 1


# ------------------------------------------------------------------------------- batches
def test_lote_e_tudo_ou_nada(canal, fila, atendente, monkeypatch):
    monkeypatch.setattr("canais.tasks.envio.enviar_lote.apply_async", lambda *a, **k: None)
    bons = [ticket_aberto(canal, fila, conversa=f"55119000000{i}") for i in range(2)]
    fechado = ticket_aberto(canal, fila, conversa="5511900000099", status=Ticket.Status.FECHADO)

    with pytest.raises(RegraNegocio) as erro:
        enviar_lote(atendente=atendente, tickets=[*bons, fechado], conteudo="Aviso")

    assert erro.value.extras["erros"] == [
        {
            "ticket": str(fechado.id),
            "numero": fechado.numero,
            "detail": "O ticket está fechado: reabra-o para enviar mensagens.",
        }
    ]
    assert not Mensagem.objects.filter(ticket__in=[*bons, fechado]).exists()


def test_lote_guarda_uma_mensagem_por_ticket(canal, fila, atendente, monkeypatch):
    lotes: list = []
    monkeypatch.setattr(
        "canais.tasks.envio.enviar_lote.apply_async", lambda args, **k: lotes.append(args)
    )
    tickets = [ticket_aberto(canal, fila, conversa=f"55119000000{i}") for i in range(3)]

    mensagens = enviar_lote(
        atendente=atendente, tickets=[*tickets, tickets[0]], conteudo="Promoção"
    )

    assert sorted(m.ticket_id for m in mensagens) == sorted(t.id for t in tickets)
    assert {m.status for m in mensagens} == {Mensagem.Status.PENDENTE}
