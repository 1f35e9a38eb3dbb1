"""Full-text search scoped to one empresa in a GIN index shared by every empresa.

The embedded PostgreSQL ships no ``btree_gin``, so a composite (empresa, tsvector) GIN index is
not available.  Instead the empresa is one extra lexeme of the indexed vector (``e`` + the id's
32 hex digits, ``LexemaEmpresa``) and a search ANDs it with the user's terms
(``BuscaDaEmpresa``): the GIN scan then intersects the two posting lists and returns only that
empresa's matches, instead of every empresa's matches of a frequent word ("boleto" matches ~4 %
of all messages; one empresa's share is 1/20 of that at 20 empresas).  The query still filters
on ``empresa_id`` too, so the result never depends on the lexeme alone."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorCombinable, SearchVectorField
from django.db.models import BooleanField, Func

#: the empresa's lexeme as SQL, from the SQL of its id
_LEXEMA = "'e' || replace(({})::text, '-', '')"


class LexemaEmpresa(SearchVectorCombinable, Func):
    """The empresa as one lexeme of a full-text vector:
    ``SearchVector(...) + LexemaEmpresa(F("empresa_id"))``."""

    template = f"array_to_tsvector(ARRAY[{_LEXEMA.format('%(expressions)s')}])"
    output_field = SearchVectorField()


class BuscaDaEmpresa(Func):
    """A filter: ``vetor @@ (consulta && the empresa's lexeme)`` — ``vetor`` an indexed vector
    that carries ``LexemaEmpresa``, ``consulta`` a ``SearchQuery``, ``empresa_id`` a value.  A
    query without lexemes (only stop words: "de", "o") matches nothing, as ``vetor @@ consulta``
    would: ANDed with the lexeme alone it would match every row of the empresa."""

    output_field = BooleanField()

    def __init__(self, vetor, consulta, empresa_id) -> None:
        super().__init__(vetor, consulta, empresa_id)

    def as_sql(self, compiler, connection, **extra_context):
        (vetor, p_vetor), (consulta, p_consulta), (empresa, p_empresa) = (
            compiler.compile(expressao) for expressao in self.get_source_expressions()
        )
        lexema = _LEXEMA.format(empresa)
        sql = (
            f"({vetor} @@ (CASE WHEN numnode({consulta}) = 0 THEN {consulta} "
            f"ELSE ({consulta} && ({lexema})::tsquery) END))"
        )
        return sql, (*p_vetor, *p_consulta, *p_consulta, *p_consulta, *p_empresa)
