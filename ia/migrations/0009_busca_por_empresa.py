import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import ia.models


class Migration(migrations.Migration):
    """Knowledge-base search at scale: the chunk's full-text vector carries its empresa as a
    lexeme (the GIN scan returns one empresa's matches only), and embeddings are stored inline
    (``STORAGE PLAIN``: a distance no longer reads the TOAST table; rows written from now on and
    every chunk re-indexed by ``manage.py reindexar_conhecimento``). A generated column cannot be
    altered: its index and the column are dropped and added back (values are recomputed)."""

    dependencies = [("ia", "0008_risco_churn")]

    operations = [
        migrations.RemoveIndex(model_name="trechoconhecimento", name="trecho_busca_gin"),
        migrations.RemoveField(model_name="trechoconhecimento", name="busca"),
        migrations.AddField(
            model_name="trechoconhecimento",
            name="busca",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.SearchVector(
                        models.Func(models.F("texto"), function="ia_sem_acento"),
                        config="pt_unaccent",
                    ),
                    "||",
                    ia.models.LexemaEmpresa(models.F("empresa_id")),
                    django.contrib.postgres.search.SearchConfig("pt_unaccent"),
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="trechoconhecimento",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["busca"], name="trecho_busca_gin"
            ),
        ),
        migrations.RunSQL(
            "ALTER TABLE atendimento_base_conhecimento_trechos "
            "ALTER COLUMN embedding SET STORAGE PLAIN",
            "ALTER TABLE atendimento_base_conhecimento_trechos "
            "ALTER COLUMN embedding SET STORAGE EXTERNAL",
        ),
    ]
