"""The inbound orchestrator on normalised events: contacts (ninth digit, identities across
channels), the conversation's ticket (open, reopen window per queue, new), counters, order,
unknown types, duplicates and the events it publishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from atendimento.models import Contato, Fila, Historico, IdentidadeContato, Mensagem, Ticket
from atendimento.realtime.grupos import grupo_supervisores
from atendimento.services.contatos import (
    contato_obter_ou_criar,
    contato_resolver,
    normalizar_telefone,
)
from atendimento.services.entrada import evento_processar
from atendimento.services.reacoes import reacoes
from canais.adapters.base import (
    Conversa,
    Identidade,
    MensagemEntrada,
    MidiaRef,
    Remetente,
    TipoIdentidade,
    TipoMensagem,
)
from tests.factories import CanalFactory, ContatoFactory, IdentidadeContatoFactory, TicketFactory
from tests.saida_apoio import OuvinteEventos

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def msg_wa(
    wa_id: str, id_externo: str, texto: str = "Oi", *, nome: str = "Maria", data=T0, **extra
) -> MensagemEntrada:
    identidades = (
        Identidade(TipoIdentidade.WHATSAPP, wa_id),
        Identidade(TipoIdentidade.TELEFONE, wa_id),
        *extra.pop("identidades", ()),
    )
    return MensagemEntrada(
        id_externo=id_externo,
        conversa=Conversa(wa_id),
        remetente=Remetente(identidades=identidades, nome=nome, telefone=wa_id),
        tipo=extra.pop("tipo", TipoMensagem.TEXTO),
        data=data,
        conteudo=texto,
        **extra,
    )


# ------------------------------------------------------------------------------- phones
@pytest.mark.parametrize(
    ("valor", "esperado"),
    [
        ("551187654321", "5511987654321"),  # old 8-digit mobile: ninth digit added
        ("5511987654321", "5511987654321"),
        ("+55 (21) 8765-4321", "5521987654321"),
        ("005511987654321", "5511987654321"),
        ("551133334444", "551133334444"),  # landline: untouched
        ("16505551234", "16505551234"),  # not Brazil
        ("972987654321", "972987654321"),
        ("", ""),
    ],
)
def test_normalizar_telefone(valor, esperado):
    assert normalizar_telefone(valor) == esperado


@pytest.mark.parametrize(
    ("valor", "esperado"),
    [
        ("(11) 98765-4321", "5511987654321"),
        ("(11) 8765-4321", "5511987654321"),
        ("011 98765-4321", "5511987654321"),
        ("+1 650 555 1234", "16505551234"),
        ("(11) 3333-4444", "551133334444"),
    ],
)
def test_normalizar_telefone_digitado_no_formato_nacional(valor, esperado):
    assert normalizar_telefone(valor, pais_padrao="55") == esperado


# ------------------------------------------------------------------------------- contacts
def test_nono_digito_mesma_pessoa(canal_whatsapp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evento_processar(canal=canal_whatsapp, evento=msg_wa("551187654321", "wamid.1"))
        evento_processar(canal=canal_whatsapp, evento=msg_wa("5511987654321", "wamid.2"))
    manual = contato_obter_ou_criar(empresa=canal_whatsapp.empresa, telefone="(11) 98765-4321")

    contato = Contato.objects.get()
    assert manual == contato
    assert contato.telefone == "5511987654321"
    assert set(contato.identidades.values_list("tipo", "valor")) == {
        ("whatsapp", "5511987654321"),
        ("telefone", "5511987654321"),
    }
    # two provider conversations (the wa_id differs), one person
    assert set(Ticket.objects.values_list("conversa_id_externo", "contato_id")) == {
        ("551187654321", contato.id),
        ("5511987654321", contato.id),
    }


def test_contato_existente_com_telefone_sem_nono_digito(canal_whatsapp):
    antigo = ContatoFactory(empresa=canal_whatsapp.empresa, nome="Zé", telefone="551187654321")
    IdentidadeContatoFactory(contato=antigo, tipo="telefone", valor="551187654321")

    contato = contato_resolver(
        empresa=canal_whatsapp.empresa,
        remetente=msg_wa("5511987654321", "x").remetente,
    )

    assert contato == antigo
    assert Contato.objects.count() == 1


def test_usuario_sem_telefone_depois_com_telefone(canal_whatsapp):
    empresa = canal_whatsapp.empresa
    so_bsuid = Remetente(
        identidades=(Identidade(TipoIdentidade.WHATSAPP_BSUID, "BR.555"),), nome="Kerry"
    )
    primeiro = contato_resolver(empresa=empresa, remetente=so_bsuid)
    completo = msg_wa(
        "5511912345678",
        "x",
        identidades=(Identidade(TipoIdentidade.WHATSAPP_BSUID, "BR.555"),),
    ).remetente

    segundo = contato_resolver(empresa=empresa, remetente=completo)

    assert segundo == primeiro
    assert set(primeiro.identidades.values_list("tipo", "valor")) == {
        ("whatsapp_bsuid", "BR.555"),
        ("whatsapp", "5511912345678"),
        ("telefone", "5511912345678"),
    }
    primeiro.refresh_from_db()
    assert (primeiro.nome, primeiro.telefone) == ("Kerry", "5511912345678")


def test_nome_do_perfil_substitui_o_numero_mas_nao_um_nome_dado(canal_whatsapp):
    empresa = canal_whatsapp.empresa
    sem_nome = msg_wa("5511900000001", "a", nome="").remetente
    contato = contato_resolver(empresa=empresa, remetente=sem_nome)
    assert contato.nome == "5511900000001"

    contato_resolver(empresa=empresa, remetente=msg_wa("5511900000001", "b", nome="Ana").remetente)
    contato.refresh_from_db()
    assert contato.nome == "Ana"
    apelido = msg_wa("5511900000001", "c", nome="Apelido").remetente
    contato_resolver(empresa=empresa, remetente=apelido)
    contato.refresh_from_db()
    assert contato.nome == "Ana"


def test_identidades_sao_por_empresa(canal_whatsapp, outra_empresa):
    remetente = msg_wa("5511900000001", "a").remetente
    a = contato_resolver(empresa=canal_whatsapp.empresa, remetente=remetente)
    b = contato_resolver(empresa=outra_empresa, remetente=remetente)

    assert a != b
    assert (a.empresa_id, b.empresa_id) == (canal_whatsapp.empresa_id, outra_empresa.id)


def test_obter_ou_criar_por_email_e_sem_dados(empresa):
    por_email = contato_obter_ou_criar(empresa=empresa, nome="Lia", email="Lia@Exemplo.com ")
    de_novo = contato_obter_ou_criar(empresa=empresa, email="lia@exemplo.com")
    anonimo = contato_obter_ou_criar(empresa=empresa, nome="Sem contato")

    assert por_email == de_novo
    assert (por_email.email, por_email.nome) == ("lia@exemplo.com", "Lia")
    assert anonimo != por_email
    assert IdentidadeContato.objects.filter(contato=anonimo).count() == 0


# ------------------------------------------------------------------------------- tickets
def test_primeira_mensagem_abre_ticket_na_fila_padrao_com_sla(
    canal_whatsapp, fila, django_capture_on_commit_callbacks
):
    ouvinte = OuvinteEventos(grupo_supervisores(canal_whatsapp.empresa_id))

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = evento_processar(canal=canal_whatsapp, evento=msg_wa("5511900000001", "w1"))

    ticket = mensagem.ticket
    assert (ticket.fila_id, ticket.status, ticket.numero, ticket.prioridade) == (
        fila.id,
        "aberto",
        1,
        "media",
    )
    assert ticket.sla_primeira_resposta_em - ticket.criado_em == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=1)
    )
    assert ticket.sla_resolucao_em - ticket.criado_em == pytest.approx(
        timedelta(minutes=480), abs=timedelta(seconds=1)
    )
    eventos = ouvinte.recebidos()
    assert [nome for nome, _ in eventos] == ["novo_ticket", "nova_mensagem"]
    assert eventos[0][1]["id"] == str(ticket.id)
    assert (
        eventos[1][1] | {"id": str(mensagem.id), "conteudo": "Oi", "tipo": "texto"} == eventos[1][1]
    )


def test_mensagem_repetida_nao_altera_nada_nem_publica(
    canal_whatsapp, django_capture_on_commit_callbacks
):
    evento = msg_wa("5511900000001", "w1")
    with django_capture_on_commit_callbacks(execute=True):
        primeira = evento_processar(canal=canal_whatsapp, evento=evento)
    ouvinte = OuvinteEventos(grupo_supervisores(canal_whatsapp.empresa_id))

    with django_capture_on_commit_callbacks(execute=True):
        segunda = evento_processar(canal=canal_whatsapp, evento=evento)

    assert (primeira is not None, segunda) == (True, None)
    ticket = Ticket.objects.get()
    assert (ticket.nao_lidas, ticket.total_mensagens) == (1, 1)
    assert ouvinte.recebidos() == []


def test_mensagens_em_ordem_do_provedor_mesmo_fora_de_ordem(canal_telegram):
    conversa = Conversa("777")
    remetente = Remetente(identidades=(Identidade(TipoIdentidade.TELEGRAM, "777"),), nome="Rui")
    for ordem, segundos, texto in [(12, 5, "terceira"), (10, 0, "primeira"), (11, 0, "segunda")]:
        evento_processar(
            canal=canal_telegram,
            evento=MensagemEntrada(
                id_externo=f"777:{ordem}",
                conversa=conversa,
                remetente=remetente,
                tipo=TipoMensagem.TEXTO,
                data=T0 + timedelta(seconds=segundos),
                conteudo=texto,
                ordem=ordem,
            ),
        )

    ticket = Ticket.objects.get()
    assert list(ticket.mensagens.values_list("conteudo", flat=True)) == [
        "primeira",
        "segunda",
        "terceira",
    ]
    assert (ticket.ultima_mensagem_resumo, ticket.ultima_mensagem_em) == (
        "terceira",
        T0 + timedelta(seconds=5),
    )


@pytest.mark.parametrize(
    ("reabertura", "janela", "horas_desde", "reabre"),
    [
        (Fila.Reabertura.REABRIR, 24, 2, True),
        (Fila.Reabertura.REABRIR, 24, 30, False),
        (Fila.Reabertura.REABRIR, 48, 30, True),
        (Fila.Reabertura.NOVO, 24, 2, False),
    ],
)
def test_regra_de_reabertura_da_fila(
    canal_whatsapp,
    fila,
    reabertura,
    janela,
    horas_desde,
    reabre,
    django_capture_on_commit_callbacks,
):
    fila.reabertura, fila.janela_reabertura_horas = reabertura, janela
    fila.save()
    agora = timezone.now()
    fechado = TicketFactory(
        empresa=canal_whatsapp.empresa,
        canal=canal_whatsapp,
        fila=fila,
        conversa_id_externo="5511900000001",
        status="fechado",
        fechado_em=agora - timedelta(hours=horas_desde),
        motivo_fechamento="resolvido",
        nao_lidas=0,
    )
    ouvinte = OuvinteEventos(grupo_supervisores(canal_whatsapp.empresa_id))

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = evento_processar(
            canal=canal_whatsapp, evento=msg_wa("5511900000001", "w9", data=agora)
        )

    fechado.refresh_from_db()
    if reabre:
        assert mensagem.ticket_id == fechado.id
        assert (fechado.status, fechado.fechado_em, fechado.nao_lidas) == ("aberto", None, 1)
        assert fechado.reaberto_em is not None
        historico = Historico.objects.get(ticket=fechado)
        assert (historico.acao, historico.dados["motivo_fechamento"]) == ("reaberto", "resolvido")
        assert [nome for nome, _ in ouvinte.recebidos()] == ["ticket_atualizado", "nova_mensagem"]
    else:
        assert mensagem.ticket_id != fechado.id
        assert fechado.status == "fechado"
        assert (mensagem.ticket.numero, mensagem.ticket.status) == (fechado.numero + 1, "aberto")
        assert [nome for nome, _ in ouvinte.recebidos()] == ["novo_ticket", "nova_mensagem"]


def test_resposta_do_cliente_tira_o_ticket_de_aguardando(canal_whatsapp, fila, admin):
    ticket = TicketFactory(
        empresa=canal_whatsapp.empresa,
        canal=canal_whatsapp,
        fila=fila,
        atendente=admin,
        conversa_id_externo="5511900000001",
        status="aguardando",
    )

    evento_processar(canal=canal_whatsapp, evento=msg_wa("5511900000001", "w1"))

    ticket.refresh_from_db()
    assert ticket.status == "em_atendimento"


def test_tipo_desconhecido_e_guardado(canal_telegram):
    evento = MensagemEntrada(
        id_externo="upd:55",
        conversa=Conversa("42"),
        remetente=Remetente(identidades=(Identidade(TipoIdentidade.TELEGRAM, "42"),), nome="X"),
        tipo="tipo-que-nao-existe",
        data=T0,
        conteudo="[evento do tipo poll não suportado]",
        dados={"bruto": {"poll": {"id": "1"}}},
        tipo_original="poll",
    )

    mensagem = evento_processar(canal=canal_telegram, evento=evento)

    assert (mensagem.tipo, mensagem.tipo_original, mensagem.dados) == (
        "desconhecido",
        "poll",
        {"bruto": {"poll": {"id": "1"}}},
    )
    assert mensagem.ticket.ultima_mensagem_resumo == "[evento do tipo poll não suportado]"


def test_varias_midias_viram_uma_mensagem_cada(canal_whatsapp, django_capture_on_commit_callbacks):
    evento = msg_wa(
        "5511900000001",
        "MM1",
        "duas fotos",
        tipo=TipoMensagem.IMAGEM,
        midias=(MidiaRef("u1", "image/jpeg"), MidiaRef("u2", "application/pdf", nome="a.pdf")),
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evento_processar(canal=canal_whatsapp, evento=evento)

    mensagens = Mensagem.objects.order_by("id_externo")
    assert [(m.id_externo, m.tipo, m.conteudo, m.midia_ref, m.midia_status) for m in mensagens] == [
        ("MM1", "imagem", "duas fotos", "u1", "pendente"),
        ("MM1#midia2", "documento", "", "u2", "pendente"),
    ]
    assert Ticket.objects.get().total_mensagens == 2
    # two nova_mensagem publications, one novo_ticket and two media downloads queued (and the
    # reactions to new messages, when any is registered)
    assert len(callbacks) == 5 + bool(reacoes())


def test_canal_de_outra_empresa_nunca_mistura_tickets(canal_whatsapp, outra_empresa):
    outro_canal = CanalFactory(empresa=outra_empresa)

    a = evento_processar(canal=canal_whatsapp, evento=msg_wa("5511900000001", "w1"))
    b = evento_processar(canal=outro_canal, evento=msg_wa("5511900000001", "w1"))

    assert a.ticket_id != b.ticket_id
    assert (a.empresa_id, b.empresa_id) == (canal_whatsapp.empresa_id, outra_empresa.id)
    assert a.ticket.contato_id != b.ticket.contato_id
