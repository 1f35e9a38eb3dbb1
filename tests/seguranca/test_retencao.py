"""Retention (LGPD): processed webhook payloads pruned after the retention period, media files
of deleted tickets removed, a contact's data exported and erased across tickets and channels
with the aggregate metrics intact."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from atendimento.models import (
    Contato,
    EventoWebhook,
    IdentidadeContato,
    Mensagem,
    RegistroAuditoria,
    Ticket,
)
from tests.factories import (
    CanalFactory,
    ContatoFactory,
    IdentidadeContatoFactory,
    MensagemFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def midia(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _evento(canal, status, dias, corpo=b'{"x": 1}'):
    evento = EventoWebhook.objects.create(
        empresa=canal.empresa, canal=canal, corpo=corpo, status=status
    )
    EventoWebhook.objects.filter(pk=evento.pk).update(
        recebido_em=timezone.now() - timedelta(days=dias)
    )
    return evento


def _com_arquivo(ticket, nome="foto.png") -> Mensagem:
    mensagem = MensagemFactory(
        ticket=ticket, tipo="imagem", midia_mime="image/png", midia_nome=nome
    )
    mensagem.midia_arquivo.save(nome, ContentFile(b"\x89PNG dados"), save=True)
    return mensagem


def test_podar_eventos_processados_antigos(settings):
    settings.RETENCAO_EVENTOS_DIAS = 30
    canal = CanalFactory()
    velho = _evento(canal, "processado", 31)
    velho_ignorado = _evento(canal, "ignorado", 40)
    pendente = _evento(canal, "recebido", 90)  # never processed: kept, whatever its age
    recente = _evento(canal, "processado", 2)
    saida = io.StringIO()
    call_command("podar_eventos", stdout=saida)
    restantes = set(EventoWebhook.objects.values_list("pk", flat=True))
    assert restantes == {pendente.pk, recente.pk}
    assert velho.pk not in restantes
    assert velho_ignorado.pk not in restantes
    assert "2 evento(s)" in saida.getvalue()


def test_tarefa_diaria_de_poda(settings):
    from canais.tasks import podar_eventos_webhook

    assert settings.CELERY_BEAT_SCHEDULE["podar-eventos-webhook"]["task"] == (
        podar_eventos_webhook.name
    )
    _evento(CanalFactory(), "processado", settings.RETENCAO_EVENTOS_DIAS + 1)
    assert podar_eventos_webhook() == 1


def test_ticket_excluido_leva_os_arquivos(midia):
    ticket = TicketFactory()
    mensagem = _com_arquivo(ticket)
    caminho = midia / mensagem.midia_arquivo.name
    assert caminho.exists()
    ticket.delete()
    assert not caminho.exists()


@pytest.fixture
def cliente_com_historia(midia):
    contato = ContatoFactory(nome="Maria Souza", telefone="5511987654321", email="maria@ex.com")
    IdentidadeContatoFactory(contato=contato, valor="5511987654321")
    IdentidadeContatoFactory(contato=contato, tipo="email", valor="maria@ex.com")
    whatsapp = CanalFactory(empresa=contato.empresa)
    email = CanalFactory(empresa=contato.empresa, tipo="email", identificador="sup@loja.com")
    t1 = TicketFactory(empresa=contato.empresa, canal=whatsapp, contato=contato, assunto="Pedido")
    t2 = TicketFactory(empresa=contato.empresa, canal=email, contato=contato, assunto="NF")
    MensagemFactory(ticket=t1, conteudo="Meu CPF é 123.456.789-09")
    MensagemFactory(ticket=t2, conteudo="Segue a nota fiscal")
    arquivo = _com_arquivo(t2, "nota.png")
    _evento(whatsapp, "processado", 1, b'{"from": "5511987654321", "text": "Meu CPF"}')
    outro = _evento(whatsapp, "processado", 1, b'{"from": "5521999990000"}')
    return contato, (t1, t2), midia / arquivo.midia_arquivo.name, outro


def test_exportar_dados_do_contato(cliente_com_historia, tmp_path):
    contato, _tickets, _arquivo, _outro = cliente_com_historia
    destino = tmp_path / "maria.json"
    call_command(
        "exportar_dados_contato",
        str(contato.empresa_id),
        str(contato.pk),
        "--saida",
        str(destino),
        "--solicitante",
        "dpo@loja.com",
        stderr=io.StringIO(),
    )
    dados = json.loads(destino.read_text())
    assert dados["contato"]["email"] == "maria@ex.com"
    assert {i["valor"] for i in dados["identidades"]} == {"5511987654321", "maria@ex.com"}
    conteudos = [m["conteudo"] for t in dados["tickets"] for m in t["mensagens"]]
    assert "Meu CPF é 123.456.789-09" in conteudos
    assert "Segue a nota fiscal" in conteudos
    registro = RegistroAuditoria.objects.get(acao="exportar")
    assert registro.usuario_nome == "dpo@loja.com"
    assert registro.empresa_id == contato.empresa_id


def test_contato_de_outra_empresa_nao_e_encontrado(cliente_com_historia):
    contato, *_ = cliente_com_historia
    outra = ContatoFactory()
    with pytest.raises(CommandError):
        call_command("exportar_dados_contato", str(outra.empresa_id), str(contato.pk))
    with pytest.raises(CommandError):
        call_command("apagar_dados_contato", str(outra.empresa_id), str(contato.pk), "--confirmar")


def test_apagar_dados_do_contato(cliente_com_historia):
    contato, (t1, t2), arquivo, outro = cliente_com_historia
    with pytest.raises(CommandError):  # nothing without --confirmar
        call_command("apagar_dados_contato", str(contato.empresa_id), str(contato.pk))
    assert Contato.objects.get(pk=contato.pk).nome == "Maria Souza"

    saida = io.StringIO()
    call_command(
        "apagar_dados_contato",
        str(contato.empresa_id),
        str(contato.pk),
        "--confirmar",
        stdout=saida,
    )
    contato.refresh_from_db()
    assert (contato.nome, contato.telefone, contato.email) == ("Contato removido (LGPD)", "", "")
    assert not IdentidadeContato.objects.filter(contato=contato).exists()
    mensagens = Mensagem.objects.filter(ticket__contato=contato)
    assert mensagens.count() == 3  # the rows stay (volumes, response times)
    assert not mensagens.exclude(conteudo="").exists()
    assert not mensagens.exclude(midia_arquivo="").exists()
    assert not arquivo.exists()
    assert list(EventoWebhook.objects.values_list("pk", flat=True)) == [outro.pk]
    tickets = Ticket.objects.filter(pk__in=[t1.pk, t2.pk])
    assert sorted(tickets.values_list("numero", flat=True)) == sorted([t1.numero, t2.numero])
    assert RegistroAuditoria.objects.filter(acao="apagar_dados", objeto_id=str(contato.pk)).exists()
