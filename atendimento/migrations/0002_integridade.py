from __future__ import annotations

from django.db import migrations

from atendimento.integridade import NUMERO_TICKET, fk_mesma_empresa, gatilho_ligacao_mesma_empresa

ATENDENTES = "atendimento_atendentes"
FILAS = "atendimento_filas"
CANAIS = "atendimento_canais"
CONTATOS = "atendimento_contatos"
TICKETS = "atendimento_tickets"
MENSAGENS = "atendimento_mensagens"


class Migration(migrations.Migration):
    dependencies = [("atendimento", "0001_initial")]

    operations = [
        NUMERO_TICKET,
        fk_mesma_empresa("atendimento_atendente_fila", "atendente_id", ATENDENTES),
        fk_mesma_empresa("atendimento_atendente_fila", "fila_id", FILAS),
        fk_mesma_empresa(FILAS, "ultimo_atendente_distribuido_id", ATENDENTES),
        fk_mesma_empresa(CANAIS, "fila_padrao_id", FILAS),
        fk_mesma_empresa("atendimento_eventos_webhook", "canal_id", CANAIS),
        fk_mesma_empresa("atendimento_contato_identidades", "contato_id", CONTATOS),
        fk_mesma_empresa(TICKETS, "canal_id", CANAIS),
        fk_mesma_empresa(TICKETS, "fila_id", FILAS),
        fk_mesma_empresa(TICKETS, "atendente_id", ATENDENTES),
        fk_mesma_empresa(TICKETS, "contato_id", CONTATOS),
        fk_mesma_empresa("atendimento_historico", "ticket_id", TICKETS),
        fk_mesma_empresa("atendimento_historico", "atendente_id", ATENDENTES),
        fk_mesma_empresa(MENSAGENS, "ticket_id", TICKETS),
        fk_mesma_empresa(MENSAGENS, "canal_id", CANAIS),
        fk_mesma_empresa(MENSAGENS, "atendente_id", ATENDENTES),
        fk_mesma_empresa(MENSAGENS, "responder_a_id", MENSAGENS),
        fk_mesma_empresa(MENSAGENS, "template_id", "atendimento_templates"),
        fk_mesma_empresa("atendimento_templates", "fila_id", FILAS),
        gatilho_ligacao_mesma_empresa(
            "atendimento_ticket_tags", "ticket_id", TICKETS, "tag_id", "atendimento_tags"
        ),
    ]
