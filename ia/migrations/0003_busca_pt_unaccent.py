"""Full-text search in Portuguese that ignores accents.

The ``unaccent`` contrib extension is not in every PostgreSQL build (the embedded server has only
pgvector), so accents are folded by an immutable SQL function instead; the ``pt_unaccent``
configuration is Portuguese stemming applied to that folded text, both on the stored vectors and
on the questions.
"""

from django.db import migrations

FUNCAO = r"""
CREATE OR REPLACE FUNCTION ia_sem_acento(texto text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT translate(lower(texto),
    'áàâãäåéèêëíìîïóòôõöúùûüçñý',
    'aaaaaaeeeeiiiiooooouuuucny')
$$;
CREATE TEXT SEARCH CONFIGURATION pt_unaccent (COPY = portuguese);
"""

DESFAZER = """
DROP TEXT SEARCH CONFIGURATION IF EXISTS pt_unaccent;
DROP FUNCTION IF EXISTS ia_sem_acento(text);
"""


class Migration(migrations.Migration):
    dependencies = [("ia", "0002_integridade")]

    operations = [migrations.RunSQL(FUNCAO, DESFAZER)]
