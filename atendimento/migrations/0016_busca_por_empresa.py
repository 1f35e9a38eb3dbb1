import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

import atendimento.models.busca


class Migration(migrations.Migration):
    """The messages' full-text index carries the empresa as a lexeme
    (``atendimento.models.busca``): a search reads one empresa's matches from the index instead
    of every empresa's.  Built and dropped concurrently: the messages table keeps taking writes
    (the new index first, so search never runs without one)."""

    atomic = False

    dependencies = [
        ("atendimento", "0015_atendente_idioma"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="mensagem",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.SearchVector("conteudo", config="portuguese"),
                    "||",
                    atendimento.models.busca.LexemaEmpresa(models.F("empresa_id")),
                    django.contrib.postgres.search.SearchConfig("portuguese"),
                ),
                name="mensagem_busca_empresa",
            ),
        ),
        RemoveIndexConcurrently(
            model_name="mensagem",
            name="mensagem_conteudo_busca",
        ),
    ]
