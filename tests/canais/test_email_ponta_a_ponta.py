"""E-mail on the one pipeline, end to end: SendGrid Inbound Parse posts through the real URL
(Basic credentials) → stored event → processing (Celery eager) → ticket; the agent's reply
leaves through a real SMTP server (aiosmtpd) with threading headers, HTML and attachments; the
customer's answer to it comes back to the same ticket, never to another empresa's; auto-replies
never open a ticket nor get an answer."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from atendimento.models import EventoWebhook, Historico, Mensagem, Ticket
from atendimento.services.saida import mensagem_enviar, mensagem_enviar_midia
from tests.factories import EmpresaFactory, FilaFactory

from .email_apoio import (
    CLIENTE,
    ENDERECO,
    basic,
    canal_email,
    email,
    postar_email,
)
from .webhook_apoio import (
    NADA,
    celery_eager,  # noqa: F401 - fixture
    contagens,
    midia_em_tmp,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.usefixtures("celery_eager", "midia_em_tmp")

#: "RES: Nota fiscal de outubro" as Outlook in Portuguese encodes it (RFC 2047)
ASSUNTO_CODIFICADO = "=?UTF-8?Q?RES=3A_Nota_fiscal_de_outubro?="


@pytest.fixture
def canal(empresa, fila, servidor_smtp):
    _, url = servidor_smtp
    return canal_email(empresa, fila, smtp_url=url)


@pytest.fixture
def caixa(servidor_smtp):
    return servidor_smtp[0]


@pytest.fixture
def postar(client, django_capture_on_commit_callbacks):
    """Post a mail to an empresa's webhook URL and run what it queued (processing, media)."""

    def enviar(empresa, msg, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            resposta = postar_email(client, empresa.id, msg, **kwargs)
        assert resposta.status_code == 200, resposta.content
        return resposta

    return enviar


@pytest.fixture
def responder(django_capture_on_commit_callbacks):
    """The agent answers (text, or a file with ``arquivo``); the send task runs."""

    def enviar(atendente, ticket, texto="", *, arquivo=None):
        with django_capture_on_commit_callbacks(execute=True):
            if arquivo is not None:
                mensagem = mensagem_enviar_midia(
                    atendente=atendente, ticket=ticket, arquivo=arquivo, legenda=texto
                )
            else:
                mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, conteudo=texto)
        mensagem.refresh_from_db()
        return mensagem

    return enviar


def _api(atendente) -> APIClient:
    cliente = APIClient()
    cliente.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(atendente.usuario)}")
    return cliente


# ------------------------------------------------------------------------------- the conversation
def test_conversa_completa_por_email(canal, caixa, postar, responder, atendente, admin, client):
    primeira = email(assunto=ASSUNTO_CODIFICADO)
    postar(canal.empresa, primeira)

    ticket = Ticket.objects.get()
    assert ticket.assunto == "Nota fiscal de outubro"  # decoded, without "RES:"
    assert ticket.conversa_id_externo == primeira["Message-ID"]
    achados = _api(admin).get("/api/atendimento/tickets/", {"q": "fiscal de outubro"}).json()
    assert [t["id"] for t in achados["results"]] == [str(ticket.pk)]
    assert _api(admin).get("/api/atendimento/tickets/", {"q": "boleto"}).json()["count"] == 0
    client.force_login(atendente.usuario)
    lista = client.get("/inbox/").content.decode()
    assert '<span class="item__assunto">Nota fiscal de outubro</span>' in lista

    pdf = SimpleUploadedFile("nota.pdf", b"%PDF-1.7 nota", content_type="application/pdf")
    resposta = responder(atendente, ticket, "Segue a nota em anexo.", arquivo=pdf)
    assert resposta.status == Mensagem.Status.ENVIADA, resposta.erro_detalhe

    (enviada,) = caixa.mensagens()
    assert enviada["Message-ID"] == resposta.id_externo
    assert enviada["In-Reply-To"] == primeira["Message-ID"]
    assert enviada["References"] == primeira["Message-ID"]
    assert enviada["Subject"] == "Re: Nota fiscal de outubro"
    assert enviada["To"] == f"Maria Silva <{CLIENTE}>"
    assert enviada["Reply-To"] == f"suporte+{ticket.pk.hex}@loja.com.br"
    assert enviada["Auto-Submitted"] is None  # a person wrote it
    assert enviada.get_content_type() == "multipart/mixed"
    corpo = enviada.get_body(("plain",))
    assert corpo.get_content().startswith("Segue a nota em anexo.")
    assert "Segue a nota em anexo." in enviada.get_body(("html",)).get_content()
    (anexo,) = list(enviada.iter_attachments())
    assert (anexo.get_filename(), anexo.get_content_type()) == ("nota.pdf", "application/pdf")
    assert anexo.get_content() == b"%PDF-1.7 nota"

    # the customer answers our mail: only In-Reply-To names it (no References kept)
    postar(
        canal.empresa,
        email(
            assunto="Re: Re: Nota fiscal de outubro",
            texto="Recebi, obrigada!",
            em_resposta=resposta.id_externo,
        ),
    )
    assert Ticket.objects.count() == 1
    assert Mensagem.objects.get(conteudo="Recebi, obrigada!").ticket_id == ticket.pk


def test_mesmo_message_id_em_outra_empresa_abre_ticket_la(
    canal, caixa, postar, responder, atendente, fila
):
    postar(canal.empresa, email())
    ticket = Ticket.objects.get()
    resposta = responder(atendente, ticket, "Qual o número do pedido?")
    outra = EmpresaFactory()
    canal_outra = canal_email(outra, FilaFactory(empresa=outra))  # the same address, elsewhere
    volta = email(texto="Pedido 42", em_resposta=resposta.id_externo,
                  referencias=f"{ticket.conversa_id_externo} {resposta.id_externo}")  # fmt: skip

    postar(outra, volta)

    ticket.refresh_from_db()
    assert ticket.total_mensagens == 2  # nothing of the other empresa came here
    novo = Ticket.objects.get(empresa=outra)
    assert novo.canal_id == canal_outra.pk
    assert Mensagem.objects.get(ticket=novo).conteudo == "Pedido 42"
    assert novo.assunto == "Nota fiscal de outubro"


def test_endereco_de_resposta_leva_ao_ticket_sem_cabecalhos(canal, postar, responder, atendente):
    postar(canal.empresa, email())
    ticket = Ticket.objects.get()
    outro = EmpresaFactory()
    # the reply address of a ticket of another empresa is just an unknown token here
    postar(canal.empresa, email(assunto="Outro assunto", texto="Sem cabeçalhos",
                                para=f"suporte+{outro.pk.hex}@loja.com.br"))  # fmt: skip
    assert Ticket.objects.count() == 2
    postar(canal.empresa, email(assunto="Outro assunto", texto="Pelo endereço",
                                para=f"suporte+{ticket.pk.hex}@loja.com.br"))  # fmt: skip
    assert Mensagem.objects.get(conteudo="Pelo endereço").ticket_id == ticket.pk


def test_resposta_a_ticket_fechado_reabre_na_janela_ou_abre_outro_ligado(
    canal, postar, responder, atendente, fila
):
    primeira = email()
    postar(canal.empresa, primeira)
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(status="fechado", fechado_em=timezone.now())

    postar(canal.empresa, email(texto="Ainda não chegou", em_resposta=primeira["Message-ID"]))
    ticket.refresh_from_db()
    assert (ticket.status, Ticket.objects.count()) == ("aberto", 1)

    fila.janela_reabertura_horas = 1
    fila.save()
    fechado_em = timezone.now() - timedelta(hours=2)
    Ticket.objects.filter(pk=ticket.pk).update(status="fechado", fechado_em=fechado_em)
    postar(canal.empresa, email(texto="De novo", em_resposta=primeira["Message-ID"]))

    novo = Ticket.objects.exclude(pk=ticket.pk).get()
    assert novo.assunto == "Nota fiscal de outubro"
    assert Mensagem.objects.get(conteudo="De novo").ticket_id == novo.pk
    criado = Historico.objects.get(ticket=novo, acao="criado")
    assert criado.dados["ticket_anterior"] == str(ticket.pk)
    assert f"#{ticket.numero}" in criado.descricao
    assert Historico.objects.filter(ticket=ticket, dados__ticket_seguinte=str(novo.pk)).exists()


def test_varios_canais_no_mesmo_email_um_ticket_no_primeiro(empresa, fila, canal, postar):
    vendas = canal_email(empresa, fila, endereco="vendas@loja.com.br", nome="Vendas")
    msg = email(para="Alguém <alguem@fora.com>, vendas@loja.com.br", cabecalhos={"Cc": ENDERECO})

    postar(empresa, msg, envelope_para=["alguem@fora.com", "vendas@loja.com.br", ENDERECO])

    ticket = Ticket.objects.get()
    assert ticket.canal_id == vendas.pk
    assert EventoWebhook.objects.get().canal_id == vendas.pk
    mensagem = Mensagem.objects.get()
    assert ENDERECO in mensagem.dados["destinatarios"]
    nota = Historico.objects.get(ticket=ticket, acao="atualizado")
    assert canal.nome in nota.descricao
    assert ENDERECO in nota.descricao


def test_so_por_copia_tambem_roteia(empresa, fila, canal, postar):
    postar(empresa, email(para="alguem@fora.com", cabecalhos={"Cc": ENDERECO}),
           envelope_para=[ENDERECO])  # fmt: skip
    assert Ticket.objects.get().canal_id == canal.pk


# ------------------------------------------------------------------------------- loops and noise
AUTOMATICOS = {
    "auto_submitted": {"cabecalhos": {"Auto-Submitted": "auto-replied"}},
    "x_autoreply": {"cabecalhos": {"X-Autoreply": "yes"}},
    "x_auto_response_suppress": {"cabecalhos": {"X-Auto-Response-Suppress": "All"}},
    "precedence_bulk": {"cabecalhos": {"Precedence": "bulk"}},
    "precedence_list": {"cabecalhos": {"Precedence": "list"}},
    "precedence_junk": {"cabecalhos": {"Precedence": "junk"}},
    "list_id": {"cabecalhos": {"List-Id": "Novidades <novidades.loja.com>"}},
    "mailer_daemon": {"de": "Mail Delivery System <MAILER-DAEMON@mx.cliente.com.br>"},
    "remetente_nulo": {"envelope_de": ""},
    # our own mail coming back (a rule forwarding it, a copy to ourselves): never a ticket
    "do_proprio_canal": {"de": f"Loja Aurora <{ENDERECO}>"},
    "do_endereco_de_resposta": {"de": "suporte+abc@loja.com.br"},
}


@pytest.mark.parametrize("nome", sorted(AUTOMATICOS))
def test_email_automatico_nao_abre_ticket(nome, canal, postar, caixa):
    opcoes = dict(AUTOMATICOS[nome])
    envelope_de = opcoes.pop("envelope_de", CLIENTE)

    postar(canal.empresa, email(**opcoes), envelope_de=envelope_de)

    assert {**contagens(), "eventos": 0} == NADA
    evento = EventoWebhook.objects.get()
    assert evento.status == EventoWebhook.Status.PROCESSADO
    assert evento.erro.startswith("descartado: ")
    assert caixa.recebidas == []


def test_auto_submitted_no_nao_e_automatico(canal, postar):
    postar(canal.empresa, email(cabecalhos={"Auto-Submitted": "no"}))
    assert Ticket.objects.count() == 1


def test_tempestade_de_ausencia_nao_cria_ticket_nem_envia(
    canal, caixa, postar, responder, atendente
):
    """An out-of-office answering our every mail: nothing of it reaches a ticket, nothing
    goes back, however long it goes on."""
    postar(canal.empresa, email())
    ticket = Ticket.objects.get()
    for rodada in range(5):
        nossa = responder(atendente, ticket, f"Resposta {rodada}")
        ausencia = email(
            assunto="Resposta automática: Nota fiscal de outubro",
            texto="Estou de férias até 2027.",
            em_resposta=nossa.id_externo,
            cabecalhos={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
        )
        postar(canal.empresa, ausencia)

    assert Ticket.objects.count() == 1
    assert Mensagem.objects.filter(direcao="entrada").count() == 1
    assert len(caixa.recebidas) == 5  # only the agent's five replies left
    assert (
        EventoWebhook.objects.filter(erro__startswith="descartado: resposta automática").count()
        == 5
    )


def test_mensagem_automatica_nossa_leva_auto_submitted(canal, caixa, postar, atendente):
    from canais.tasks.envio import enviar_mensagem
    from tests.saida_apoio import saida_pendente

    postar(canal.empresa, email())
    ticket = Ticket.objects.get()
    mensagem = saida_pendente(ticket, atendente, remetente_tipo="bot", conteudo="Recebemos!")

    enviar_mensagem.apply(args=[str(mensagem.id)])

    (enviada,) = caixa.mensagens()
    assert enviada["Auto-Submitted"] == "auto-replied"


# ------------------------------------------------------------------------------- refused
@pytest.mark.parametrize(
    "autorizacao", ["", "Bearer x", basic(senha="errada"), basic(usuario="outro")]
)
def test_credenciais_erradas_nada_armazenado(client, canal, autorizacao):
    resposta = postar_email(client, canal.empresa.id, email(), autorizacao=autorizacao)
    assert resposta.status_code == 401
    assert contagens() == NADA


def test_destinatario_que_nao_e_canal_404(client, canal):
    resposta = postar_email(client, canal.empresa.id, email(para="outro@loja.com.br"))
    assert resposta.status_code == 404
    assert contagens() == NADA


def test_anexo_pelo_composer_da_caixa_de_entrada(
    canal, caixa, postar, atendente, client, django_capture_on_commit_callbacks
):
    postar(canal.empresa, email())
    ticket = Ticket.objects.get()
    client.force_login(atendente.usuario)
    planilha = SimpleUploadedFile("pedido.csv", b"item;qtd\nA;1\n", content_type="text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        resposta = client.post(
            f"/inbox/tickets/{ticket.pk}/enviar/",
            {"conteudo": "A planilha do pedido.", "arquivo": planilha},
            HTTP_HX_REQUEST="true",
        )

    assert resposta.status_code == 200
    (enviada,) = caixa.mensagens()
    assert enviada["In-Reply-To"] == ticket.conversa_id_externo
    assert "A planilha do pedido." in enviada.get_body(("plain",)).get_content()
    (anexo,) = list(enviada.iter_attachments())
    assert (anexo.get_filename(), anexo.get_content_type()) == ("pedido.csv", "text/csv")
    assert anexo.get_content().replace("\r\n", "\n") == "item;qtd\nA;1\n"


def test_ticket_aberto_pelo_atendente_recebe_a_resposta(
    canal, caixa, postar, responder, atendente, empresa
):
    from atendimento.services.abertura import ticket_abrir
    from tests.factories import ContatoFactory

    contato = ContatoFactory(empresa=empresa, nome="Maria Silva", email=CLIENTE)
    ticket = ticket_abrir(
        empresa=empresa, canal=canal, contato=contato, assunto="Seu orçamento", por=atendente
    )
    primeira = responder(atendente, ticket, "Segue o orçamento.")
    nossa = responder(atendente, ticket, "Esqueci o anexo, segue de novo.")
    antes, enviada = caixa.mensagens()
    assert (antes["To"], antes["Subject"], antes["In-Reply-To"]) == (
        CLIENTE,
        "Seu orçamento",
        None,
    )
    # our second mail threads on our first one
    assert (enviada["Subject"], enviada["In-Reply-To"], enviada["References"]) == (
        "Re: Seu orçamento",
        primeira.id_externo,
        primeira.id_externo,
    )

    postar(
        empresa,
        email(assunto="Re: Seu orçamento", texto="Aprovado!", em_resposta=nossa.id_externo,
              referencias=f"{primeira.id_externo} {nossa.id_externo}"),
    )  # fmt: skip

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.conversa_id_externo == primeira.id_externo  # the thread is the ticket's now
    assert Mensagem.objects.get(conteudo="Aprovado!").ticket_id == ticket.pk


def _devolucao(original_id: str, acao: str = "failed") -> EmailMessage:
    """A bounce (RFC 3464) as Postfix writes it, returning the headers of our mail."""
    bruto = f"""From: Mail Delivery System <MAILER-DAEMON@mx.cliente.com.br>
To: {ENDERECO}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.20261205@mx.cliente.com.br>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="fronteira"

--fronteira
Content-Type: text/plain; charset=utf-8

Não foi possível entregar a sua mensagem.

--fronteira
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.cliente.com.br

Final-Recipient: rfc822; {CLIENTE}
Action: {acao}
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{CLIENTE}>: Recipient address rejected:
 User unknown in virtual mailbox table

--fronteira
Content-Type: text/rfc822-headers

From: Loja Aurora <{ENDERECO}>
Message-ID: {original_id}
Subject: Re: Nota fiscal de outubro

--fronteira--
"""
    return BytesParser(policy=policy.default).parsebytes(bruto.encode())


def test_devolucao_marca_a_nossa_mensagem_com_erro(canal, caixa, postar, responder, atendente):
    postar(canal.empresa, email())
    ticket = Ticket.objects.get()
    nossa = responder(atendente, ticket, "Segue a nota.")

    postar(canal.empresa, _devolucao(nossa.id_externo), envelope_de="")

    nossa.refresh_from_db()
    assert nossa.status == Mensagem.Status.ERRO
    assert nossa.erro_codigo == "5.1.1"
    assert nossa.erro_detalhe.startswith(f"devolvido por {CLIENTE}: 550 5.1.1")
    assert Mensagem.objects.filter(direcao="entrada").count() == 1  # no message, no ticket
    assert Ticket.objects.count() == 1
    assert len(caixa.recebidas) == 1  # nothing answered the bounce


def test_aviso_de_atraso_e_so_descartado(canal, caixa, postar, responder, atendente):
    postar(canal.empresa, email())
    nossa = responder(atendente, Ticket.objects.get(), "Segue a nota.")

    postar(canal.empresa, _devolucao(nossa.id_externo, acao="delayed"), envelope_de="")

    nossa.refresh_from_db()
    assert nossa.status == Mensagem.Status.ENVIADA
    ultimo = EventoWebhook.objects.order_by("-recebido_em").first()
    assert ultimo.erro.startswith("descartado: resposta automática")


def test_remetente_que_nao_para_de_escrever_e_tratado_como_laco(canal, caixa, postar, settings):
    """An auto-responder that sends no auto-reply header: after EMAIL_LACO_MAX mails within the
    window, the rest are discarded as a probable loop."""
    import uuid

    settings.EMAIL_LACO_MAX = 3  # read at each mail
    robo = f"robo-{uuid.uuid4().hex[:8]}@fora.com"
    for n in range(5):
        postar(canal.empresa, email(de=robo, assunto=f"Aviso {n}", texto=f"Aviso {n}"))

    assert Mensagem.objects.filter(remetente_id_externo=robo).count() == 3
    descartados = EventoWebhook.objects.filter(erro__startswith="descartado: possível laço")
    assert descartados.count() == 2
    assert f"e-mails de {robo}" in descartados.first().erro
    assert caixa.recebidas == []
