"""The notifications queue's jobs: each sends once however often it runs, respects muted kinds
and never crosses empresas."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from atendimento.models import Atendente, Mensagem, Notificacao
from atendimento.services import avisos
from atendimento.services.entrada import evento_processar
from atendimento.services.notificacoes import salvar_preferencias
from atendimento.tasks import novo_ticket, resumo_diario, ticket_sem_resposta
from conectcrm.celery import app
from tests.atendimento.test_entrada import msg_wa
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    CanalFactory,
    FilaFactory,
    MensagemFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def _de(tipo, atendente=None):
    q = Notificacao.objects.filter(tipo=tipo)
    return q.filter(atendente=atendente) if atendente is not None else q


@pytest.fixture
def ticket(empresa, fila, canal_whatsapp):
    return TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)


@pytest.fixture
def ansioso():
    """Celery tasks run in the caller (the trigger paths call ``.delay``)."""
    antes = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = antes


# ----------------------------------------------------------------------------- novo_ticket
def test_novo_ticket_vai_aos_da_fila_uma_vez(
    ticket, atendente, atendente_outra_fila, supervisor, admin_outra_empresa
):
    assert novo_ticket(str(ticket.id)) == 1
    assert novo_ticket(str(ticket.id)) == 0  # re-run
    (n,) = _de("novo_ticket")
    assert n.atendente == atendente
    assert n.ticket == ticket
    assert f"#{ticket.numero}" in n.titulo


def test_novo_ticket_atribuido_vai_so_ao_atendente(ticket, atendente, supervisor, empresa):
    colega = AtendenteFactory(empresa=empresa)
    ticket.atendente = supervisor
    ticket.save()
    novo_ticket(str(ticket.id))
    assert list(_de("novo_ticket").values_list("atendente", flat=True)) == [supervisor.id]
    assert not _de("novo_ticket", colega).exists()


def test_novo_ticket_sem_fila_vai_aos_supervisores(
    empresa, canal_whatsapp, supervisor, admin, atendente
):
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=None)
    novo_ticket(str(ticket.id))
    assert set(_de("novo_ticket").values_list("atendente", flat=True)) == {supervisor.id, admin.id}


def test_novo_ticket_silenciado_nao_e_enviado(ticket, atendente):
    salvar_preferencias(atendente, {"novo_ticket": {"ativa": False, "email": False}})
    assert novo_ticket(str(ticket.id)) == 0
    assert not _de("novo_ticket").exists()


def test_reacao_a_mensagem_que_abre_ticket_avisa_a_fila(
    ansioso, canal_whatsapp, atendente, admin_outra_empresa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        primeira = evento_processar(canal=canal_whatsapp, evento=msg_wa("5511987654321", "w.1"))
    with django_capture_on_commit_callbacks(execute=True):
        evento_processar(canal=canal_whatsapp, evento=msg_wa("5511987654321", "w.2"))
    (n,) = _de("novo_ticket")  # the second message did not open a ticket
    assert n.atendente == atendente
    assert n.ticket_id == primeira.ticket_id
    assert not Notificacao.objects.filter(empresa=admin_outra_empresa.empresa).exists()


def test_lote_que_abre_varios_tickets_enfileira_um_job_e_avisa_todos(
    canal_whatsapp, atendente, outra_empresa, monkeypatch, django_capture_on_commit_callbacks
):
    from atendimento.services.entrada_lote import eventos_processar
    from atendimento.tasks import notificacoes as tarefas
    from tests.factories import CanalFactory

    outro = CanalFactory(empresa=outra_empresa)
    filas: list[tuple] = []
    monkeypatch.setattr(tarefas.novo_ticket, "apply_async", lambda **kw: filas.append(kw))
    monkeypatch.setattr(tarefas.novos_tickets, "apply_async", lambda **kw: filas.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        eventos_processar(
            [(canal_whatsapp, msg_wa(f"551198765000{n}", f"w.lote.{n}")) for n in range(3)]
            + [(outro, msg_wa("5511987650009", "w.outra"))]
        )

    (job,) = filas  # one job for the batch, whatever the number of tickets it opened
    ids = job["args"][0]
    assert len(ids) == 4
    assert avisos.avisar_novos_tickets(ids) == 3  # the queue's agent, once per ticket
    assert avisos.avisar_novos_tickets(ids) == 0  # re-run
    assert {n.ticket.canal_id for n in _de("novo_ticket", atendente)} == {canal_whatsapp.pk}
    assert not Notificacao.objects.filter(empresa=outra_empresa).exists()


def test_varios_tickets_de_uma_vez_avisam_quem_cada_um_avisaria_sozinho(
    empresa,
    fila,
    outra_fila,
    canal_whatsapp,
    atendente,
    atendente_outra_fila,
    supervisor,
    admin,
    outra_empresa,
    admin_outra_empresa,
):
    das_duas = AtendenteFactory(empresa=empresa, nome="Dora Duas Filas")
    AtendenteFilaFactory(atendente=das_duas, fila=fila)
    AtendenteFilaFactory(atendente=das_duas, fila=outra_fila)
    inativo = AtendenteFactory(empresa=empresa, ativo=False)
    AtendenteFilaFactory(atendente=inativo, fila=fila)
    vazia = FilaFactory(empresa=empresa, nome="Sem ninguém")
    canal_outra = CanalFactory(empresa=outra_empresa)
    tickets = [
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila),
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=outra_fila),
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=vazia),
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=None),
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=supervisor),
        TicketFactory(empresa=outra_empresa, canal=canal_outra, fila=None),
        TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, status="fechado"),
    ]
    esperado = {
        tickets[0].pk: {atendente.pk, das_duas.pk},
        tickets[1].pk: {atendente_outra_fila.pk, das_duas.pk},
        tickets[3].pk: {supervisor.pk, admin.pk},
        tickets[4].pk: {supervisor.pk},
        tickets[5].pk: {admin_outra_empresa.pk},
    }
    sozinho = {t.pk: {p.pk for p in avisos._destinatarios(t)} for t in tickets[:6]}

    assert avisos.avisar_novos_tickets([t.pk for t in tickets], exceto=admin.pk) == 7

    avisados: dict = {}
    for ticket_id, atendente_id in _de("novo_ticket").values_list("ticket_id", "atendente_id"):
        avisados.setdefault(ticket_id, set()).add(atendente_id)
    assert {t: p for t, p in sozinho.items() if p} == esperado
    assert avisados == {t: p - {admin.pk} for t, p in esperado.items()}


def test_varios_tickets_sem_ninguem_a_avisar_custam_as_mesmas_consultas(
    empresa, canal_whatsapp, django_assert_num_queries
):
    vazia = FilaFactory(empresa=empresa, nome="Sem ninguém")
    tickets = [TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=vazia) for _ in range(8)]

    with django_assert_num_queries(2):  # the tickets, the members of their queues
        assert avisos.avisar_novos_tickets([t.pk for t in tickets[:2]]) == 0
    with django_assert_num_queries(2):
        assert avisos.avisar_novos_tickets([t.pk for t in tickets]) == 0


def test_ticket_aberto_pela_api_avisa_a_fila_menos_quem_abriu(
    ansioso,
    empresa,
    fila,
    canal_whatsapp,
    atendente,
    supervisor,
    django_capture_on_commit_callbacks,
):
    colega = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.ATENDENTE)
    fila.membros.create(empresa=empresa, atendente=colega)
    with django_capture_on_commit_callbacks(execute=True):
        cliente = APIClient()
        cliente.force_authenticate(atendente.usuario)
        resposta = cliente.post(
            "/api/atendimento/tickets/",
            {
                "canal": str(canal_whatsapp.id),
                "fila": str(fila.id),
                "contato": {"nome": "Maria", "telefone": "5511987654321"},
                "assunto": "Troca",
            },
        )
    assert resposta.status_code == 201, resposta.content
    assert list(_de("novo_ticket").values_list("atendente", flat=True)) == [colega.id]


# ----------------------------------------------------------------------------- sem resposta
def _esperando(ticket, minutos):
    quando = timezone.now() - timedelta(minutes=minutos)
    ticket.ultima_entrada_em = quando
    ticket.ultima_mensagem_em = quando
    ticket.save()
    return ticket


def test_sem_resposta_avisa_uma_vez_por_espera(ticket, atendente, settings):
    settings.NOTIFICACAO_SEM_RESPOSTA_MIN = 15
    _esperando(ticket, 10)
    assert ticket_sem_resposta() == 0  # not yet
    _esperando(ticket, 20)
    assert ticket_sem_resposta() == 1
    assert ticket_sem_resposta() == 0  # re-run
    (n,) = _de("ticket_sem_resposta")
    assert n.atendente == atendente
    # the agent answers: nothing more; the customer writes again and waits: a new notice
    ticket.ultima_mensagem_em = timezone.now()
    ticket.save()
    assert ticket_sem_resposta() == 0
    n.criado_em = timezone.now() - timedelta(minutes=40)  # that first notice was long ago
    n.save()
    _esperando(ticket, 30)
    assert ticket_sem_resposta() == 1
    assert ticket_sem_resposta() == 0


def test_sem_resposta_limite_da_fila_e_da_empresa(ticket, fila, empresa, atendente, settings):
    settings.NOTIFICACAO_SEM_RESPOSTA_MIN = 60
    _esperando(ticket, 10)
    empresa.configuracoes = {"alerta_sem_resposta_min": 5}
    empresa.save()
    assert ticket_sem_resposta() == 1
    Notificacao.objects.all().delete()
    fila.alerta_sem_resposta_min = 30  # the queue's own limit wins
    fila.save()
    assert ticket_sem_resposta() == 0
    fila.alerta_sem_resposta_min = 0  # 0: off for this queue
    fila.save()
    empresa.configuracoes = {}
    empresa.save()
    _esperando(ticket, 120)
    assert ticket_sem_resposta() == 0


def test_sem_resposta_ignora_fechados_e_silenciados(ticket, atendente, settings):
    settings.NOTIFICACAO_SEM_RESPOSTA_MIN = 15
    _esperando(ticket, 20)
    salvar_preferencias(atendente, {"ticket_sem_resposta": {"ativa": False, "email": True}})
    assert ticket_sem_resposta() == 0
    salvar_preferencias(atendente, {"ticket_sem_resposta": {"ativa": True, "email": True}})
    ticket.status = "fechado"
    ticket.save()
    assert ticket_sem_resposta() == 0


# ----------------------------------------------------------------------------- resumo diário
class _Caixa:
    def __init__(self):
        self.mensagens = []

    async def handle_DATA(self, server, session, envelope):
        self.mensagens.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    caixa = _Caixa()
    with socket.socket() as livre:
        livre.bind(("127.0.0.1", 0))
        porta = livre.getsockname()[1]
    controlador = Controller(caixa, hostname="127.0.0.1", port=porta)
    controlador.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = porta
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield caixa
    controlador.stop()


def test_resumo_diario_por_email_real_e_no_app_uma_vez(
    empresa,
    fila,
    canal_whatsapp,
    atendente,
    supervisor,
    admin_outra_empresa,
    smtp,
    django_capture_on_commit_callbacks,
):
    atendente.email = "beto@aurora.test"
    atendente.save()
    supervisor.email = "sergio@aurora.test"
    supervisor.save()
    ontem = timezone.localdate() - timedelta(days=1)
    meio_dia = timezone.make_aware(datetime.combine(ontem, datetime.min.time())) + timedelta(
        hours=12
    )
    for _ in range(3):
        t = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, atendente=atendente)
        t.criado_em = meio_dia
        t.primeira_resposta_em = meio_dia + timedelta(minutes=4)
        t.save()
        MensagemFactory(ticket=t, data=meio_dia)
        MensagemFactory(
            ticket=t,
            data=meio_dia + timedelta(minutes=4),
            direcao=Mensagem.Direcao.SAIDA,
            remetente_tipo=Mensagem.Remetente.ATENDENTE,
            atendente=atendente,
            status=Mensagem.Status.ENVIADA,
        )
    # another empresa's tickets never count
    alheio = TicketFactory(empresa=admin_outra_empresa.empresa)
    alheio.criado_em = meio_dia
    alheio.save()

    with django_capture_on_commit_callbacks(execute=True):
        enviados = resumo_diario()
    with django_capture_on_commit_callbacks(execute=True):
        assert resumo_diario() == 0  # re-run: nothing
    assert enviados == 3  # atendente, supervisor, the other empresa's admin

    do_atendente = _de("resumo_diario", atendente).get()
    assert "Tickets abertos: 3" in do_atendente.corpo
    assert "Mensagens enviadas: 3" in do_atendente.corpo
    assert "Primeira resposta (mediana): 4 min" in do_atendente.corpo
    do_supervisor = _de("resumo_diario", supervisor).get()
    assert "Mensagens recebidas: 3" in do_supervisor.corpo
    assert empresa.nome in do_supervisor.titulo
    do_outro = _de("resumo_diario", admin_outra_empresa).get()
    assert "Tickets abertos: 1" in do_outro.corpo

    recebidos = {tuple(destino): message_from_bytes(corpo) for destino, corpo in smtp.mensagens}
    assert set(recebidos) == {
        ("beto@aurora.test",),
        ("sergio@aurora.test",),
        (admin_outra_empresa.usuario.email,),
    }
    assunto = str(make_header(decode_header(recebidos[("beto@aurora.test",)]["Subject"])))
    assert assunto == do_atendente.titulo
    assert do_atendente.email_enviado_em is not None


def test_resumo_diario_silenciado(empresa, atendente, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    salvar_preferencias(atendente, {"resumo_diario": {"ativa": False, "email": False}})
    resumo_diario()
    assert not _de("resumo_diario", atendente).exists()
    assert mail.outbox == []


def test_resumo_de_um_dia_dado(empresa, atendente):
    assert resumo_diario("2026-11-30") == 1
    assert _de("resumo_diario", atendente).get().chave == "resumo_diario:2026-11-30"
    assert avisos.enviar_resumos("2026-11-30") == 0
