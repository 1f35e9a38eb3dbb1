"""The batch path of the inbound orchestrator (atendimento.services.entrada_lote): the same
outcome as one event at a time, a fixed number of statements for the common case, duplicates
inside a batch, order around per-event steps, the reactions called once per batch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from atendimento.models import Contato, Historico, IdentidadeContato, Mensagem, Ticket
from atendimento.services import entrada_lote, reacoes
from atendimento.services.entrada import evento_processar
from atendimento.services.entrada_lote import eventos_processar
from canais.adapters.base import MidiaRef, StatusEntrada, StatusEntrega, TipoMensagem
from tests.atendimento.test_entrada import T0, msg_wa
from tests.atendimento.test_entrada_concorrente import em_paralelo
from tests.factories import CanalFactory

CAMPOS_TICKET = (
    "status",
    "numero",
    "total_mensagens",
    "nao_lidas",
    "ultima_mensagem_em",
    "ultima_mensagem_resumo",
    "ultima_entrada_em",
    "conversa_id_externo",
)
CAMPOS_MENSAGEM = (
    "id_externo",
    "tipo",
    "conteudo",
    "remetente_nome",
    "remetente_id_externo",
    "status",
    "midia_status",
    "midia_ref",
    "data",
)


def _sequencia(prefixo: str) -> list:
    """Two conversations: a new one (three messages, media among them, a retry of the
    first) and a known one whose ticket waits for the customer."""
    return [
        msg_wa("5511911110000", f"{prefixo}.a1", "primeira", data=T0),
        msg_wa("5511922220000", f"{prefixo}.b1", "volta", data=T0 + timedelta(seconds=1)),
        msg_wa("5511911110000", f"{prefixo}.a1", "primeira", data=T0),  # provider retry
        msg_wa(
            "5511911110000",
            f"{prefixo}.a2",
            "",
            tipo=TipoMensagem.IMAGEM,
            midias=(MidiaRef("m1", "image/jpeg"), MidiaRef("m2", "audio/ogg")),
            data=T0 + timedelta(seconds=2),
        ),
        msg_wa("5511922220000", f"{prefixo}.b2", "de novo", data=T0 + timedelta(seconds=3)),
        msg_wa("5511911110000", f"{prefixo}.a3", "terceira", data=T0 + timedelta(seconds=4)),
    ]


def _retrato(canal) -> tuple:
    tickets = [
        tuple(getattr(t, c) for c in CAMPOS_TICKET if c != "numero")
        for t in Ticket.objects.filter(canal=canal).order_by("conversa_id_externo")
    ]
    mensagens = [
        tuple(getattr(m, c) for c in CAMPOS_MENSAGEM)[1:]
        for m in Mensagem.objects.filter(canal=canal).order_by("data", "ordem", "id_externo")
    ]
    historico = sorted(Historico.objects.filter(ticket__canal=canal).values_list("acao", flat=True))
    return tickets, mensagens, historico


def _preparar(canal, prefixo: str) -> None:
    """The known conversation: a ticket waiting for the customer."""
    evento_processar(canal=canal, evento=msg_wa("5511922220000", f"{prefixo}.b0", "antes"))
    Ticket.objects.filter(canal=canal).update(status=Ticket.Status.AGUARDANDO)


@pytest.mark.django_db(transaction=True)
def test_lote_da_o_mesmo_resultado_que_um_evento_por_vez(empresa, fila):
    um_a_um = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    em_lote = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    _preparar(um_a_um, "x")
    _preparar(em_lote, "x")

    esperados = [evento_processar(canal=um_a_um, evento=e) for e in _sequencia("x")]
    obtidos = eventos_processar([(em_lote, e) for e in _sequencia("x")])

    assert [m is None for m in obtidos] == [m is None for m in esperados]
    assert [m.id_externo for m in obtidos if m] == [m.id_externo for m in esperados if m]
    assert _retrato(em_lote) == _retrato(um_a_um)
    (b,) = Ticket.objects.filter(canal=em_lote, conversa_id_externo="5511922220000")
    assert (b.status, b.total_mensagens, b.nao_lidas) == ("aberto", 3, 3)


@pytest.mark.django_db(transaction=True)
def test_caso_comum_custa_o_mesmo_numero_de_comandos_com_1_ou_50(
    empresa, fila, django_assert_max_num_queries
):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    fones = [f"55119333{n:05d}" for n in range(10)]
    for fone in fones:
        evento_processar(canal=canal, evento=msg_wa(fone, f"ini.{fone}"))

    # identities, their contacts, tickets (locked), messages, tickets' counters (+ savepoint
    # bookkeeping), and after commit the SLA reaction's one lookup of tickets whose clocks change
    with django_assert_max_num_queries(8):
        eventos_processar([(canal, msg_wa(fones[0], "um"))])
    with django_assert_max_num_queries(8):
        eventos_processar(
            [
                (canal, msg_wa(fones[n % 10], f"lote.{n}", data=T0 + timedelta(seconds=n)))
                for n in range(50)
            ]
        )
    assert Mensagem.objects.filter(canal=canal).count() == 10 + 1 + 50
    assert sorted(Ticket.objects.filter(canal=canal).values_list("total_mensagens", flat=True)) == [
        6
    ] * 9 + [7]


@pytest.mark.django_db(transaction=True)
def test_mesma_mensagem_dez_vezes_no_lote_grava_uma(empresa, fila):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    evento_processar(canal=canal, evento=msg_wa("5511944440000", "ini"))

    resultados = eventos_processar([(canal, msg_wa("5511944440000", "dez"))] * 10)

    assert [r is not None for r in resultados] == [True] + [False] * 9
    assert Mensagem.objects.filter(canal=canal, id_externo="dez").count() == 1
    assert Ticket.objects.get(canal=canal).total_mensagens == 2


@pytest.fixture
def registradas(monkeypatch):
    recebidas: list[list[reacoes.EntradaConfirmada]] = []
    monkeypatch.setattr(reacoes, "_REACOES", [])
    reacoes.reagir_a_entrada(recebidas.append)
    return recebidas


@pytest.mark.django_db(transaction=True)
def test_reacoes_uma_vez_por_lote_com_todas_as_mensagens_novas(empresa, fila, registradas):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    evento_processar(canal=canal, evento=msg_wa("5511955550000", "ini"))
    registradas.clear()

    eventos_processar(
        [
            (canal, msg_wa("5511955550000", "c1")),  # known conversation: set-based
            (canal, msg_wa("5511966660000", "n1")),  # new conversation: per event
            (canal, msg_wa("5511955550000", "c1")),  # retry: nothing new
            (canal, msg_wa("5511966660000", "n2")),
            (canal, StatusEntrada("wamid.desconhecido", StatusEntrega.LIDA, T0)),
        ]
    )

    assert len(registradas) == 1
    ids = {m.id_externo: m.pk for m in Mensagem.objects.filter(canal=canal)}
    assert [(e.mensagem_id, e.ticket_novo) for e in registradas[0]] == [
        (ids["c1"], False),
        (ids["n1"], True),
        (ids["n2"], False),
    ]


@pytest.mark.django_db(transaction=True)
def test_lote_desfeito_nao_chama_reacoes(empresa, fila, registradas, monkeypatch):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    evento_processar(canal=canal, evento=msg_wa("5511977770000", "ini"))
    registradas.clear()
    monkeypatch.setattr(entrada_lote, "_salvar_tickets", _quebra)

    with pytest.raises(RuntimeError):
        eventos_processar([(canal, msg_wa("5511977770000", "c1"))])

    assert registradas == []
    assert not Mensagem.objects.filter(id_externo="c1").exists()
    assert Ticket.objects.get(canal=canal).total_mensagens == 1


def _quebra(*args, **kwargs):
    raise RuntimeError("boom")


# ------------------------------------------------------------------------------- first contacts
@pytest.mark.django_db(transaction=True)
def test_primeiros_contatos_custam_o_mesmo_numero_de_comandos_com_1_ou_50(
    empresa, fila, django_assert_max_num_queries
):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)

    # identities, open tickets, stored messages, identities and contacts by phone (new
    # senders), contacts + identities, tickets of any status, tickets + history (a savepoint
    # around each pair), messages, counters; after commit the reactions' lookups (menus,
    # distribution, SLA, channel types) — none of it per conversation
    with django_assert_max_num_queries(22):
        eventos_processar([(canal, msg_wa("5511955500000", "um"))])
    with django_assert_max_num_queries(22):
        eventos_processar(
            [
                (
                    canal,
                    msg_wa(f"55119444{n % 25:05d}", f"lote.{n}", data=T0 + timedelta(seconds=n)),
                )
                for n in range(50)
            ]
        )

    tickets = Ticket.objects.filter(canal=canal)
    assert tickets.count() == 26
    assert sorted(tickets.values_list("numero", flat=True)) == list(range(1, 27))  # no gap
    assert Contato.objects.filter(empresa=empresa).count() == 26
    assert IdentidadeContato.objects.filter(empresa=empresa).count() == 52
    assert Historico.objects.filter(ticket__canal=canal, acao="criado").count() == 26
    assert sorted(tickets.values_list("total_mensagens", flat=True)) == [1] + [2] * 25


@pytest.mark.django_db(transaction=True)
def test_primeiros_contatos_em_lote_como_um_por_vez(empresa, fila):
    um_a_um = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    em_lote = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)

    def sequencia(p: str) -> list:
        return [
            msg_wa(f"55119{p}1000", f"{p}.a1", "oi", nome="Ana", data=T0),
            msg_wa(f"55119{p}2000", f"{p}.b1", "bom dia", nome="", data=T0),
            msg_wa(f"55119{p}1000", f"{p}.a2", "tudo bem?", nome="Ana", data=T0),
            msg_wa(f"55119{p}1000", f"{p}.a1", "oi", nome="Ana", data=T0),  # provider retry
        ]

    esperados = [evento_processar(canal=um_a_um, evento=e) for e in sequencia("1111")]
    obtidos = eventos_processar([(em_lote, e) for e in sequencia("2222")])

    assert [m is None for m in obtidos] == [m is None for m in esperados]

    def retrato(canal) -> list:
        return [
            (
                t.status,
                t.numero - primeiro,
                t.total_mensagens,
                t.nao_lidas,
                t.ultima_mensagem_resumo,
                t.fila_id,
                t.sla_primeira_resposta_em is not None,
                t.contato.nome.replace("2222", "1111"),
                t.contato.telefone.replace("2222", "1111"),
                sorted(
                    (i.tipo, i.valor.replace("2222", "1111"), i.nome_exibicao)
                    for i in t.contato.identidades.all()
                ),
                list(t.historico.values_list("acao", "descricao", "dados__fila")),
            )
            for t in Ticket.objects.filter(canal=canal).order_by("numero")
            for primeiro in [Ticket.objects.filter(canal=canal).order_by("numero")[0].numero]
        ]

    assert retrato(em_lote) == retrato(um_a_um)


@pytest.mark.django_db(transaction=True)
def test_primeiro_contato_reacao_ticket_novo_so_na_primeira(empresa, fila, registradas):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)

    eventos_processar(
        [
            (canal, msg_wa("5511966610000", "n1")),
            (canal, msg_wa("5511966620000", "m1")),
            (canal, msg_wa("5511966610000", "n2")),
        ]
    )

    ids = {m.id_externo: m.pk for m in Mensagem.objects.filter(canal=canal)}
    assert [(e.mensagem_id, e.ticket_novo) for e in registradas[0]] == [
        (ids["n1"], True),
        (ids["m1"], True),
        (ids["n2"], False),
    ]


@pytest.mark.django_db(transaction=True)
def test_primeiro_contato_depois_de_um_passo_por_evento_da_mesma_conversa(empresa, fila):
    """A reply (per-event path) opens the conversation's ticket; the plain message after it
    in the batch joins that ticket instead of opening another."""
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)

    eventos_processar(
        [
            (canal, msg_wa("5511966630000", "r1", responde_a="wamid.antiga")),
            (canal, msg_wa("5511966630000", "r2")),
        ]
    )

    (ticket,) = Ticket.objects.filter(canal=canal)
    assert ticket.total_mensagens == 2
    assert Contato.objects.filter(empresa=empresa).count() == 1


@pytest.mark.django_db(transaction=True)
def test_contato_conhecido_em_outro_canal_ganha_ticket_sem_novo_contato(empresa, fila):
    primeiro = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    segundo = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    evento_processar(canal=primeiro, evento=msg_wa("5511966640000", "ini"))

    eventos_processar([(segundo, msg_wa("5511966640000", "outro"))])

    (contato,) = Contato.objects.filter(empresa=empresa)
    assert set(Ticket.objects.values_list("canal_id", "contato_id")) == {
        (primeiro.pk, contato.pk),
        (segundo.pk, contato.pk),
    }


@pytest.mark.django_db(transaction=True)
def test_contato_cadastrado_sem_identidade_e_reaproveitado(empresa, fila):
    """A contact typed in by hand (phone, no identity) is the sender: the per-event path
    attaches the identities to it, as one event at a time does."""
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    manual = Contato.objects.create(
        empresa=empresa, nome="Cliente antigo", telefone="5511966650000"
    )

    eventos_processar([(canal, msg_wa("5511966650000", "oi"))])

    assert list(Contato.objects.filter(empresa=empresa)) == [manual]
    assert Ticket.objects.get(canal=canal).contato_id == manual.pk
    assert manual.identidades.count() == 2


@pytest.mark.django_db(transaction=True)
def test_conversa_com_ticket_fechado_segue_a_regra_de_reabertura(empresa, fila):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    evento_processar(canal=canal, evento=msg_wa("5511966660000", "ini"))
    Ticket.objects.filter(canal=canal).update(status="fechado", fechado_em=T0)

    eventos_processar([(canal, msg_wa("5511966660000", "volta", data=T0 + timedelta(hours=1)))])

    (ticket,) = Ticket.objects.filter(canal=canal)
    assert ticket.status == "aberto"
    assert ticket.historico.filter(acao="reaberto").count() == 1


@pytest.mark.django_db(transaction=True)
def test_mesmo_numero_em_duas_empresas_no_mesmo_lote(empresa, fila, outra_empresa):
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    outro = CanalFactory(empresa=outra_empresa, tipo="whatsapp")

    eventos_processar(
        [(canal, msg_wa("5511966670000", "a")), (outro, msg_wa("5511966670000", "b"))]
    )

    for dona, c in ((empresa, canal), (outra_empresa, outro)):
        (contato,) = Contato.objects.filter(empresa=dona)
        (ticket,) = Ticket.objects.filter(canal=c)
        assert (ticket.empresa_id, ticket.contato_id, ticket.numero) == (dona.pk, contato.pk, 1)
        assert {i.empresa_id for i in contato.identidades.all()} == {dona.pk}
        assert ticket.mensagens.get().empresa_id == dona.pk


@pytest.mark.django_db(transaction=True)
def test_lotes_concorrentes_com_o_mesmo_primeiro_contato(empresa, fila):
    """Two workers open the same new conversation at once: one ticket, one contact, numbers
    without a gap; the loser's batch takes the per-event path and joins the winner's ticket."""
    canal = CanalFactory(empresa=empresa, tipo="whatsapp", fila_padrao=fila)
    lotes = [
        [(canal, msg_wa("5511966680000", f"w{w}.{n}", data=T0 + timedelta(seconds=n)))
         for n in range(3)]
        for w in range(2)
    ]  # fmt: skip

    em_paralelo([lambda lote=lote: eventos_processar(lote) for lote in lotes])

    (ticket,) = Ticket.objects.filter(canal=canal)
    assert (ticket.numero, ticket.total_mensagens, ticket.nao_lidas) == (1, 6, 6)
    assert Contato.objects.filter(empresa=empresa).count() == 1
    assert ticket.historico.filter(acao="criado").count() == 1
    Ticket.objects.create(
        empresa=empresa, canal=canal, contato=ticket.contato, conversa_id_externo="outra"
    )
    assert Ticket.objects.get(conversa_id_externo="outra").numero == 2
