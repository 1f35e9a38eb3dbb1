"""The ticket list: tabs per role, status groups, filters, search, unread badges, SLA colour,
pages, and the partial htmx re-fetches (same template as the full page)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from atendimento.models import Ticket
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    CanalFactory,
    MensagemFactory,
    TagFactory,
    TicketFactory,
)

from .conftest import HTMX, ids_na_lista, texto


def _cenario(empresa, fila, outra_fila, atendente, canal):
    colega = AtendenteFactory(empresa=empresa, nome="Colega")
    AtendenteFilaFactory(atendente=colega, fila=fila)
    base = {"empresa": empresa, "canal": canal}
    return {
        "meu": TicketFactory(**base, fila=fila, atendente=atendente),
        "livre": TicketFactory(**base, fila=fila),
        "do_colega": TicketFactory(**base, fila=fila, atendente=colega),
        "outra_fila": TicketFactory(**base, fila=outra_fila),
        "meu_outra_fila": TicketFactory(**base, fila=outra_fila, atendente=atendente),
    }


def test_atendente_tem_abas_meus_e_nao_atribuidos(cliente_de, atendente):
    html = texto(cliente_de(atendente).get("/inbox/"))
    assert 'name="aba" value="meus" checked' in html
    assert 'name="aba" value="fila"' in html
    assert 'name="aba" value="todos"' not in html


def test_supervisor_e_admin_tem_tambem_todos(cliente_de, supervisor, admin):
    for gestor in (supervisor, admin):
        html = texto(cliente_de(gestor).get("/inbox/"))
        assert 'name="aba" value="todos"' in html


def test_abas_do_atendente(
    cliente_de, empresa, fila, outra_fila, atendente, canal_whatsapp, outra_empresa
):
    t = _cenario(empresa, fila, outra_fila, atendente, canal_whatsapp)
    TicketFactory(empresa=outra_empresa)  # never anywhere
    cliente = cliente_de(atendente)

    meus = ids_na_lista(texto(cliente.get("/inbox/?aba=meus")))
    assert sorted(meus) == sorted([str(t["meu"].id), str(t["meu_outra_fila"].id)])

    fila_livre = ids_na_lista(texto(cliente.get("/inbox/?aba=fila")))
    assert fila_livre == [str(t["livre"].id)]

    # "todos" is not an agent's tab: the default tab is shown instead (the last one chosen)
    todos = ids_na_lista(texto(cliente.get("/inbox/?aba=todos")))
    assert todos == fila_livre


def test_abas_do_supervisor(
    cliente_de, empresa, fila, outra_fila, atendente, supervisor, canal_whatsapp, outra_empresa
):
    t = _cenario(empresa, fila, outra_fila, atendente, canal_whatsapp)
    TicketFactory(empresa=outra_empresa)
    cliente = cliente_de(supervisor)

    todos = ids_na_lista(texto(cliente.get("/inbox/?aba=todos")))
    assert sorted(todos) == sorted(str(x.id) for x in t.values())
    fila_livre = ids_na_lista(texto(cliente.get("/inbox/?aba=fila")))
    assert sorted(fila_livre) == sorted([str(t["livre"].id), str(t["outra_fila"].id)])
    assert ids_na_lista(texto(cliente.get("/inbox/?aba=meus"))) == []


def test_contagens_das_abas(cliente_de, empresa, fila, outra_fila, atendente, canal_whatsapp):
    _cenario(empresa, fila, outra_fila, atendente, canal_whatsapp)
    html = texto(cliente_de(atendente).get("/inbox/"))
    assert '<span class="aba__contagem" id="contagem-meus">2</span>' in html
    assert '<span class="aba__contagem" id="contagem-fila">1</span>' in html


def test_outra_empresa_nao_ve_nada(cliente_de, admin_outra_empresa, novo_ticket):
    novo_ticket()
    html = texto(cliente_de(admin_outra_empresa).get("/inbox/?aba=todos"))
    assert ids_na_lista(html) == []
    assert "Nenhum ticket aqui" in html


def test_grupos_de_status(cliente_de, supervisor, novo_ticket):
    aberto = novo_ticket(status=Ticket.Status.ABERTO)
    em_atendimento = novo_ticket(status=Ticket.Status.EM_ATENDIMENTO)
    aguardando = novo_ticket(status=Ticket.Status.AGUARDANDO)
    fechado = novo_ticket(status=Ticket.Status.FECHADO)
    cliente = cliente_de(supervisor)

    def lista(status):
        return sorted(ids_na_lista(texto(cliente.get(f"/inbox/?aba=todos&status={status}"))))

    assert lista("abertos") == sorted([str(aberto.id), str(em_atendimento.id)])
    assert lista("aguardando") == [str(aguardando.id)]
    assert lista("fechados") == [str(fechado.id)]
    assert lista("invalido") == lista("abertos")


def test_filtros_de_fila_canal_tag_e_prioridade(
    cliente_de, empresa, supervisor, fila, outra_fila, canal_whatsapp, canal_telegram, novo_ticket
):
    tag = TagFactory(empresa=empresa, nome="vip")
    na_fila = novo_ticket(fila=fila)
    na_outra = novo_ticket(fila=outra_fila)
    telegram = novo_ticket(canal=canal_telegram)
    urgente = novo_ticket(prioridade=Ticket.Prioridade.URGENTE)
    com_tag = novo_ticket(fila=outra_fila)
    com_tag.tags.add(tag)
    cliente = cliente_de(supervisor)

    def lista(consulta):
        return sorted(ids_na_lista(texto(cliente.get(f"/inbox/?aba=todos&{consulta}"))))

    assert lista(f"fila={outra_fila.id}") == sorted([str(na_outra.id), str(com_tag.id)])
    assert lista(f"canal={canal_telegram.id}") == [str(telegram.id)]
    assert lista("prioridade=urgente") == [str(urgente.id)]
    assert lista(f"tag={tag.id}") == [str(com_tag.id)]
    assert str(na_fila.id) in lista(f"fila={fila.id}")
    # malformed values are ignored, not a 500
    assert lista("fila=nao-e-uuid&prioridade=xyz") == lista("")


def test_busca_em_portugues_nas_mensagens_e_no_contato(cliente_de, supervisor, novo_ticket):
    pedido = novo_ticket()
    MensagemFactory(ticket=pedido, conteudo="Meus pedidos ainda não chegaram")
    outro = novo_ticket(assunto="Troca")
    MensagemFactory(ticket=outro, conteudo="Quero trocar o tamanho")
    cliente = cliente_de(supervisor)

    # "pedido" finds "pedidos" (Portuguese stemming)
    assert ids_na_lista(texto(cliente.get("/inbox/?aba=todos&q=pedido"))) == [str(pedido.id)]
    nome = outro.contato.nome
    assert ids_na_lista(texto(cliente.get(f"/inbox/?aba=todos&q={nome}"))) == [str(outro.id)]
    vazio = texto(cliente.get("/inbox/?aba=todos&q=inexistente"))
    assert ids_na_lista(vazio) == []
    assert "Nenhum ticket encontrado para essa busca." in vazio


def test_item_mostra_canal_resumo_hora_e_nao_lidas(cliente_de, atendente, novo_ticket):
    novo_ticket(
        atendente=atendente,
        nao_lidas=3,
        ultima_mensagem_resumo="Oi, tudo bem?",
        ultima_mensagem_em=timezone.now(),
    )
    html = texto(cliente_de(atendente).get("/inbox/"))
    assert 'class="canal canal--whatsapp"' in html
    assert '<span class="item__resumo">Oi, tudo bem?</span>' in html
    assert "3 mensagens não lidas" in html
    assert 'class="item item--nao-lido"' in html
    assert 'class="item__hora"' in html


def test_ordem_pela_ultima_mensagem(cliente_de, atendente, novo_ticket):
    agora = timezone.now()
    antigo = novo_ticket(atendente=atendente, ultima_mensagem_em=agora - timedelta(hours=2))
    recente = novo_ticket(atendente=atendente, ultima_mensagem_em=agora)
    sem_mensagem = novo_ticket(atendente=atendente, ultima_mensagem_em=None)
    ids = ids_na_lista(texto(cliente_de(atendente).get("/inbox/")))
    assert ids == [str(recente.id), str(antigo.id), str(sem_mensagem.id)]


def test_cor_do_sla(cliente_de, atendente, novo_ticket):
    agora = timezone.now()
    verde = novo_ticket(atendente=atendente, sla_primeira_resposta_em=agora + timedelta(hours=5))
    ambar = novo_ticket(atendente=atendente, sla_primeira_resposta_em=agora + timedelta(minutes=3))
    vermelho = novo_ticket(atendente=atendente, sla_primeira_resposta_em=agora - timedelta(hours=1))
    Ticket.objects.filter(pk__in=[verde.pk, ambar.pk, vermelho.pk]).update(
        criado_em=agora - timedelta(hours=2)
    )
    html = texto(cliente_de(atendente).get("/inbox/"))
    assert html.count('class="sla sla--verde"') == 1
    assert html.count('class="sla sla--ambar"') == 1
    assert html.count('class="sla sla--vermelho"') == 1
    assert "atrasado 1 h 00" in html or "atrasado 59 min" in html


def test_requisicao_htmx_recebe_so_a_lista(
    cliente_de, empresa, fila, outra_fila, atendente, canal_whatsapp
):
    t = _cenario(empresa, fila, outra_fila, atendente, canal_whatsapp)
    resposta = cliente_de(atendente).get("/inbox/?aba=fila", **HTMX)
    html = texto(resposta)
    assert resposta.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="lista-tickets"')
    assert ids_na_lista(html) == [str(t["livre"].id)]
    # tab counters are updated out of band
    assert 'id="contagem-meus" hx-swap-oob="true">2<' in html
    assert 'id="contagem-fila" hx-swap-oob="true">1<' in html
    # the list re-fetches itself with its filters when tickets or messages change
    assert 'hx-get="/inbox/?aba=fila&amp;status=abertos"' in html
    assert "novo_ticket from:body" in html
    assert "nova_mensagem from:body" in html
    assert "ticket_atualizado from:body" in html
    assert "HX-Request" in resposta["Vary"]


def test_restauracao_de_historico_recebe_a_pagina_inteira(cliente_de, atendente):
    resposta = cliente_de(atendente).get(
        "/inbox/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in texto(resposta)


def test_paginas_da_lista(cliente_de, atendente, novo_ticket):
    agora = timezone.now()
    for i in range(55):
        novo_ticket(atendente=atendente, ultima_mensagem_em=agora - timedelta(minutes=i))
    cliente = cliente_de(atendente)
    primeira = texto(cliente.get("/inbox/"))
    assert len(ids_na_lista(primeira)) == 50
    assert 'hx-get="/inbox/?aba=meus&amp;status=abertos&amp;pagina=2"' in primeira

    segunda = texto(cliente.get("/inbox/?aba=meus&pagina=2", **HTMX))
    assert len(ids_na_lista(segunda)) == 5
    assert 'id="lista-tickets"' not in segunda
    assert "pagina=3" not in segunda
    assert not set(ids_na_lista(primeira)) & set(ids_na_lista(segunda))


def test_canal_de_outra_empresa_no_filtro_nao_vaza(
    cliente_de, supervisor, outra_empresa, novo_ticket
):
    novo_ticket()
    alheio = CanalFactory(empresa=outra_empresa)
    html = texto(cliente_de(supervisor).get(f"/inbox/?aba=todos&canal={alheio.id}"))
    assert ids_na_lista(html) == []
    assert str(alheio.id) not in html.split('id="lista-tickets"')[0]
