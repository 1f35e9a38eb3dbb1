"""Database-level tenant integrity, used by migrations.

Django's foreign keys check that a referenced row exists, not that it belongs to the same
empresa.  Each parent table has UNIQUE (empresa_id, id); each child references it with a
composite foreign key (empresa_id, <fk>), so PostgreSQL itself refuses a ticket whose fila,
canal, contato or atendente belongs to another empresa.  Nullable columns follow MATCH SIMPLE:
a NULL reference is allowed.
"""

from __future__ import annotations

from django.db import migrations


def fk_mesma_empresa(tabela: str, coluna: str, tabela_pai: str) -> migrations.RunSQL:
    nome = f"{tabela}_{coluna}_mesma_empresa_fk"[:63]
    return migrations.RunSQL(
        f'ALTER TABLE "{tabela}" ADD CONSTRAINT "{nome}" FOREIGN KEY ("empresa_id", "{coluna}") '
        f'REFERENCES "{tabela_pai}" ("empresa_id", "id") DEFERRABLE INITIALLY DEFERRED',
        f'ALTER TABLE "{tabela}" DROP CONSTRAINT "{nome}"',
    )


def gatilho_ligacao_mesma_empresa(
    tabela: str, coluna_a: str, tabela_a: str, coluna_b: str, tabela_b: str
) -> migrations.RunSQL:
    """For many-to-many tables without an empresa column: both sides in the same empresa."""
    funcao = f"{tabela}_mesma_empresa"
    return migrations.RunSQL(
        f"""
        CREATE FUNCTION {funcao}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (SELECT empresa_id FROM "{tabela_a}" WHERE id = NEW.{coluna_a})
               IS DISTINCT FROM (SELECT empresa_id FROM "{tabela_b}" WHERE id = NEW.{coluna_b}) THEN
                RAISE EXCEPTION 'linha de outra empresa em {tabela}'
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER {funcao} BEFORE INSERT OR UPDATE ON "{tabela}"
            FOR EACH ROW EXECUTE FUNCTION {funcao}();
        """,  # noqa: S608 - table names are migration constants
        f'DROP TRIGGER {funcao} ON "{tabela}"; DROP FUNCTION {funcao}();',
    )


NUMERO_TICKET = migrations.RunSQL(
    """
    CREATE FUNCTION atendimento_ticket_numero() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.numero IS NULL THEN
            -- the row lock on the empresa's counter serialises concurrent creations
            UPDATE atendimento_empresas
               SET ultimo_numero_ticket = ultimo_numero_ticket + 1
             WHERE id = NEW.empresa_id
            RETURNING ultimo_numero_ticket INTO NEW.numero;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER atendimento_ticket_numero BEFORE INSERT ON atendimento_tickets
        FOR EACH ROW EXECUTE FUNCTION atendimento_ticket_numero();
    """,
    "DROP TRIGGER atendimento_ticket_numero ON atendimento_tickets;"
    " DROP FUNCTION atendimento_ticket_numero();",
)
