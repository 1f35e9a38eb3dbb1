"""``INSERT ... ON CONFLICT DO NOTHING RETURNING pk`` for one model instance.

Provider retries (even concurrent ones) must store a message or a webhook event once: the unique
indexes decide, and the caller learns whether *this* call inserted the row.  ``bulk_create(...,
ignore_conflicts=True)`` cannot tell, so the statement is built by Django's own insert compiler
(same columns, defaults and ``pre_save`` values as ``Model.save()``) and executed here.
"""

from __future__ import annotations

import psycopg
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
    return _marcar_inseridos(objs, inseridos, banco)


def inserir_varios_por_colunas(objs: list[Model]) -> set:
    """:func:`inserir_varios_ignorando_conflito` with ONE statement text whatever the number of
    rows: ``INSERT … SELECT * FROM UNNEST(%s::tipo[], …) ON CONFLICT DO NOTHING RETURNING pk``,
    one array parameter per column, bound by the server (psycopg sends the arrays as
    parameters; the server prepares the statement after a few executions on a connection).

    Django's compiler writes a multi-row ``VALUES`` with one placeholder per value (a model
    with a ``BinaryField`` never gets its ``UNNEST`` form), and its client-side binding then
    splits and quotes a different, long statement for every group — a quarter of the web
    process's CPU under load on the webhook writer.  Same columns, defaults and ``pre_save``
    values as ``Model.save()``; other database vendors take the compiler's statement."""
    if not objs:
        return set()
    modelo = type(objs[0])
    meta = modelo._meta
    banco = router.db_for_write(modelo)
    conexao = connections[banco]
    if conexao.vendor != "postgresql":
        return inserir_varios_ignorando_conflito(objs)
    campos = [f for f in meta.local_concrete_fields if not getattr(f, "generated", False)]
    colunas = [
        [campo.get_db_prep_save(campo.pre_save(obj, True), connection=conexao) for obj in objs]
        for campo in campos
    ]
    sql = _SQL_POR_COLUNAS.get((modelo, banco))
    if sql is None:
        sql = _sql_por_colunas(modelo, campos, conexao)
        _SQL_POR_COLUNAS[(modelo, banco)] = sql
    conexao.ensure_connection()
    with conexao.wrap_database_errors:
        bruto = psycopg.Cursor(conexao.connection)  # server-side binding
    with conexao._prepare_cursor(bruto) as cursor:  # Django's wrapper: errors, query logging
        cursor.execute(sql, colunas)
        inseridos = {linha[0] for linha in cursor.fetchall()}
    return _marcar_inseridos(objs, inseridos, banco)


def _marcar_inseridos(objs: list[Model], inseridos: set, banco: str) -> set:
    """The instances whose row was inserted become saved instances (as after ``save()``)."""
    for obj in objs:
        if obj.pk in inseridos:
            obj._state.adding = False
            obj._state.db = banco
    return inseridos


_SQL_POR_COLUNAS: dict[tuple[type[Model], str], str] = {}


def _sql_por_colunas(modelo: type[Model], campos: list, conexao) -> str:
    nome = conexao.ops.quote_name
    tabela = nome(modelo._meta.db_table)
    # without the length (varchar(40)[] → varchar[]): no truncation, as Django's own UNNEST
    tipos = [campo.db_type(conexao).split("(")[0] for campo in campos]
    # names and types from the model's metadata (quoted); every value is a bound parameter
    colunas = ", ".join(nome(c.column) for c in campos)
    arrays = ", ".join(f"%s::{tipo}[]" for tipo in tipos)
    chave = f"{tabela}.{nome(modelo._meta.pk.column)}"
    return f"INSERT INTO {tabela} ({colunas}) SELECT * FROM UNNEST({arrays}) ON CONFLICT DO NOTHING RETURNING {chave}"  # noqa: E501, S608
