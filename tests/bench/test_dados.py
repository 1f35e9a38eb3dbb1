"""bench/dados.py on a small set: rows that satisfy every database rule (composite tenant
foreign keys, ticket numbering, one open ticket per conversation), deterministic, reusable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F

from atendimento.models import Empresa, Mensagem, Ticket
from bench.dados import garantir
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_conjunto_pequeno_respeita_o_banco():
    dados = garantir(empresas=2, tickets=300, mensagens=3000, migrar=False)
    connection.check_constraints()  # the deferred composite foreign keys, now

    assert Ticket.objects.count() == 300
    # each ticket's count is drawn (exponential, mean 10): over 300 tickets the total's standard
    # deviation is ~165, and the draws depend on the clock (tickets older than 7 days close), so
    # the bounds are six deviations wide (±3.3 was seen once, at 2,454)
    assert 2000 < Mensagem.objects.count() < 4000
    for gerada in dados.empresas:
        empresa = Empresa.objects.get(id=gerada.id)
        numeros = sorted(Ticket.objects.filter(empresa=empresa).values_list("numero", flat=True))
        assert numeros == list(range(1, 151))
        assert empresa.ultimo_numero_ticket == 150
        # the trigger continues after the generated numbers
        ticket = Ticket.objects.filter(empresa=empresa).first()
        novo = TicketFactory(empresa=empresa, canal=ticket.canal, contato=ticket.contato)
        assert novo.numero == 151
    # every message of a ticket is of the ticket's empresa and channel
    assert not Mensagem.objects.exclude(empresa_id=F("ticket__empresa_id")).exists()
    assert not Mensagem.objects.exclude(canal_id=F("ticket__canal_id")).exists()
    # reused when asked again with the same arguments
    de_novo = garantir(empresas=2, tickets=300, mensagens=3000, migrar=False)
    assert [e.id for e in de_novo.empresas] == [e.id for e in dados.empresas]


def test_outras_empresas_bench_nao_invalidam_o_conjunto():
    """bench/ingest.py creates its own ``bench-…`` empresas in the same database: the generated
    set is still reused (not generated again) and they are left alone."""
    from tests.factories import EmpresaFactory

    dados = garantir(empresas=2, tickets=40, mensagens=200, migrar=False)
    outra = EmpresaFactory(nome="Bench ingest", slug="bench-1a2b3c4d")

    de_novo = garantir(empresas=2, tickets=40, mensagens=200, migrar=False)

    assert [e.id for e in de_novo.empresas] == [e.id for e in dados.empresas]
    assert de_novo.segundos == 0.0  # reused, not generated
    garantir(empresas=3, tickets=60, mensagens=300, migrar=False)  # other arguments: replaced
    assert Empresa.objects.filter(pk=outra.pk).exists()
