import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    """A generated column cannot be altered: drop its index and the column, add both back with
    the accent-insensitive Portuguese definition (chunks are derived data; values are recomputed)."""

    dependencies = [("ia", "0003_busca_pt_unaccent")]

    operations = [
        migrations.RemoveIndex(model_name="trechoconhecimento", name="trecho_busca_gin"),
        migrations.RemoveField(model_name="trechoconhecimento", name="busca"),
        migrations.AddField(
            model_name="trechoconhecimento",
            name="busca",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    models.Func(models.F("texto"), function="ia_sem_acento"), config="pt_unaccent"
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
    ]
