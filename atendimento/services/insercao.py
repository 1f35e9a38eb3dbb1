"""``INSERT ... ON CONFLICT DO NOTHING RETURNING pk`` for one model instance.

Provider retries (even concurrent ones) must store a message or a webhook event once: the unique
indexes decide, and the caller learns whether *this* call inserted the row.  ``bulk_create(...,
ignore_conflicts=True)`` cannot tell, so the statement is built by Django's own insert compiler
(same columns, defaults and ``pre_save`` values as ``Model.save()``) and executed here.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def inserir_ignorando_conflito(obj: Model) -> bool:
    """Insert ``obj``; True when the row was inserted, False when a unique index already held
    an equal row (nothing written).  Waits, like any INSERT, for a concurrent transaction that
    inserted the same key, and then reports the conflict once that one commits."""
    modelo = type(obj)
    meta = modelo._meta
    banco = router.db_for_write(modelo, instance=obj)
    campos = [f for f in meta.local_concrete_fields if not getattr(f, "generated", False)]
    consulta = InsertQuery(modelo, on_conflict=OnConflict.IGNORE)
    consulta.insert_values(campos, [obj])
    compilador = consulta.get_compiler(using=banco)
    compilador.returning_fields = [meta.pk]
    ((sql, parametros),) = compilador.as_sql()
    with connections[banco].cursor() as cursor:
        cursor.execute(sql, parametros)
        linha = cursor.fetchone()
    if linha is None:
        return False
    obj._state.adding = False
    obj._state.db = banco
    return True


def inserir_varios_ignorando_conflito(objs: list[Model]) -> set:
    """Insert the instances (all of one model) in ONE statement (``INSERT … SELECT * FROM
    UNNEST(…)`` on PostgreSQL, or a multi-row ``VALUES``), skipping those a unique index
    already holds — including a repeat inside ``objs``, the first one wins.  Returns the
    primary keys of the rows inserted (primary keys must be set before the call)."""
    if not objs:
        return set()
    modelo = type(objs[0])
    meta = modelo._meta
    banco = router.db_for_write(modelo)
    campos = [f for f in meta.local_concrete_fields if not getattr(f, "generated", False)]
    consulta = InsertQuery(modelo, on_conflict=OnConflict.IGNORE)
    consulta.insert_values(campos, objs)
    compilador = consulta.get_compiler(using=banco)
    compilador.returning_fields = [meta.pk]
    ((sql, parametros),) = compilador.as_sql()
    with connections[banco].cursor() as cursor:
        cursor.execute(sql, parametros)
        inseridos = {linha[0] for linha in cursor.fetchall()}
    for obj in objs:
        if obj.pk in inseridos:
            obj._state.adding = False
            obj._state.db = banco
    return inseridos
