"""Tickets CRUD: list (filters, search, ordering, visibility), detail, create, edit, delete."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from atendimento.models import Contato, Historico, IdentidadeContato, Ticket
from ia.models import AIInsight, RiscoChurn
from tests.factories import (
    ContatoFactory,
    IdentidadeContatoFactory,
    MensagemFactory,
    TagFactory,
    TicketFactory,
)

from .conftest import API

pytestmark = pytest.mark.django_db


def ids(resposta) -> set[str]:
    return {item["id"] for item in resposta.json()["results"]}


# ------------------------------------------------------------------------------- list
def test_lista_paginada_no_formato_do_contrato(api_admin, ticket):
    resposta = api_admin.get(f"{API}/tickets/")

    assert resposta.status_code == 200
    corpo = resposta.json()
    assert set(corpo) == {"count", "next", "previous", "results"}
    assert corpo["count"] == 1
    item = corpo["results"][0]
    assert item["id"] == str(ticket.id)
    assert item["numero"] == ticket.numero
    assert item["status"] == "aberto"
    assert item["contato"]["id"] == str(ticket.contato_id)
    assert item["canal_tipo"] == "whatsapp"
    assert item["fila_nome"] == "Suporte"
    assert item["insights"] is None
    assert item["tags"] == []


def test_atendente_ve_so_tickets_das_suas_filas_e_os_atribuidos(
    api_atendente, atendente, ticket, ticket_outra_fila, ticket_outra_empresa, empresa, outra_fila
):
    atribuido = TicketFactory(
        empresa=empresa, canal=ticket.canal, fila=outra_fila, atendente=atendente
    )

    resposta = api_atendente.get(f"{API}/tickets/")

    assert resposta.status_code == 200
    assert ids(resposta) == {str(ticket.id), str(atribuido.id)}


def test_supervisor_ve_a_empresa_inteira_e_nada_de_outra(
    api_supervisor, ticket, ticket_outra_fila, ticket_outra_empresa
):
    resposta = api_supervisor.get(f"{API}/tickets/")

    assert ids(resposta) == {str(ticket.id), str(ticket_outra_fila.id)}


def test_filtros(api_admin, empresa, canal_whatsapp, canal_telegram, fila, outra_fila, atendente):
    tag = TagFactory(empresa=empresa)
    a = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        status=Ticket.Status.FECHADO,
        prioridade=Ticket.Prioridade.ALTA,
        atendente=atendente,
    )
    a.tags.add(tag)
    b = TicketFactory(empresa=empresa, canal=canal_telegram, fila=outra_fila)

    def filtrar(consulta: str) -> set[str]:
        resposta = api_admin.get(f"{API}/tickets/?{consulta}")
        assert resposta.status_code == 200, resposta.content
        return ids(resposta)

    assert filtrar("status=fechado") == {str(a.id)}
    assert filtrar("status=fechado&status=aberto") == {str(a.id), str(b.id)}
    assert filtrar(f"fila={outra_fila.id}") == {str(b.id)}
    assert filtrar(f"atendente={atendente.id}") == {str(a.id)}
    assert filtrar("sem_atendente=true") == {str(b.id)}
    assert filtrar(f"canal={canal_telegram.id}") == {str(b.id)}
    assert filtrar("prioridade=alta") == {str(a.id)}
    assert filtrar(f"tag={tag.id}") == {str(a.id)}
    assert filtrar(f"contato={b.contato_id}") == {str(b.id)}


def test_filtro_por_data_de_criacao(api_admin, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(criado_em=timezone.now() - timedelta(days=10))
    novo = TicketFactory(empresa=ticket.empresa, canal=ticket.canal, fila=ticket.fila)
    limite = (timezone.now() - timedelta(days=5)).isoformat()

    apos = api_admin.get(f"{API}/tickets/", {"criado_apos": limite})
    antes = api_admin.get(f"{API}/tickets/", {"criado_antes": limite})

    assert ids(apos) == {str(novo.id)}
    assert ids(antes) == {str(ticket.id)}


def test_filtros_invalidos_sao_400(api_admin):
    assert api_admin.get(f"{API}/tickets/?status=inexistente").status_code == 400
    assert api_admin.get(f"{API}/tickets/?fila=nao-e-uuid").status_code == 400
    assert api_admin.get(f"{API}/tickets/?criado_apos=ontem").status_code == 400
    assert api_admin.get(f"{API}/tickets/?q=a%00b").status_code == 400


def test_busca_q_em_mensagens_em_portugues_e_no_contato(api_admin, empresa, canal_whatsapp, fila):
    por_mensagem = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, assunto="")
    MensagemFactory(ticket=por_mensagem, conteudo="Meu pedido chegou quebrado, quero reembolso")
    por_nome = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        assunto="",
        contato=ContatoFactory(empresa=empresa, nome="Joana Reembolsada"),
    )
    por_numero = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        assunto="",
        contato=ContatoFactory(empresa=empresa, telefone="5521912340000"),
    )
    por_assunto = TicketFactory(
        empresa=empresa, canal=canal_whatsapp, fila=fila, assunto="Troca de produto"
    )
    TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, assunto="Outro")

    # stemming: "pedidos" finds "pedido"; "quebrados" finds "quebrado"
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "pedidos quebrados"})) == {
        str(por_mensagem.id)
    }
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "joana"})) == {str(por_nome.id)}
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "912340"})) == {str(por_numero.id)}
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "troca"})) == {str(por_assunto.id)}


def test_busca_usa_o_indice_gin_das_mensagens(empresa):
    """The messages' condition is the expression of the GIN index ``mensagem_busca_empresa``
    (the terms ANDed with the empresa's lexeme): the index can answer it alone."""
    from django.db import connection

    from atendimento.selectors.tickets import mensagens_com_texto

    consulta = mensagens_com_texto(texto="reembolso", empresa_id=empresa.id).values("ticket_id")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, parametros = consulta.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", parametros)
        plano = "\n".join(linha[0] for linha in cursor.fetchall())

    assert "mensagem_busca_empresa" in plano, plano
    assert re.search(r"& '+e[0-9a-f]{32}'", plano), plano  # the empresa's lexeme


def test_busca_so_na_empresa_e_sem_termos_nao_acha_nada(
    api_admin, empresa, canal_whatsapp, fila, ticket_outra_empresa
):
    """The empresa's lexeme narrows the index scan; it never widens the search: another
    empresa's message with the word is not found, and a query with no term but stop words
    finds nothing (ANDed with the lexeme alone it would match every message)."""
    nosso = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, assunto="")
    MensagemFactory(ticket=nosso, conteudo="Segunda via do boleto, por favor")
    sem_a_palavra = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, assunto="")
    MensagemFactory(ticket=sem_a_palavra, conteudo="Quero falar de um pedido")
    MensagemFactory(ticket=ticket_outra_empresa, conteudo="O boleto venceu")

    assert ids(api_admin.get(f"{API}/tickets/", {"q": "boleto"})) == {str(nosso.id)}
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "boletos pedido"})) == set()
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "boleto or pedido"})) == {
        str(nosso.id),
        str(sem_a_palavra.id),
    }
    assert ids(api_admin.get(f"{API}/tickets/", {"q": "-boleto"})) == {str(sem_a_palavra.id)}
    resposta = api_admin.get(f"{API}/tickets/", {"q": "de o"})
    assert resposta.status_code == 200
    assert resposta.json()["count"] == 0


def test_ordenacao(api_admin, empresa, canal_whatsapp, fila):
    primeiro = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)
    segundo = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)

    crescente = api_admin.get(f"{API}/tickets/?ordering=numero").json()["results"]
    decrescente = api_admin.get(f"{API}/tickets/?ordering=-numero").json()["results"]

    assert [t["id"] for t in crescente] == [str(primeiro.id), str(segundo.id)]
    assert [t["id"] for t in decrescente] == [str(segundo.id), str(primeiro.id)]


def test_paginacao_page_size_ate_200(api_admin, empresa, canal_whatsapp, fila):
    TicketFactory.create_batch(3, empresa=empresa, canal=canal_whatsapp, fila=fila)

    pagina = api_admin.get(f"{API}/tickets/?page_size=2&page=2").json()
    grande = api_admin.get(f"{API}/tickets/?page_size=5000")

    assert pagina["count"] == 3
    assert len(pagina["results"]) == 1
    assert pagina["next"] is None
    assert "page_size=2" in pagina["previous"]
    assert grande.status_code == 200
    assert api_admin.get(f"{API}/tickets/?page=99").status_code == 404


def test_paginas_lidas_pelas_chaves_na_ordem_e_com_contagem_exata(
    api_admin, empresa, canal_whatsapp, fila
):
    """The list reads a page's keys with the count of the whole list, then those rows: the
    pages put together are the whole list in order, each with the exact count, also filtered;
    a page past the end, 0 or not a number is 404; ``last`` is the last page."""
    agora = timezone.now()
    tickets = [
        TicketFactory(
            empresa=empresa,
            canal=canal_whatsapp,
            fila=fila,
            ultima_mensagem_em=agora - timedelta(minutes=i // 2),  # ties broken by criado_em
            status="fechado" if i % 3 == 0 else "aberto",
        )
        for i in range(7)
    ]
    TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, ultima_mensagem_em=None)
    todos = [t["id"] for t in api_admin.get(f"{API}/tickets/?page_size=200").json()["results"]]

    paginas = [api_admin.get(f"{API}/tickets/?page_size=3&page={n}").json() for n in (1, 2, 3)]

    assert len(todos) == 8
    assert todos[-1] not in {str(t.id) for t in tickets}  # no last message: last
    assert [t["id"] for p in paginas for t in p["results"]] == todos
    assert {p["count"] for p in paginas} == {8}
    assert [p["next"] is None for p in paginas] == [False, False, True]
    ultima = api_admin.get(f"{API}/tickets/?page_size=3&page=last").json()
    assert ultima["results"] == paginas[2]["results"]
    assert ultima["count"] == 8
    for invalida in ("4", "0", "-1", "abc"):
        assert api_admin.get(f"{API}/tickets/?page_size=3&page={invalida}").status_code == 404
    fechados = api_admin.get(f"{API}/tickets/?status=fechado&page_size=2&page=2").json()
    assert fechados["count"] == 3
    assert [t["status"] for t in fechados["results"]] == ["fechado"]
    vazia = api_admin.get(f"{API}/tickets/?status=aguardando").json()
    assert (vazia["count"], vazia["results"]) == (0, [])


# ------------------------------------------------------------------------------- detail
def test_detalhe_com_mensagens_historico_insights_tags_e_contato(api_admin, ticket, empresa):
    IdentidadeContatoFactory(contato=ticket.contato)
    tag = TagFactory(empresa=empresa, nome="vip")
    ticket.tags.add(tag)
    base = timezone.now() - timedelta(hours=1)
    for i in range(55):
        MensagemFactory(ticket=ticket, conteudo=f"m{i}", data=base + timedelta(seconds=i))
    Historico.objects.create(empresa=empresa, ticket=ticket, acao=Historico.Acao.CRIADO)
    AIInsight.objects.create(
        empresa=empresa,
        ticket=ticket,
        tipo=AIInsight.Tipo.SENTIMENTO,
        sentimento="positivo",
        sentimento_score=0.4,
        provider="local",
        criado_em=base,
    )
    ultimo = AIInsight.objects.create(
        empresa=empresa,
        ticket=ticket,
        tipo=AIInsight.Tipo.COMPLETA,
        resultado={
            "classificacao": {"subcategoria": "entrega", "tags": ["atraso"]},
            "churn": {"motivos": ["atraso recorrente"]},
        },
        sentimento="negativo",
        sentimento_score=-0.8,
        intencao="reclamacao",
        intencao_confianca=0.9,
        categoria="logistica",
        urgencia="alta",
        churn_risco="alto",
        churn_probabilidade=0.7,
        provider="local",
    )
    RiscoChurn.objects.create(
        empresa=empresa,
        contato=ticket.contato,
        ticket=ticket,
        risco="alto",
        probabilidade=0.7,
        motivos=["atraso recorrente"],
        calculado_em=base,
    )

    corpo = api_admin.get(f"{API}/tickets/{ticket.id}/").json()

    assert [m["conteudo"] for m in corpo["mensagens"]] == [f"m{i}" for i in range(5, 55)]
    assert [h["acao"] for h in corpo["historico"]] == ["criado"]
    assert corpo["tags"] == [{"id": str(tag.id), "nome": "vip", "cor": tag.cor}]
    assert corpo["contato"]["identidades"][0]["valor"] == ticket.contato.telefone
    assert corpo["contato"]["risco_churn"] == {
        "risco": "alto",
        "probabilidade": 0.7,
        "motivos": ["atraso recorrente"],
        "atualizado_em": base.astimezone(timezone.get_current_timezone()).isoformat(),
    }
    assert corpo["insights"] == {
        "sentimento": {"valor": "negativo", "score": -0.8},
        "intencao": {"valor": "reclamacao", "confianca": 0.9},
        "classificacao": {
            "categoria": "logistica",
            "subcategoria": "entrega",
            "urgencia": "alta",
            "tags": ["atraso"],
        },
        "churn": {"risco": "alto", "probabilidade": 0.7, "motivos": ["atraso recorrente"]},
        "criado_em": ultimo.criado_em.astimezone(timezone.get_current_timezone()).isoformat(),
    }


def test_detalhe_404_para_outra_empresa_e_fora_das_filas(
    api_atendente, api_admin, ticket_outra_fila, ticket_outra_empresa
):
    assert api_admin.get(f"{API}/tickets/{ticket_outra_empresa.id}/").status_code == 404
    assert api_atendente.get(f"{API}/tickets/{ticket_outra_fila.id}/").status_code == 404
    assert api_admin.get(f"{API}/tickets/{ticket_outra_fila.id}/").status_code == 200


# ------------------------------------------------------------------------------- create
def test_criar_com_contato_existente(api_atendente, canal_whatsapp, contato, fila, atendente):
    resposta = api_atendente.post(
        f"{API}/tickets/",
        {"canal": str(canal_whatsapp.id), "contato": str(contato.id), "assunto": "Pedido 42"},
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    ticket = Ticket.objects.get(pk=corpo["id"])
    assert ticket.contato == contato
    assert ticket.fila == fila  # the channel's default queue
    assert ticket.conversa_id_externo == "5511987654321"
    assert ticket.numero == corpo["numero"]
    assert ticket.sla_primeira_resposta_em is not None
    assert Historico.objects.filter(ticket=ticket, acao="criado", atendente=atendente).exists()


def test_criar_com_contato_novo_inline(api_admin, canal_whatsapp, outra_fila, empresa):
    resposta = api_admin.post(
        f"{API}/tickets/",
        {
            "canal": str(canal_whatsapp.id),
            "contato": {"nome": "Pedro", "telefone": "(11) 98888-7777"},
            "fila": str(outra_fila.id),
            "prioridade": "urgente",
        },
    )

    assert resposta.status_code == 201, resposta.content
    contato = Contato.objects.get(empresa=empresa, nome="Pedro")
    assert contato.telefone == "5511988887777"
    assert IdentidadeContato.objects.filter(contato=contato, tipo="telefone").exists()
    ticket = Ticket.objects.get(pk=resposta.json()["id"])
    assert (ticket.fila, ticket.prioridade) == (outra_fila, "urgente")


def test_criar_409_quando_a_conversa_ja_tem_ticket_aberto(api_admin, ticket):
    resposta = api_admin.post(
        f"{API}/tickets/", {"canal": str(ticket.canal_id), "contato": str(ticket.contato_id)}
    )

    assert resposta.status_code == 409
    assert resposta.json()["ticket_id"] == str(ticket.id)
    assert Ticket.objects.count() == 1


def test_criar_422_sem_endereco_no_canal(api_admin, canal_telegram, contato):
    resposta = api_admin.post(
        f"{API}/tickets/", {"canal": str(canal_telegram.id), "contato": str(contato.id)}
    )

    assert resposta.status_code == 422
    assert resposta.json()["codigo"] == "regra_negocio"
    assert not Ticket.objects.exists()


def test_criar_404_para_ids_de_outra_empresa_no_corpo(
    api_admin, canal_whatsapp, contato, ticket_outra_empresa, fila_outra_empresa
):
    outro = ticket_outra_empresa
    casos = [
        {"canal": str(outro.canal_id), "contato": str(contato.id)},
        {"canal": str(canal_whatsapp.id), "contato": str(outro.contato_id)},
        {
            "canal": str(canal_whatsapp.id),
            "contato": str(contato.id),
            "fila": str(fila_outra_empresa.id),
        },
    ]
    for corpo in casos:
        resposta = api_admin.post(f"{API}/tickets/", corpo)
        assert resposta.status_code == 404, corpo
    assert not Ticket.objects.filter(empresa=contato.empresa).exists()


def test_criar_validacao(api_admin, canal_whatsapp):
    sem_contato = api_admin.post(f"{API}/tickets/", {"canal": str(canal_whatsapp.id)})
    contato_vazio = api_admin.post(
        f"{API}/tickets/", {"canal": str(canal_whatsapp.id), "contato": {}}
    )
    prioridade = api_admin.post(
        f"{API}/tickets/",
        {"canal": str(canal_whatsapp.id), "contato": {"nome": "X"}, "prioridade": "maxima"},
    )

    assert sem_contato.status_code == 400
    assert "contato" in sem_contato.json()
    assert contato_vazio.status_code == 400
    assert prioridade.status_code == 400
    assert not Ticket.objects.exists()


# ------------------------------------------------------------------------------- edit/delete
def test_atualizar_assunto_prioridade_e_status(api_atendente, ticket, atendente):
    resposta = api_atendente.patch(
        f"{API}/tickets/{ticket.id}/",
        {"assunto": "Novo", "prioridade": "alta", "status": "aguardando"},
    )

    assert resposta.status_code == 200, resposta.content
    ticket.refresh_from_db()
    assert (ticket.assunto, ticket.prioridade, ticket.status) == ("Novo", "alta", "aguardando")
    acoes = set(Historico.objects.filter(ticket=ticket).values_list("acao", flat=True))
    assert acoes == {"atualizado", "prioridade", "status"}


def test_put_nao_fecha_o_ticket(api_admin, ticket):
    resposta = api_admin.put(f"{API}/tickets/{ticket.id}/", {"status": "fechado"})

    assert resposta.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "aberto"


def test_atualizar_404_fora_do_alcance(
    api_atendente, ticket_outra_fila, api_admin, ticket_outra_empresa
):
    assert (
        api_atendente.patch(f"{API}/tickets/{ticket_outra_fila.id}/", {"assunto": "x"}).status_code
        == 404
    )
    assert (
        api_admin.patch(f"{API}/tickets/{ticket_outra_empresa.id}/", {"assunto": "x"}).status_code
        == 404
    )
    ticket_outra_fila.refresh_from_db()
    assert ticket_outra_fila.assunto != "x"


def test_excluir_papel(api_atendente, api_supervisor, ticket, ticket_outra_empresa):
    assert api_atendente.delete(f"{API}/tickets/{ticket.id}/").status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert api_supervisor.delete(f"{API}/tickets/{ticket_outra_empresa.id}/").status_code == 404
    assert api_supervisor.delete(f"{API}/tickets/{ticket.id}/").status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert Ticket.objects.filter(pk=ticket_outra_empresa.pk).exists()


def test_usuario_sem_atendente_recebe_403(anonimo, ticket):
    from rest_framework_simplejwt.tokens import AccessToken

    from tests.factories import UsuarioFactory

    anonimo.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(UsuarioFactory())}")

    resposta = anonimo.get(f"{API}/tickets/")

    assert resposta.status_code == 403
    assert resposta.json()["detail"] == "Usuário sem acesso ao atendimento."
