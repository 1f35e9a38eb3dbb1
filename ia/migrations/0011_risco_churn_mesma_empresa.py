"""``RiscoChurn`` gets the composite (empresa, contato) and (empresa, ticket) foreign keys of the
other tenant tables, so the database refuses a risk pointing at another empresa's contact or
ticket. Rows that already do (none should: the service takes both from the same ticket) are
dropped or unlinked first; the risk is recomputed daily."""

from __future__ import annotations

from django.db import migrations

from atendimento.integridade import fk_mesma_empresa

LIMPAR = migrations.RunSQL(
    """
    DELETE FROM atendimento_ai_risco_churn r
     USING atendimento_contatos c
     WHERE c.id = r.contato_id AND c.empresa_id <> r.empresa_id;
    UPDATE atendimento_ai_risco_churn r SET ticket_id = NULL
      FROM atendimento_tickets t
     WHERE t.id = r.ticket_id AND t.empresa_id <> r.empresa_id;
    """,
    migrations.RunSQL.noop,
)


class Migration(migrations.Migration):
    dependencies = [("ia", "0010_rotulos_traduziveis")]

    operations = [
        LIMPAR,
        fk_mesma_empresa("atendimento_ai_risco_churn", "contato_id", "atendimento_contatos"),
        fk_mesma_empresa("atendimento_ai_risco_churn", "ticket_id", "atendimento_tickets"),
    ]
