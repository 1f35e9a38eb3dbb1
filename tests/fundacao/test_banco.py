from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from atendimento.models import Canal, IntegracaoConfig, Mensagem, Ticket
from tests.factories import (
    CanalFactory,
    ContatoFactory,
    EmpresaFactory,
    FilaFactory,
    MensagemFactory,
    TagFactory,
    TicketFactory,
)


@pytest.mark.django_db(transaction=True)
def test_50_concurrent_ticket_creations_get_50_distinct_numbers():
    empresa = EmpresaFactory()
    canal = CanalFactory(empresa=empresa)
    contatos = [ContatoFactory(empresa=empresa) for _ in range(50)]
    numeros: list[int] = []
    erros: list[BaseException] = []
    largada = threading.Barrier(50)

    def criar(contato):
        try:
            largada.wait()
            with transaction.atomic():
                ticket = Ticket.objects.create(empresa=empresa, canal=canal, contato=contato)
            numeros.append(ticket.numero)
        except BaseException as erro:  # collected and asserted below
            erros.append(erro)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=criar, args=(c,)) for c in contatos]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert erros == []
    assert sorted(numeros) == list(range(1, 51))
    assert sorted(Ticket.objects.values_list("numero", flat=True)) == list(range(1, 51))


@pytest.mark.django_db
def test_ticket_numbers_are_per_empresa():
    a, b = EmpresaFactory(), EmpresaFactory()
    assert [TicketFactory(empresa=a).numero for _ in range(3)] == [1, 2, 3]
    assert TicketFactory(empresa=b).numero == 1


@pytest.mark.django_db
def test_message_external_id_is_unique_per_channel():
    mensagem = MensagemFactory(id_externo="wamid.ABC")
    with pytest.raises(IntegrityError), transaction.atomic():
        MensagemFactory(ticket=mensagem.ticket, id_externo="wamid.ABC")
    # the same provider id on another channel is another message
    MensagemFactory(id_externo="wamid.ABC")
    # and messages without a provider id never collide
    MensagemFactory(ticket=mensagem.ticket, id_externo=None)
    MensagemFactory(ticket=mensagem.ticket, id_externo=None)
    assert Mensagem.objects.filter(id_externo="wamid.ABC").count() == 2


@pytest.mark.django_db
def test_insert_on_conflict_do_nothing_stores_a_retry_once():
    mensagem = MensagemFactory(id_externo="wamid.RETRY")
    dados = {
        f.attname: getattr(mensagem, f.attname)
        for f in Mensagem._meta.concrete_fields
        if f.attname != "id"
    }
    Mensagem.objects.bulk_create([Mensagem(**dados)], ignore_conflicts=True)
    assert Mensagem.objects.filter(id_externo="wamid.RETRY").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("campo", ["fila", "canal", "contato"], ids=["fila", "canal", "contato"])
def test_database_refuses_a_ticket_pointing_at_another_empresas_row(campo):
    ticket = TicketFactory()
    outra = EmpresaFactory()
    estrangeiro = {
        "fila": lambda: FilaFactory(empresa=outra),
        "canal": lambda: CanalFactory(empresa=outra),
        "contato": lambda: ContatoFactory(empresa=outra),
    }[campo]()
    setattr(ticket, campo, estrangeiro)

    def salvar_e_verificar():
        with transaction.atomic():
            ticket.save()
            connection.check_constraints()

    with pytest.raises(IntegrityError):
        salvar_e_verificar()
    ticket.refresh_from_db()
    assert getattr(ticket, f"{campo}_id") != estrangeiro.id


@pytest.mark.django_db
@pytest.mark.parametrize("campo", ["contato", "ticket"])
def test_database_refuses_a_churn_risk_pointing_at_another_empresas_row(campo):
    from ia.models import RiscoChurn

    ticket = TicketFactory()
    outra = EmpresaFactory()
    dados = {"contato": ticket.contato, "ticket": ticket}
    dados[campo] = {
        "contato": lambda: ContatoFactory(empresa=outra),
        "ticket": lambda: TicketFactory(empresa=outra),
    }[campo]()

    def gravar_e_verificar():
        with transaction.atomic():
            RiscoChurn.objects.create(
                empresa=ticket.empresa,
                risco="alto",
                probabilidade=0.9,
                calculado_em=timezone.now(),
                **dados,
            )
            connection.check_constraints()

    with pytest.raises(IntegrityError):
        gravar_e_verificar()
    assert not RiscoChurn.objects.exists()
    # the same row within the empresa is accepted
    with transaction.atomic():
        RiscoChurn.objects.create(
            empresa=ticket.empresa,
            contato=ticket.contato,
            ticket=ticket,
            risco="alto",
            probabilidade=0.9,
            calculado_em=timezone.now(),
        )
        connection.check_constraints()
    assert RiscoChurn.objects.count() == 1


@pytest.mark.django_db
def test_database_refuses_a_tag_of_another_empresa_on_a_ticket():
    ticket = TicketFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ticket.tags.add(TagFactory())
    assert ticket.tags.count() == 0


@pytest.mark.django_db
def test_one_open_ticket_per_conversation():
    ticket = TicketFactory(conversa_id_externo="5511999990000")
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketFactory(
            empresa=ticket.empresa,
            canal=ticket.canal,
            contato=ticket.contato,
            conversa_id_externo="5511999990000",
        )
    ticket.status = Ticket.Status.FECHADO
    ticket.fechado_em = timezone.now()
    ticket.save()
    novo = TicketFactory(
        empresa=ticket.empresa,
        canal=ticket.canal,
        contato=ticket.contato,
        conversa_id_externo="5511999990000",
    )
    assert novo.numero == ticket.numero + 1


@pytest.mark.django_db
def test_channel_and_integration_secrets_are_encrypted_in_the_row():
    canal = CanalFactory(segredos={"access_token": "EAAsegredo-muito-secreto", "app_secret": "s3"})
    integracao = IntegracaoConfig.objects.create(
        empresa=canal.empresa, tipo="openai", segredos={"api_key": "sk-segredo-openai"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT segredos::text FROM atendimento_canais WHERE id = %s", [canal.id])
        bruto_canal = cursor.fetchone()[0]
        cursor.execute(
            "SELECT segredos::text FROM atendimento_integracoes_config WHERE id = %s",
            [integracao.id],
        )
        bruto_integracao = cursor.fetchone()[0]
    assert "EAAsegredo-muito-secreto" not in bruto_canal
    assert "sk-segredo-openai" not in bruto_integracao
    assert Canal.objects.get(pk=canal.pk).segredos["access_token"] == "EAAsegredo-muito-secreto"
    assert IntegracaoConfig.objects.get(pk=integracao.pk).segredos == {
        "api_key": "sk-segredo-openai"
    }


@pytest.mark.django_db
def test_migrations_built_vector_extension_and_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone() is not None
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('atendimento_base_conhecimento_trechos', 'atendimento_mensagens', "
            "'atendimento_tickets')"
        )
        indices = dict(cursor.fetchall())
    assert "USING hnsw (embedding vector_cosine_ops)" in indices["trecho_embedding_hnsw"]
    assert "USING gin (busca)" in indices["trecho_busca_gin"]
    assert "to_tsvector('portuguese'" in indices["mensagem_busca_empresa"]
    assert "array_to_tsvector(ARRAY[('e'" in indices["mensagem_busca_empresa"]
    assert "mensagem_conteudo_busca" not in indices
    assert "ultima_mensagem_em DESC NULLS LAST" in indices["ticket_inbox"]
    assert "mensagem_ticket_ordem" in indices
