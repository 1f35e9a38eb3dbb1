from __future__ import annotations

from django.db import migrations

from atendimento.integridade import fk_mesma_empresa


class Migration(migrations.Migration):
    dependencies = [("ia", "0001_initial"), ("atendimento", "0002_integridade")]

    operations = [
        fk_mesma_empresa("atendimento_ai_insights", "ticket_id", "atendimento_tickets"),
        fk_mesma_empresa("atendimento_ai_insights", "mensagem_id", "atendimento_mensagens"),
        fk_mesma_empresa("atendimento_ai_respostas", "ticket_id", "atendimento_tickets"),
        fk_mesma_empresa("atendimento_ai_respostas", "mensagem_id", "atendimento_mensagens"),
        fk_mesma_empresa(
            "atendimento_base_conhecimento_trechos", "artigo_id", "atendimento_base_conhecimento"
        ),
    ]
