"""Personal data kept no longer than needed (LGPD):

- processed webhook payloads (the customers' raw messages) are pruned after
  ``RETENCAO_EVENTOS_DIAS`` days (a daily beat task and ``manage.py podar_eventos``);
- a deleted message (a deleted ticket's, in cascade) takes its media file with it;
- a contact's personal data can be exported (access request) and erased (erasure request)
  across tickets and channels; ticket rows, numbers, times and statuses stay, so the
  aggregate metrics (volumes, response times, SLA) are unchanged.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils import timezone

from atendimento.models import Contato, EventoWebhook, Mensagem, RegistroAuditoria, Ticket
from atendimento.services.auditoria import auditoria_registrar

logger = logging.getLogger(__name__)

FINAIS = (
    EventoWebhook.Status.PROCESSADO,
    EventoWebhook.Status.IGNORADO,
    EventoWebhook.Status.FALHOU,
)
ANONIMO = "Contato removido (LGPD)"


# ------------------------------------------------------------------------------- webhooks
def eventos_podar(*, dias: int | None = None, lote: int = 5000) -> int:
    """Delete finished webhook events older than ``dias`` (default RETENCAO_EVENTOS_DIAS)."""
    dias = settings.RETENCAO_EVENTOS_DIAS if dias is None else dias
    limite = timezone.now() - timedelta(days=dias)
    antigos = EventoWebhook.objects.filter(status__in=FINAIS, recebido_em__lt=limite)
    total = 0
    while True:
        ids = list(antigos.values_list("pk", flat=True)[:lote])
        if not ids:
            return total
        total += EventoWebhook.objects.filter(pk__in=ids).delete()[0]


# ------------------------------------------------------------------------------- media
def _apagar_arquivo(nome: str, storage) -> None:
    try:
        storage.delete(nome)
    except OSError:
        logger.warning("arquivo de mídia %s não pôde ser removido", nome)


def _midia_da_mensagem_excluida(sender, instance: Mensagem, **kwargs) -> None:
    if instance.midia_arquivo:
        nome, storage = instance.midia_arquivo.name, instance.midia_arquivo.storage
        transaction.on_commit(lambda: _apagar_arquivo(nome, storage))


def conectar() -> None:
    post_delete.connect(_midia_da_mensagem_excluida, sender=Mensagem, dispatch_uid="midia-rm")


# ------------------------------------------------------------------------------- LGPD
def contato_exportar(contato: Contato) -> dict[str, Any]:
    """Everything the desk holds about a contact, across its tickets and channels."""
    tickets = Ticket.objects.filter(empresa_id=contato.empresa_id, contato=contato).order_by(
        "criado_em"
    )
    dados = {
        "contato": {
            "id": str(contato.pk),
            "nome": contato.nome,
            "telefone": contato.telefone,
            "email": contato.email,
            "observacoes": contato.observacoes,
            "metadados": contato.metadados,
            "criado_em": contato.criado_em.isoformat(),
        },
        "identidades": [
            {"tipo": i.tipo, "valor": i.valor, "nome_exibicao": i.nome_exibicao}
            for i in contato.identidades.all()
        ],
        "tickets": [
            {
                "numero": t.numero,
                "assunto": t.assunto,
                "status": t.status,
                "canal": t.canal.nome,
                "criado_em": t.criado_em.isoformat(),
                "mensagens": [
                    {
                        "direcao": m.direcao,
                        "tipo": m.tipo,
                        "conteudo": m.conteudo,
                        "midia": m.midia_nome,
                        "data": m.data.isoformat(),
                    }
                    for m in t.mensagens.order_by("data", "criado_em")
                ],
            }
            for t in tickets.select_related("canal")
        ],
    }
    auditoria_registrar(
        empresa_id=contato.empresa_id,
        acao=RegistroAuditoria.Acao.EXPORTAR,
        objeto_tipo=Contato._meta.verbose_name,
        objeto_id=contato.pk,
        objeto_repr=str(contato.pk),
        detalhe=f"dados pessoais exportados: {len(dados['tickets'])} ticket(s)",
    )
    return dados


@transaction.atomic
def contato_apagar_dados(contato: Contato) -> dict[str, int]:
    """Erase a contact's personal data; keep tickets (numbers, times, statuses) for metrics."""
    empresa_id = contato.empresa_id
    valores = {v.encode() for v in contato.identidades.values_list("valor", flat=True) if v}
    valores |= {v.encode() for v in (contato.telefone, contato.email) if v}
    mensagens = Mensagem.objects.filter(empresa_id=empresa_id, ticket__contato=contato)
    arquivos = [
        (m.midia_arquivo.name, m.midia_arquivo.storage)
        for m in mensagens.exclude(midia_arquivo="").only("midia_arquivo")
    ]
    apagadas = mensagens.update(
        conteudo="",
        dados={},
        historico_edicoes=[],
        remetente_nome="",
        remetente_id_externo="",
        midia_arquivo="",
        midia_ref="",
        midia_nome="",
    )
    Ticket.objects.filter(empresa_id=empresa_id, contato=contato).update(assunto="")
    eventos = 0
    for valor in valores:
        # raw payloads that carry this contact's number/e-mail, whatever their status
        eventos += EventoWebhook.objects.filter(
            empresa_id=empresa_id, pk__in=_eventos_com(empresa_id, valor)
        ).delete()[0]
    identidades, _ = contato.identidades.all().delete()
    contato.nome = ANONIMO
    contato.telefone = ""
    contato.email = ""
    contato.observacoes = ""
    contato.metadados = {"lgpd_apagado_em": timezone.now().isoformat()}
    contato.save()
    auditoria_registrar(
        empresa_id=empresa_id,
        acao=RegistroAuditoria.Acao.APAGAR_DADOS,
        objeto_tipo=Contato._meta.verbose_name,
        objeto_id=contato.pk,
        objeto_repr=str(contato.pk),
        detalhe=f"{apagadas} mensagem(ns), {identidades} identidade(s), {eventos} evento(s)",
    )
    for nome, storage in arquivos:
        transaction.on_commit(lambda n=nome, s=storage: _apagar_arquivo(n, s))
    return {"mensagens": apagadas, "identidades": identidades, "eventos": eventos}


def _eventos_com(empresa_id, valor: bytes) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM atendimento_eventos_webhook WHERE empresa_id = %s "
            "AND position(%s::bytea in corpo) > 0",
            [empresa_id, valor],
        )
        return [linha[0] for linha in cursor.fetchall()]
