"""``<field>__any=<list>``: ``column = ANY(%s)`` with the whole list as ONE array parameter.

``__in`` spells one placeholder per value; for the inbound drain's lookups (hundreds of phone
variants per batch) building and binding such a statement cost more than running it (the
driver splits the SQL text at every placeholder, uncached past a few kilobytes: a quarter of
the drain's time in a profile).  PostgreSQL uses the same index for ``= ANY(array)``.
"""

from __future__ import annotations

from django.db.models import Field, Lookup


@Field.register_lookup
class QualquerUm(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        campo = self.lhs.output_field
        return "%s", [[campo.get_db_prep_value(v, connection, prepared=False) for v in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
