"""The conversation pane: scoping, order, history pages, the live block, single messages,
media, sanitised e-mail HTML, delivery ticks and read receipts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from atendimento.models import Mensagem, Ticket
from tests.factories import MensagemFactory, TicketFactory

from .conftest import HTMX, texto

S = Mensagem.Status


def _ids_mensagens(html: str) -> list[str]:
    return re.findall(r'<article id="mensagem-([0-9a-f-]+)"', html)


def _conversa(ticket, n: int) -> list[Mensagem]:
    inicio = timezone.now() - timedelta(hours=1)
    return [
        MensagemFactory(ticket=ticket, conteudo=f"mensagem {i}", data=inicio + timedelta(seconds=i))
        for i in range(n)
    ]


def test_pagina_do_ticket_tem_conversa_composer_e_lateral(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    mensagens = _conversa(ticket, 3)
    resposta = cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/")
    html = texto(resposta)
    assert resposta.status_code == 200
    assert "<html" in html
    assert _ids_mensagens(html) == [str(m.id) for m in mensagens]
    assert 'id="composer"' in html
    assert 'id="lateral"' in html
    assert f'data-ticket-id="{ticket.id}" aria-current="true"' in html  # highlighted in the list


def test_htmx_recebe_o_mesmo_painel_sem_a_pagina(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    _conversa(ticket, 2)
    resposta = cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX)
    html = texto(resposta)
    assert "<html" not in html
    assert html.lstrip().startswith('<div class="ticket" id="ticket"')
    assert len(_ids_mensagens(html)) == 2
    assert "HX-Request" in resposta["Vary"]


@pytest.mark.parametrize("como", ["pagina", "htmx"])
def test_ticket_de_outra_empresa_e_404(cliente_de, admin_outra_empresa, novo_ticket, como):
    ticket = novo_ticket()
    extra = HTMX if como == "htmx" else {}
    resposta = cliente_de(admin_outra_empresa).get(f"/inbox/tickets/{ticket.id}/", **extra)
    assert resposta.status_code == 404
    assert "Ticket não encontrado." in texto(resposta)
    if como == "htmx":
        assert resposta["HX-Retarget"] == "#painel-ticket"


def test_ticket_de_outra_fila_e_404_para_o_atendente(
    cliente_de, atendente_outra_fila, supervisor, novo_ticket
):
    ticket = novo_ticket()  # in `fila`
    assert cliente_de(atendente_outra_fila).get(f"/inbox/tickets/{ticket.id}/").status_code == 404
    assert cliente_de(supervisor).get(f"/inbox/tickets/{ticket.id}/").status_code == 200


def test_ticket_atribuido_ao_atendente_em_outra_fila_e_visivel(
    cliente_de, atendente, outra_fila, novo_ticket
):
    ticket = novo_ticket(fila=outra_fila, atendente=atendente)
    assert cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/").status_code == 200


def test_ticket_inexistente_e_404(cliente_de, atendente):
    resposta = cliente_de(atendente).get("/inbox/tickets/00000000-0000-0000-0000-000000000000/")
    assert resposta.status_code == 404


def test_historico_carregado_para_cima(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    mensagens = _conversa(ticket, 85)
    cliente = cliente_de(atendente)
    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert _ids_mensagens(html) == [str(m.id) for m in mensagens[35:]]
    mais_antiga = mensagens[35]
    url = f"/inbox/tickets/{ticket.id}/mensagens/?antes={mais_antiga.id}"
    assert f'hx-get="{url}"' in html
    assert 'hx-trigger="intersect once"' in html

    pagina = texto(cliente.get(url, **HTMX))
    assert _ids_mensagens(pagina) == [str(m.id) for m in mensagens[5:35]]
    proxima = f"/inbox/tickets/{ticket.id}/mensagens/?antes={mensagens[5].id}"
    assert f'hx-get="{proxima}"' in pagina

    ultima = texto(cliente.get(proxima, **HTMX))
    assert _ids_mensagens(ultima) == [str(m.id) for m in mensagens[:5]]
    assert "mensagens/?antes=" not in ultima


def test_sem_historico_nao_ha_gatilho(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    _conversa(ticket, 50)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "mensagens/?antes=" not in html


def test_historico_com_mensagem_de_outro_ticket_e_404(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    alheia = MensagemFactory(ticket=novo_ticket(atendente=atendente))
    resposta = cliente_de(atendente).get(
        f"/inbox/tickets/{ticket.id}/mensagens/?antes={alheia.id}", **HTMX
    )
    assert resposta.status_code == 404


def test_bloco_recente_desde_a_ancora(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    mensagens = _conversa(ticket, 60)
    cliente = cliente_de(atendente)
    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    ancora = mensagens[10]
    url = f"/inbox/tickets/{ticket.id}/mensagens/recentes/?desde={ancora.id}"
    assert f'hx-get="{url}"' in html
    assert f"nova_mensagem-{ticket.id} from:body" in html

    nova = MensagemFactory(ticket=ticket, conteudo="chegou agora", data=timezone.now())
    bloco = texto(cliente.get(url, **HTMX))
    assert _ids_mensagens(bloco) == [str(m.id) for m in mensagens[10:]] + [str(nova.id)]


def test_bloco_recente_de_conversa_vazia_traz_tudo(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    cliente = cliente_de(atendente)
    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "Ainda não há mensagens nesta conversa." in html
    url = f"/inbox/tickets/{ticket.id}/mensagens/recentes/"
    assert f'hx-get="{url}"' in html
    primeira = MensagemFactory(ticket=ticket)
    assert _ids_mensagens(texto(cliente.get(url, **HTMX))) == [str(primeira.id)]


def test_bloco_recente_de_outra_fila_e_404(cliente_de, atendente_outra_fila, novo_ticket):
    ticket = novo_ticket()
    url = f"/inbox/tickets/{ticket.id}/mensagens/recentes/"
    assert cliente_de(atendente_outra_fila).get(url, **HTMX).status_code == 404


def test_uma_mensagem_e_seu_escopo(cliente_de, atendente, atendente_outra_fila, novo_ticket):
    ticket = novo_ticket()
    mensagem = MensagemFactory(
        ticket=ticket,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo=Mensagem.Remetente.ATENDENTE,
        atendente=atendente,
        status=S.ENTREGUE,
        conteudo="Já enviei",
    )
    resposta = cliente_de(atendente).get(f"/inbox/mensagens/{mensagem.id}/", **HTMX)
    html = texto(resposta)
    assert resposta.status_code == 200
    assert html.lstrip().startswith(f'<article id="mensagem-{mensagem.id}"')
    assert f'data-url="/inbox/mensagens/{mensagem.id}/"' in html
    assert 'class="ticks ticks--entregue"' in html
    assert "Beto Atendente" in html
    assert (
        cliente_de(atendente_outra_fila).get(f"/inbox/mensagens/{mensagem.id}/").status_code == 404
    )


@pytest.mark.parametrize(
    ("status", "classe", "rotulo"),
    [
        (S.PENDENTE, "ticks--pendente", "Pendente"),
        (S.ENVIADA, "ticks--enviada", "Enviada"),
        (S.ENTREGUE, "ticks--entregue", "Entregue"),
        (S.LIDA, "ticks--lida", "Lida"),
        (S.ERRO, "ticks--erro", "Erro"),
    ],
)
def test_ticks_de_entrega(cliente_de, atendente, novo_ticket, status, classe, rotulo):
    ticket = novo_ticket(atendente=atendente)
    mensagem = MensagemFactory(
        ticket=ticket, direcao=Mensagem.Direcao.SAIDA, remetente_tipo="atendente", status=status
    )
    html = texto(cliente_de(atendente).get(f"/inbox/mensagens/{mensagem.id}/"))
    assert f'class="ticks {classe}" role="img" aria-label="{rotulo}"' in html


def test_erro_mostra_o_motivo_e_o_botao_de_reenvio(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    mensagem = MensagemFactory(
        ticket=ticket,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo="atendente",
        status=S.ERRO,
        erro_codigo="131047",
        erro_detalhe="Fora da janela de 24 horas",
    )
    html = texto(cliente_de(atendente).get(f"/inbox/mensagens/{mensagem.id}/"))
    assert "Fora da janela de 24 horas" in html
    assert "(131047)" in html
    assert f'hx-post="/inbox/mensagens/{mensagem.id}/reenviar/"' in html


def test_midias(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    disponivel = Mensagem.StatusMidia.DISPONIVEL
    imagem = MensagemFactory(
        ticket=ticket, tipo="imagem", midia_status=disponivel, midia_mime="image/jpeg"
    )
    audio = MensagemFactory(ticket=ticket, tipo="audio", midia_status=disponivel, conteudo="")
    video = MensagemFactory(ticket=ticket, tipo="video", midia_status=disponivel, conteudo="")
    documento = MensagemFactory(
        ticket=ticket,
        tipo="documento",
        midia_status=disponivel,
        midia_nome="nota-fiscal.pdf",
        midia_tamanho=2048,
        conteudo="",
    )
    baixando = MensagemFactory(
        ticket=ticket, tipo="imagem", midia_status=Mensagem.StatusMidia.PENDENTE, conteudo=""
    )
    local = MensagemFactory(
        ticket=ticket,
        tipo="localizacao",
        conteudo="",
        dados={"latitude": -23.55052, "longitude": -46.633308, "nome": "Praça da Sé"},
    )
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert f'<img class="mensagem__imagem" src="/midia/{imagem.id}/"' in html
    assert (
        f'<audio class="mensagem__audio" controls preload="none" src="/midia/{audio.id}/">' in html
    )
    assert f'src="/midia/{video.id}/"' in html
    assert "<video" in html
    assert f'href="/midia/{documento.id}/" download="nota-fiscal.pdf"' in html
    assert "2,0\xa0KB" in html or "2.0\xa0KB" in html
    assert "Baixando mídia…" in html
    assert str(baixando.id) in html
    assert "-23.550520, -46.633308" in html
    assert (
        'href="https://www.openstreetmap.org/?mlat=-23.550520&amp;mlon=-46.633308'
        '#map=17/-23.550520/-46.633308"' in html
    )
    assert "Praça da Sé" in html
    assert str(local.id) in html


def test_html_de_email_e_sanitizado_e_texto_e_escapado(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    MensagemFactory(
        ticket=ticket,
        conteudo="versão em texto",
        dados={
            "html": '<p>Olá <b>equipe</b></p><script>alert("x")</script>'
            '<img src="https://rastreio.example/p.gif" onerror="alert(1)">'
            '<a href="javascript:alert(1)">clique</a><a href="https://loja.example">loja</a>'
            '<p style="color:red" onclick="alert(2)">fim</p>'
        },
    )
    MensagemFactory(ticket=ticket, conteudo='<script>alert("texto")</script>')
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "<p>Olá <b>equipe</b></p>" in html
    assert "<script>alert" not in html
    assert "rastreio.example" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert 'style="color:red"' not in html
    assert (
        '<a href="https://loja.example" target="_blank" rel="noopener noreferrer nofollow">' in html
    )
    assert "&lt;script&gt;alert(&quot;texto&quot;)&lt;/script&gt;" in html


def test_remetentes(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    MensagemFactory(ticket=ticket, remetente_nome="Maria do WhatsApp")
    MensagemFactory(
        ticket=ticket,
        direcao="saida",
        remetente_tipo="atendente",
        atendente=atendente,
        status=S.ENVIADA,
    )
    MensagemFactory(ticket=ticket, direcao="saida", remetente_tipo="bot", status=S.ENVIADA)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    autores = re.findall(r'<header class="mensagem__autor">\s*(.*?)\s*</header>', html, re.S)
    assert [a.strip() for a in autores] == ["Maria do WhatsApp", "Beto Atendente", "Bot"]


def test_abrir_com_nao_lidas_pede_para_marcar_como_lidas(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente, nao_lidas=2)
    MensagemFactory(ticket=ticket)
    MensagemFactory(ticket=ticket)
    cliente = cliente_de(atendente)
    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    url = f"/inbox/tickets/{ticket.id}/lidas/"
    assert f'hx-post="{url}" hx-trigger="load"' in html

    resposta = cliente.post(url, **HTMX)
    assert resposta.status_code == 204
    assert resposta["HX-Trigger"] == '{"tickets_atualizar": true}'
    ticket.refresh_from_db()
    assert ticket.nao_lidas == 0
    assert not Mensagem.objects.filter(ticket=ticket, lida_pelo_atendente=False).exists()

    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert url not in html


def test_marcar_lidas_de_outra_fila_e_404(cliente_de, atendente_outra_fila, novo_ticket):
    ticket = novo_ticket(nao_lidas=1)
    MensagemFactory(ticket=ticket)
    resposta = cliente_de(atendente_outra_fila).post(f"/inbox/tickets/{ticket.id}/lidas/")
    assert resposta.status_code == 404
    assert Mensagem.objects.filter(ticket=ticket, lida_pelo_atendente=False).count() == 1


def test_indicador_de_digitacao_traduzivel(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert f'data-ticket-id="{ticket.id}"\n           data-modelo=' in html
    assert 'data-modelo="%(nome)s está digitando…"' in html


def test_cabecalho_da_conversa(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente, status=Ticket.Status.EM_ATENDIMENTO)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert f"<h2>{ticket.contato.nome}</h2>" in html
    assert f"#{ticket.numero} · WhatsApp · Dúvida sobre o pedido" in html
    assert '<span class="estado estado--em_atendimento">Em atendimento</span>' in html


def test_outra_empresa_nao_abre_mensagem(cliente_de, admin_outra_empresa, novo_ticket):
    mensagem = MensagemFactory(ticket=novo_ticket())
    assert (
        cliente_de(admin_outra_empresa).get(f"/inbox/mensagens/{mensagem.id}/").status_code == 404
    )
    outro = TicketFactory(empresa=admin_outra_empresa.empresa)
    url = f"/inbox/tickets/{outro.id}/mensagens/?antes={mensagem.id}"
    assert cliente_de(admin_outra_empresa).get(url).status_code == 404
