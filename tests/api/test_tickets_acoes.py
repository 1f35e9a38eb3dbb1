"""Ticket actions: atribuir, transferir, fechar, reabrir, tags, mensagens, historico, and the AI
endpoints (503 until the AI module exists)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from atendimento.models import Historico, Ticket
from atendimento.realtime.grupos import (
    grupo_atendente,
    grupo_fila,
    grupo_ticket,
)
from tests.factories import AtendenteFactory, MensagemFactory, TagFactory, TicketFactory

from .conftest import API

pytestmark = pytest.mark.django_db


def historico(ticket, acao):
    return list(Historico.objects.filter(ticket=ticket, acao=acao))


# ------------------------------------------------------------------------------- atribuir
def test_atribuir_grava_historico_e_publica_para_quem_via_antes_e_depois(
    api_atendente, atendente, ticket, empresa, escuta, django_capture_on_commit_callbacks
):
    anterior = AtendenteFactory(empresa=empresa)
    Ticket.objects.filter(pk=ticket.pk).update(atendente=anterior)
    ler = escuta(grupo_atendente(anterior.id), grupo_atendente(atendente.id))

    with django_capture_on_commit_callbacks(execute=True):
        resposta = api_atendente.post(
            f"{API}/tickets/{ticket.id}/atribuir/", {"atendente_id": str(atendente.id)}
        )

    assert resposta.status_code == 200, resposta.content
    assert resposta.json()["atendente"] == str(atendente.id)
    ticket.refresh_from_db()
    assert ticket.atendente == atendente
    (entrada,) = historico(ticket, "atribuido")
    assert entrada.atendente == atendente
    assert entrada.dados == {"de": str(anterior.id), "para": str(atendente.id)}
    recebidos = ler()
    assert [m["evento"] for m in recebidos] == ["ticket_atualizado", "ticket_atualizado"]
    assert {m["dados"]["atendente"] for m in recebidos} == {str(atendente.id)}


def test_atribuir_null_devolve_a_fila(api_supervisor, ticket, atendente):
    Ticket.objects.filter(pk=ticket.pk).update(atendente=atendente)

    resposta = api_supervisor.post(f"{API}/tickets/{ticket.id}/atribuir/", {"atendente_id": None})

    assert resposta.status_code == 200
    ticket.refresh_from_db()
    assert ticket.atendente is None


def test_atribuir_404_para_atendente_de_outra_empresa_no_corpo(
    api_admin, ticket, atendente_outra_empresa, escuta, django_capture_on_commit_callbacks
):
    ler = escuta(grupo_ticket(ticket.id))

    with django_capture_on_commit_callbacks(execute=True):
        resposta = api_admin.post(
            f"{API}/tickets/{ticket.id}/atribuir/",
            {"atendente_id": str(atendente_outra_empresa.id)},
        )

    assert resposta.status_code == 404
    assert resposta.json()["codigo"] == "nao_encontrado"
    ticket.refresh_from_db()
    assert ticket.atendente is None
    assert not Historico.objects.filter(ticket=ticket).exists()
    assert ler() == []


def test_atribuir_ticket_invisivel_ou_de_outra_empresa_404(
    api_atendente, atendente, ticket_outra_fila, api_admin, ticket_outra_empresa, admin
):
    corpo_a = {"atendente_id": str(atendente.id)}
    corpo_b = {"atendente_id": str(admin.id)}
    assert (
        api_atendente.post(f"{API}/tickets/{ticket_outra_fila.id}/atribuir/", corpo_a).status_code
        == 404
    )
    assert (
        api_admin.post(f"{API}/tickets/{ticket_outra_empresa.id}/atribuir/", corpo_b).status_code
        == 404
    )
    assert Ticket.objects.filter(atendente__isnull=False).count() == 0


def test_atribuir_validacao_e_regras(api_admin, ticket, empresa):
    inativo = AtendenteFactory(empresa=empresa, ativo=False)

    assert api_admin.post(f"{API}/tickets/{ticket.id}/atribuir/", {}).status_code == 400
    assert (
        api_admin.post(f"{API}/tickets/{ticket.id}/atribuir/", {"atendente_id": "x"}).status_code
        == 400
    )
    resposta = api_admin.post(
        f"{API}/tickets/{ticket.id}/atribuir/", {"atendente_id": str(inativo.id)}
    )
    assert resposta.status_code == 422
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.FECHADO)
    fechado = api_admin.post(
        f"{API}/tickets/{ticket.id}/atribuir/", {"atendente_id": str(inativo.id)}
    )
    assert fechado.status_code == 422
    assert not Historico.objects.filter(ticket=ticket).exists()


# ------------------------------------------------------------------------------- transferir
def test_transferir_muda_fila_e_avisa_a_fila_antiga(
    api_atendente,
    atendente,
    ticket,
    outra_fila,
    fila,
    escuta,
    django_capture_on_commit_callbacks,
):
    Ticket.objects.filter(pk=ticket.pk).update(atendente=atendente)
    ler = escuta(grupo_fila(fila.id), grupo_fila(outra_fila.id))

    with django_capture_on_commit_callbacks(execute=True):
        resposta = api_atendente.post(
            f"{API}/tickets/{ticket.id}/transferir/",
            {"fila_id": str(outra_fila.id), "motivo": "Assunto financeiro"},
        )

    assert resposta.status_code == 200, resposta.content
    corpo = resposta.json()
    assert (corpo["fila"], corpo["atendente"]) == (str(outra_fila.id), None)
    (entrada,) = historico(ticket, "transferido")
    assert entrada.dados == {
        "fila_de": str(fila.id),
        "fila_para": str(outra_fila.id),
        "atendente_de": str(atendente.id),
        "atendente_para": None,
        "motivo": "Assunto financeiro",
    }
    assert [m["evento"] for m in ler()] == ["ticket_atualizado", "ticket_atualizado"]
    # the atendente no longer sees it
    assert api_atendente.get(f"{API}/tickets/{ticket.id}/").status_code == 404


def test_transferir_com_atendente(api_supervisor, ticket, outra_fila, atendente_outra_fila):
    resposta = api_supervisor.post(
        f"{API}/tickets/{ticket.id}/transferir/",
        {"fila_id": str(outra_fila.id), "atendente_id": str(atendente_outra_fila.id)},
    )

    assert resposta.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.fila, ticket.atendente) == (outra_fila, atendente_outra_fila)


def test_transferir_404_para_fila_ou_atendente_de_outra_empresa(
    api_admin, ticket, fila_outra_empresa, atendente_outra_empresa, outra_fila, fila
):
    fila_alheia = api_admin.post(
        f"{API}/tickets/{ticket.id}/transferir/", {"fila_id": str(fila_outra_empresa.id)}
    )
    atendente_alheio = api_admin.post(
        f"{API}/tickets/{ticket.id}/transferir/",
        {"fila_id": str(outra_fila.id), "atendente_id": str(atendente_outra_empresa.id)},
    )

    assert fila_alheia.status_code == 404
    assert atendente_alheio.status_code == 404
    ticket.refresh_from_db()
    assert (ticket.fila, ticket.atendente) == (fila, None)
    assert not Historico.objects.filter(ticket=ticket).exists()


def test_transferir_validacao(api_admin, ticket, fila):
    assert api_admin.post(f"{API}/tickets/{ticket.id}/transferir/", {}).status_code == 400
    mesma = api_admin.post(f"{API}/tickets/{ticket.id}/transferir/", {"fila_id": str(fila.id)})
    assert mesma.status_code == 422
    fila.ativo = False
    fila.save()
    Ticket.objects.filter(pk=ticket.pk).update(fila=None)
    inativa = api_admin.post(f"{API}/tickets/{ticket.id}/transferir/", {"fila_id": str(fila.id)})
    assert inativa.status_code == 422


# ------------------------------------------------------------------------------- fechar / reabrir
def test_fechar_e_reabrir(api_atendente, atendente, ticket, fila):
    fechar = api_atendente.post(f"{API}/tickets/{ticket.id}/fechar/", {"motivo": "Resolvido"})

    assert fechar.status_code == 200, fechar.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.motivo_fechamento) == ("fechado", "Resolvido")
    assert ticket.fechado_em is not None
    assert api_atendente.post(f"{API}/tickets/{ticket.id}/fechar/").status_code == 409

    reabrir = api_atendente.post(f"{API}/tickets/{ticket.id}/reabrir/")

    assert reabrir.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.fechado_em) == ("aberto", None)
    assert ticket.reaberto_em is not None
    assert ticket.sla_resolucao_em > timezone.now() + timedelta(minutes=fila.sla_resolucao_min - 1)
    assert api_atendente.post(f"{API}/tickets/{ticket.id}/reabrir/").status_code == 409
    assert [h.acao for h in Historico.objects.filter(ticket=ticket)] == ["fechado", "reaberto"]


def test_fechar_depois_do_prazo_marca_sla_violado(api_admin, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(sla_resolucao_em=timezone.now() - timedelta(hours=1))

    api_admin.post(f"{API}/tickets/{ticket.id}/fechar/")

    ticket.refresh_from_db()
    assert ticket.sla_violado is True


def test_reabrir_409_quando_a_conversa_ja_tem_outro_ticket_aberto(api_admin, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.FECHADO)
    novo = TicketFactory(
        empresa=ticket.empresa,
        canal=ticket.canal,
        contato=ticket.contato,
        conversa_id_externo=ticket.conversa_id_externo,
    )

    resposta = api_admin.post(f"{API}/tickets/{ticket.id}/reabrir/")

    assert resposta.status_code == 409
    assert resposta.json()["ticket_id"] == str(novo.id)
    ticket.refresh_from_db()
    assert ticket.status == "fechado"


def test_fechar_404_fora_do_alcance(
    api_atendente, ticket_outra_fila, api_admin, ticket_outra_empresa
):
    assert api_atendente.post(f"{API}/tickets/{ticket_outra_fila.id}/fechar/").status_code == 404
    assert api_admin.post(f"{API}/tickets/{ticket_outra_empresa.id}/fechar/").status_code == 404
    assert api_admin.post(f"{API}/tickets/{ticket_outra_empresa.id}/reabrir/").status_code == 404
    assert not Ticket.objects.filter(status="fechado").exists()


def test_fechar_motivo_longo_demais_400(api_admin, ticket):
    assert (
        api_admin.post(f"{API}/tickets/{ticket.id}/fechar/", {"motivo": "x" * 501}).status_code
        == 400
    )


# ------------------------------------------------------------------------------- tags
def test_tags_adicionar_e_remover(api_atendente, ticket, empresa):
    vip, atraso, antiga = (TagFactory(empresa=empresa, nome=n) for n in ("vip", "atraso", "antiga"))
    ticket.tags.add(antiga)

    resposta = api_atendente.post(
        f"{API}/tickets/{ticket.id}/tags/",
        {"adicionar": [str(vip.id), str(atraso.id)], "remover": [str(antiga.id)]},
    )

    assert resposta.status_code == 200, resposta.content
    assert [t["nome"] for t in resposta.json()["tags"]] == ["atraso", "vip"]
    (entrada,) = historico(ticket, "tags")
    assert sorted(entrada.dados["adicionadas"]) == ["atraso", "vip"]
    assert entrada.dados["removidas"] == ["antiga"]


def test_tags_404_para_tag_de_outra_empresa(api_admin, ticket, outra_empresa, empresa):
    minha = TagFactory(empresa=empresa)
    alheia = TagFactory(empresa=outra_empresa)

    resposta = api_admin.post(
        f"{API}/tickets/{ticket.id}/tags/", {"adicionar": [str(minha.id), str(alheia.id)]}
    )

    assert resposta.status_code == 404
    assert ticket.tags.count() == 0


def test_tags_validacao(api_admin, ticket):
    resposta = api_admin.post(f"{API}/tickets/{ticket.id}/tags/", {"adicionar": ["nao-uuid"]})
    assert resposta.status_code == 400


# ------------------------------------------------------------------------ mensagens / historico
def test_mensagens_do_ticket_paginadas_da_mais_antiga_para_a_mais_nova(api_atendente, ticket):
    base = timezone.now() - timedelta(hours=1)
    mensagens = [
        MensagemFactory(ticket=ticket, conteudo=f"m{i}", data=base + timedelta(seconds=i))
        for i in range(7)
    ]

    pagina1 = api_atendente.get(f"{API}/tickets/{ticket.id}/mensagens/?page_size=3").json()
    pagina2 = api_atendente.get(pagina1["next"]).json()
    antes = api_atendente.get(
        f"{API}/tickets/{ticket.id}/mensagens/", {"antes": str(mensagens[4].id), "page_size": 2}
    ).json()

    assert pagina1["count"] == 7
    assert [m["conteudo"] for m in pagina1["results"]] == ["m4", "m5", "m6"]
    assert [m["conteudo"] for m in pagina2["results"]] == ["m1", "m2", "m3"]
    assert antes["count"] == 4
    assert [m["conteudo"] for m in antes["results"]] == ["m2", "m3"]


def test_mensagens_antes_com_mesma_data_usa_ordem(api_admin, ticket):
    agora = timezone.now()
    a = MensagemFactory(ticket=ticket, conteudo="a", data=agora, ordem=1)
    MensagemFactory(ticket=ticket, conteudo="b", data=agora, ordem=2)
    c = MensagemFactory(ticket=ticket, conteudo="c", data=agora, ordem=3)

    corpo = api_admin.get(f"{API}/tickets/{ticket.id}/mensagens/", {"antes": str(c.id)}).json()

    assert [m["conteudo"] for m in corpo["results"]] == ["a", "b"]
    assert corpo["results"][0]["id"] == str(a.id)


def test_mensagens_antes_de_outro_ticket_404(api_admin, ticket, empresa, canal_whatsapp):
    outra = MensagemFactory(ticket=TicketFactory(empresa=empresa, canal=canal_whatsapp))

    resposta = api_admin.get(f"{API}/tickets/{ticket.id}/mensagens/", {"antes": str(outra.id)})

    assert resposta.status_code == 404
    assert api_admin.get(f"{API}/tickets/{ticket.id}/mensagens/", {"antes": "x"}).status_code == 400


def test_historico_paginado(api_admin, ticket, admin):
    api_admin.post(f"{API}/tickets/{ticket.id}/fechar/")
    api_admin.post(f"{API}/tickets/{ticket.id}/reabrir/")

    corpo = api_admin.get(f"{API}/tickets/{ticket.id}/historico/").json()

    assert corpo["count"] == 2
    assert [h["acao"] for h in corpo["results"]] == ["fechado", "reaberto"]
    assert corpo["results"][0]["atendente_nome"] == admin.nome


def test_mensagens_e_historico_404_fora_do_alcance(
    api_atendente, ticket_outra_fila, api_admin, ticket_outra_empresa
):
    for sufixo in ("mensagens", "historico"):
        assert (
            api_atendente.get(f"{API}/tickets/{ticket_outra_fila.id}/{sufixo}/").status_code == 404
        )
        assert (
            api_admin.get(f"{API}/tickets/{ticket_outra_empresa.id}/{sufixo}/").status_code == 404
        )
