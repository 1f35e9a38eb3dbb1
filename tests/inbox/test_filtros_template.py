"""The inbox's template filters: sanitised e-mail HTML, the SLA clock, short times, maps."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from atendimento.models import Mensagem, Ticket
from atendimento.templatetags.inbox import (
    chave,
    cor_segura,
    exibicao_midia,
    hora_curta,
    mapa_url,
    sanitizar_html,
    sla,
)

SP = ZoneInfo("America/Sao_Paulo")


def test_sanitizar_html():
    sujo = (
        '<div onclick="x()"><h2>Pedido</h2><script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:alert(1)">a</a><a href="mailto:oi@loja.example">b</a>'
        '<img src="https://rastreio.example/p.gif"><iframe src="https://x"></iframe>'
        '<table><tr><td colspan="2" style="color:red">c</td></tr></table></div>'
    )
    limpo = str(sanitizar_html(sujo))
    assert limpo == (
        '<div><h2>Pedido</h2><a target="_blank" rel="noopener noreferrer nofollow">a</a>'
        '<a href="mailto:oi@loja.example" target="_blank" rel="noopener noreferrer nofollow">b</a>'
        '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table></div>'
    )
    assert str(sanitizar_html(None)) == ""


def _ticket(**campos) -> Ticket:
    agora = datetime(2026, 3, 10, 12, 0, tzinfo=SP)
    campos.setdefault("criado_em", agora - timedelta(minutes=60))
    return Ticket(status=Ticket.Status.ABERTO, **campos)


AGORA = datetime(2026, 3, 10, 12, 0, tzinfo=SP)


@pytest.mark.parametrize(
    ("prazo_min", "cor", "texto"),
    [
        (60, "verde", "1 h 00 restantes"),
        (30, "verde", "30 min restantes"),  # 30 of a 90-minute window left
        (20, "ambar", "20 min restantes"),  # a quarter of an 80-minute window left
        (10, "ambar", "10 min restantes"),
        (0, "vermelho", "atrasado 0 min"),
        (-90, "vermelho", "atrasado 1 h 30"),
        (-3000, "vermelho", "atrasado 2 dias"),
    ],
)
def test_relogio_de_primeira_resposta(prazo_min, cor, texto):
    ticket = _ticket(sla_primeira_resposta_em=AGORA + timedelta(minutes=prazo_min))
    relogio = sla(ticket, AGORA)
    assert (relogio.cor, relogio.texto, relogio.rotulo) == (cor, texto, "Primeira resposta")


def test_relogio_passa_para_resolucao_depois_da_primeira_resposta():
    ticket = _ticket(
        sla_primeira_resposta_em=AGORA - timedelta(minutes=30),
        primeira_resposta_em=AGORA - timedelta(minutes=40),
        sla_resolucao_em=AGORA + timedelta(hours=7),
    )
    relogio = sla(ticket, AGORA)
    assert (relogio.cor, relogio.texto, relogio.rotulo) == (
        "verde",
        "7 h 00 restantes",
        "Resolução",
    )


def test_sem_relogio_quando_fechado_ou_sem_prazo():
    assert sla(_ticket(), AGORA) is None
    fechado = _ticket(sla_resolucao_em=AGORA + timedelta(hours=1))
    fechado.status = Ticket.Status.FECHADO
    assert sla(fechado, AGORA) is None


def test_sla_violado_fica_vermelho_mesmo_com_prazo_futuro():
    ticket = _ticket(sla_resolucao_em=AGORA + timedelta(hours=1), sla_violado=True)
    assert sla(ticket, AGORA).cor == "vermelho"
    assert sla(ticket, AGORA).texto == "violado"


def test_hora_curta():
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=SP), tick=False):
        assert hora_curta(datetime(2026, 3, 10, 9, 5, tzinfo=SP)) == "09:05"
        assert hora_curta(datetime(2026, 3, 9, 23, 59, tzinfo=SP)) == "ontem"
        assert hora_curta(datetime(2026, 2, 3, 8, 0, tzinfo=SP)) == "03/02"
        assert hora_curta(datetime(2025, 12, 31, 8, 0, tzinfo=SP)) == "31/12/2025"
        assert hora_curta(None) == ""
        assert timezone.localdate().isoformat() == "2026-03-10"


def test_mapa_url():
    assert mapa_url(Mensagem(dados={"latitude": "-23.5", "longitude": -46.6})) == (
        "https://www.openstreetmap.org/?mlat=-23.500000&mlon=-46.600000"
        "#map=17/-23.500000/-46.600000"
    )
    assert mapa_url(Mensagem(dados={"latitude": "abc"})) == ""
    assert mapa_url(Mensagem(dados={})) == ""


def test_exibicao_midia():
    d = Mensagem.StatusMidia.DISPONIVEL
    assert exibicao_midia(Mensagem(tipo="imagem", midia_status=d)) == "imagem"
    assert exibicao_midia(Mensagem(tipo="sticker", midia_status=d)) == "imagem"
    assert exibicao_midia(Mensagem(tipo="audio", midia_status=d)) == "audio"
    assert exibicao_midia(Mensagem(tipo="video", midia_status=d)) == "video"
    assert exibicao_midia(Mensagem(tipo="documento", midia_status=d)) == "documento"
    assert exibicao_midia(Mensagem(tipo="imagem", midia_status="pendente")) == "baixando"
    assert exibicao_midia(Mensagem(tipo="imagem", midia_status="erro")) == "falhou"
    assert exibicao_midia(Mensagem(tipo="texto", midia_status="")) == ""


def test_cor_segura_e_chave():
    assert cor_segura("#1d5fbf") == "#1d5fbf"
    assert cor_segura("#abc") == "#abc"
    assert cor_segura("red;x:y") == "#64748b"
    assert cor_segura(None) == "#64748b"
    assert chave({"meus": 3}, "meus") == 3
    assert chave(None, "meus") is None


def test_relogio_pausado_enquanto_aguarda_o_cliente():
    ticket = _ticket(
        sla_resolucao_em=AGORA - timedelta(hours=1), aguardando_desde=AGORA - timedelta(hours=2)
    )
    ticket.status = Ticket.Status.AGUARDANDO
    relogio = sla(ticket, AGORA)
    assert (relogio.cor, relogio.texto) == ("pausado", "pausado")


def test_relogio_de_proxima_resposta_quando_vence_antes():
    ticket = _ticket(
        primeira_resposta_em=AGORA - timedelta(minutes=40),
        sla_proxima_resposta_em=AGORA + timedelta(minutes=5),
        sla_resolucao_em=AGORA + timedelta(hours=7),
    )
    relogio = sla(ticket, AGORA)
    assert (relogio.rotulo, relogio.texto) == ("Próxima resposta", "5 min restantes")


@pytest.mark.parametrize(
    ("idioma", "esperado"),
    [
        (
            "pt-br",
            [
                ("Primeira resposta", "30 min restantes"),
                ("Próxima resposta", "atrasado 1 h 30"),
                ("Resolução", "atrasado 1 dia"),
                ("Resolução", "violado"),
                ("Aguardando o cliente desde", "pausado"),
                ("ontem", "03/02"),
            ],
        ),
        (
            "en",
            [
                ("First response", "30 min left"),
                ("Next response", "1 h 30 late"),
                ("Resolution", "1 day late"),
                ("Resolution", "breached"),
                ("Waiting for the customer since", "paused"),
                ("yesterday", "02/03"),
            ],
        ),
    ],
)
def test_textos_do_relogio_e_da_hora_em_cada_idioma(idioma, esperado):
    """The clock's and the short time's texts are translated once per language and cached:
    each language gets its own, in any order of use (pt-BR, English, pt-BR again)."""
    from django.utils import translation

    tickets = [
        _ticket(sla_primeira_resposta_em=AGORA + timedelta(minutes=30)),
        _ticket(
            primeira_resposta_em=AGORA - timedelta(hours=3),
            sla_proxima_resposta_em=AGORA - timedelta(minutes=90),
            sla_resolucao_em=AGORA + timedelta(hours=5),
        ),
        _ticket(sla_resolucao_em=AGORA - timedelta(days=1, hours=2)),
        _ticket(sla_resolucao_em=AGORA + timedelta(hours=1), sla_violado=True),
        _ticket(sla_resolucao_em=AGORA, aguardando_desde=AGORA - timedelta(hours=2)),
    ]
    tickets[4].status = Ticket.Status.AGUARDANDO
    for outro in ("en" if idioma == "pt-br" else "pt-br", idioma):
        with translation.override(outro), time_machine.travel(AGORA, tick=False):
            obtidos = [(r.rotulo, r.texto) for r in (sla(t, AGORA) for t in tickets)]
            obtidos.append(
                (
                    hora_curta(datetime(2026, 3, 9, 10, 0, tzinfo=SP)),
                    hora_curta(datetime(2026, 2, 3, 8, 0, tzinfo=SP)),
                )
            )
    assert obtidos == esperado
