"""The first-contact menu from outside: customers write through the real webhook URLs (signed
fixtures), the menu goes out to the fake provider, the answer picks the queue, invalid answers
re-prompt up to the limit, the timeout (frozen clock, the periodic task) leaves the ticket in
the default queue; the admin and the database keep each empresa's options to itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from atendimento.models import Historico, Mensagem, OpcaoMenu, Ticket
from atendimento.services.menu_inicial import escolher
from atendimento.tasks import expirar_menus
from tests.canais.webhook_apoio import (  # noqa: F401
    canal_tg,
    canal_wa,
    celery_eager,
    postar_whatsapp,
)
from tests.factories import AtendenteFactory, AtendenteFilaFactory, FilaFactory

from .conversa_apoio import (
    PNID,
    corpo_botao_telegram,
    corpo_escolha_whatsapp,
    corpo_telegram,
    enviados,
    escrever_telegram,
    escrever_whatsapp,
    servir_telegram,
    servir_whatsapp,
)

SP = ZoneInfo("America/Sao_Paulo")
INICIO = datetime(2026, 12, 1, 10, tzinfo=SP)  # a Tuesday morning

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


def _filas(empresa):
    padrao = FilaFactory(empresa=empresa, nome="Geral", distribuicao="round_robin")
    vendas = FilaFactory(empresa=empresa, nome="Vendas", distribuicao="round_robin")
    suporte = FilaFactory(empresa=empresa, nome="Suporte", distribuicao="round_robin")
    agentes = {}
    for fila in (padrao, vendas, suporte):
        agentes[fila.nome] = AtendenteFactory(empresa=empresa, nome=f"Agente {fila.nome}")
        AtendenteFilaFactory(atendente=agentes[fila.nome], fila=fila)
    return padrao, vendas, suporte, agentes


def _menu(canal, vendas, suporte, **extra):
    for campo, valor in {"menu_ativo": True, **extra}.items():
        setattr(canal, campo, valor)
    canal.save()
    OpcaoMenu.objects.create(
        empresa=canal.empresa, canal=canal, numero=1, rotulo="Vendas", fila=vendas
    )
    OpcaoMenu.objects.create(
        empresa=canal.empresa,
        canal=canal,
        numero=2,
        rotulo="Suporte técnico",
        fila=suporte,
        sinonimos="problema, defeito",
    )


@pytest.fixture
def cenario_wa(empresa, httpserver):
    padrao, vendas, suporte, agentes = _filas(empresa)
    canal = canal_wa(empresa, padrao, pnid=PNID, api_base_url=httpserver.url_for("")[:-1])
    _menu(canal, vendas, suporte)
    servir_whatsapp(httpserver)
    return canal, padrao, vendas, suporte, agentes


def _mensagens_enviadas(httpserver) -> list[dict]:
    return [c for c in enviados(httpserver, "/messages") if c.get("type")]


def _textos_enviados(httpserver) -> list[str]:
    """The text of each message sent: a text's body, an interactive message's body."""
    return [
        c["text"]["body"] if c["type"] == "text" else c["interactive"]["body"]["text"]
        for c in _mensagens_enviadas(httpserver)
    ]


def test_menu_enviado_e_resposta_com_erro_de_digitacao_escolhe_a_fila(
    client, empresa, fixture_bytes, httpserver, cenario_wa
):
    _canal, padrao, _vendas, suporte, agentes = cenario_wa
    with time_machine.travel(INICIO, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "oi boa tarde")

    ticket = Ticket.objects.get()
    assert ticket.automacao == "menu"
    assert ticket.fila_id == padrao.pk
    assert ticket.atendente_id is None
    menu = Mensagem.objects.get(direcao="saida")
    assert menu.remetente_tipo == Mensagem.Remetente.BOT
    assert menu.status == Mensagem.Status.ENVIADA
    assert menu.conteudo == (
        "Olá! Para agilizar seu atendimento, responda com o número da opção:\n"
        "1 - Vendas\n2 - Suporte técnico"
    )  # the inbox shows the options as text
    (enviado,) = _mensagens_enviadas(httpserver)
    assert enviado["type"] == "interactive"
    assert enviado["interactive"] == {
        "type": "button",
        "body": {"text": "Olá! Para agilizar seu atendimento, responda com o número da opção:"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "1", "title": "1 - Vendas"}},
                {"type": "reply", "reply": {"id": "2", "title": "2 - Suporte técnico"}},
            ]
        },
    }

    with time_machine.travel(INICIO + timedelta(minutes=1), tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "suprote")

    ticket.refresh_from_db()
    assert (ticket.automacao, ticket.fila_id) == ("", suporte.pk)
    assert ticket.atendente_id == agentes["Suporte"].pk  # then distribution ran
    linha = Historico.objects.get(ticket=ticket, acao=Historico.Acao.TRANSFERIDO)
    assert "opção 2 - Suporte técnico" in linha.descricao
    assert linha.dados["fila_para"] == str(suporte.pk)
    assert len(_textos_enviados(httpserver)) == 1  # a valid answer sends nothing more


@pytest.mark.parametrize(
    ("texto", "numero"),
    [("1", 1), ("opção 2", 2), ("2️⃣", 2), ("VENDAS!!", 1), ("vendsa", 1), ("to com um defeito", 2),
     ("quero o suporte tecnico pf", 2)],
)  # fmt: skip
def test_respostas_aceitas(empresa, texto, numero):
    padrao, vendas, suporte, _ = _filas(empresa)
    from tests.factories import CanalFactory

    canal = CanalFactory(empresa=empresa, fila_padrao=padrao)
    _menu(canal, vendas, suporte)
    opcoes = list(OpcaoMenu.objects.filter(canal=canal).select_related("fila"))
    assert escolher(opcoes, texto).numero == numero


@pytest.mark.parametrize("texto", ["oi", "3", "1 ou 2", "vendas e suporte", "?", ""])
def test_respostas_que_nao_escolhem(empresa, texto):
    padrao, vendas, suporte, _ = _filas(empresa)
    from tests.factories import CanalFactory

    canal = CanalFactory(empresa=empresa, fila_padrao=padrao)
    _menu(canal, vendas, suporte)
    assert escolher(list(OpcaoMenu.objects.filter(canal=canal)), texto) is None


def test_resposta_invalida_repete_o_menu_ate_o_limite(
    client, empresa, fixture_bytes, httpserver, cenario_wa
):
    canal, padrao, *_, agentes = cenario_wa
    canal.menu_tentativas = 2
    canal.save()
    with time_machine.travel(INICIO, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "oi")
        escrever_whatsapp(client, empresa, fixture_bytes, "qual o horario de vcs?")
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.menu_tentativas, ticket.atendente_id) == ("menu", 1, None)
    assert _textos_enviados(httpserver)[1] == (
        "Não entendi sua resposta. Por favor, escolha uma das opções:"
    )
    assert _mensagens_enviadas(httpserver)[1]["interactive"]["type"] == "button"
    with time_machine.travel(INICIO + timedelta(minutes=1), tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "hein")
    ticket.refresh_from_db()
    assert (ticket.automacao, ticket.fila_id) == ("", padrao.pk)
    assert ticket.atendente_id == agentes["Geral"].pk
    assert len(_textos_enviados(httpserver)) == 2  # no third prompt
    assert Historico.objects.filter(
        ticket=ticket, dados__motivo="tentativas_esgotadas", dados__tentativas=2
    ).exists()


def test_sem_resposta_no_prazo_vai_para_a_fila_padrao(
    client, empresa, fixture_bytes, httpserver, cenario_wa
):
    canal, padrao, *_, agentes = cenario_wa
    canal.menu_espera_min = 15
    canal.save()
    with time_machine.travel(INICIO, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "bom dia")
    with time_machine.travel(INICIO + timedelta(minutes=14, seconds=59), tick=False):
        assert expirar_menus.apply().get() == 0
    assert Ticket.objects.get().automacao == "menu"
    with time_machine.travel(INICIO + timedelta(minutes=15), tick=False):
        assert expirar_menus.apply().get() == 1
        assert expirar_menus.apply().get() == 0  # idempotent
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.fila_id) == ("", padrao.pk)
    assert ticket.atendente_id == agentes["Geral"].pk
    assert Historico.objects.filter(ticket=ticket, dados__motivo="tempo_esgotado").exists()
    # a late answer is an ordinary message now: it moves nothing
    with time_machine.travel(INICIO + timedelta(minutes=20), tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "2")
    ticket.refresh_from_db()
    assert ticket.fila_id == padrao.pk


def test_canal_sem_menu_distribui_direto(client, empresa, fixture_bytes, httpserver, cenario_wa):
    canal, _padrao, *_, agentes = cenario_wa
    canal.menu_ativo = False
    canal.save()
    escrever_whatsapp(client, empresa, fixture_bytes, "oi")
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.atendente_id) == ("", agentes["Geral"].pk)
    assert _textos_enviados(httpserver) == []


def test_ticket_reaberto_nao_recebe_o_menu(client, empresa, fixture_bytes, httpserver, cenario_wa):
    from atendimento.services.tickets import ticket_fechar

    with time_machine.travel(INICIO, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "oi")
        escrever_whatsapp(client, empresa, fixture_bytes, "1")
        ticket_fechar(ticket=Ticket.objects.get(), por=None)
    with time_machine.travel(INICIO + timedelta(hours=1), tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "voltei")
    ticket = Ticket.objects.get()
    assert ticket.status == "aberto"
    assert ticket.automacao == ""
    assert len(_textos_enviados(httpserver)) == 1


def test_whatsapp_botao_de_resposta_escolhe(client, empresa, fixture_bytes, httpserver, cenario_wa):
    _canal, _padrao, _vendas, suporte, agentes = cenario_wa
    escrever_whatsapp(client, empresa, fixture_bytes, "oi")
    corpo = corpo_escolha_whatsapp(fixture_bytes, "button_reply", "2", "2 - Suporte técnico")
    assert postar_whatsapp(client, empresa.id, corpo).status_code == 200

    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.fila_id) == ("", suporte.pk)
    assert ticket.atendente_id == agentes["Suporte"].pk
    resposta = Mensagem.objects.get(direcao="entrada", tipo="interativo")
    assert resposta.dados["id"] == "2"
    assert len(_mensagens_enviadas(httpserver)) == 1  # no re-prompt


def test_whatsapp_menu_configurado_pela_api_vai_como_lista(
    client, empresa, fixture_bytes, httpserver, admin
):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    padrao, vendas, suporte, agentes = _filas(empresa)
    financeiro = FilaFactory(empresa=empresa, nome="Financeiro", distribuicao="round_robin")
    agentes["Financeiro"] = AtendenteFactory(empresa=empresa, nome="Agente Financeiro")
    AtendenteFilaFactory(atendente=agentes["Financeiro"], fila=financeiro)
    canal = canal_wa(empresa, padrao, pnid=PNID, api_base_url=httpserver.url_for("")[:-1])
    servir_whatsapp(httpserver)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(admin.usuario)}")
    opcoes = [(1, "Vendas", vendas), (2, "Suporte técnico", suporte), (3, "Segunda via de boleto e "
              "negociação", financeiro), (4, "Outros assuntos", padrao)]  # fmt: skip
    resposta = api.patch(
        f"/api/atendimento/canais/{canal.pk}/",
        {
            "menu_ativo": True,
            "menu_saudacao": "Oi {{contato.primeiro_nome}}! Como podemos ajudar?",
            "opcoes_menu": [
                {"numero": n, "rotulo": rotulo, "fila": str(fila.pk)} for n, rotulo, fila in opcoes
            ],
        },
        format="json",
    )
    assert resposta.status_code == 200, resposta.content

    escrever_whatsapp(client, empresa, fixture_bytes, "boa noite")
    (menu,) = _mensagens_enviadas(httpserver)
    assert menu["type"] == "interactive"
    lista = menu["interactive"]
    assert (lista["type"], lista["body"]["text"]) == ("list", "Oi Sheena! Como podemos ajudar?")
    (secao,) = lista["action"]["sections"]
    assert [(r["id"], r["title"]) for r in secao["rows"]] == [
        ("1", "1 - Vendas"),
        ("2", "2 - Suporte técnico"),
        ("3", "3 - Segunda via de bole…"),
        ("4", "4 - Outros assuntos"),
    ]
    assert secao["rows"][2]["description"] == "3 - Segunda via de boleto e negociação"

    corpo = corpo_escolha_whatsapp(fixture_bytes, "list_reply", "3", "3 - Segunda via de bole…")
    assert postar_whatsapp(client, empresa.id, corpo).status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.fila_id) == ("", financeiro.pk)
    assert ticket.atendente_id == agentes["Financeiro"].pk


def test_telegram_mostra_botoes_e_o_botao_escolhe(client, empresa, fixture_bytes, httpserver):
    padrao, vendas, suporte, agentes = _filas(empresa)
    canal = canal_tg(empresa, padrao, api_base_url=httpserver.url_for("")[:-1])
    _menu(canal, vendas, suporte, menu_saudacao="Oi {{contato.primeiro_nome}}! Escolha:")
    servir_telegram(httpserver)

    escrever_telegram(client, empresa, corpo_telegram(fixture_bytes, "/start"))
    (menu,) = enviados(httpserver, "/sendMessage")
    assert menu["text"] == "Oi Test! Escolha:\n1 - Vendas\n2 - Suporte técnico"
    assert menu["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "1 - Vendas", "callback_data": "1"}],
            [{"text": "2 - Suporte técnico", "callback_data": "2"}],
        ]
    }

    escrever_telegram(client, empresa, corpo_botao_telegram(fixture_bytes, "1"))
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.fila_id) == ("", vendas.pk)
    assert ticket.atendente_id == agentes["Vendas"].pk
    assert len(enviados(httpserver, "/answerCallbackQuery")) == 1


def test_banco_recusa_opcao_com_fila_de_outra_empresa(empresa, outra_empresa):
    from tests.factories import CanalFactory

    canal = CanalFactory(empresa=empresa)
    alheia = FilaFactory(empresa=outra_empresa)
    with pytest.raises(IntegrityError), transaction.atomic():
        OpcaoMenu.objects.create(empresa=empresa, canal=canal, numero=1, rotulo="X", fila=alheia)


def test_admin_opcoes_do_menu_so_da_propria_empresa(client, empresa, outra_empresa, supervisor):
    from tests.factories import CanalFactory

    canal = CanalFactory(empresa=empresa)
    minha = FilaFactory(empresa=empresa, nome="Minha")
    alheia = FilaFactory(empresa=outra_empresa, nome="Alheia")
    canal_alheio = CanalFactory(empresa=outra_empresa)
    supervisor.usuario.is_staff = True
    supervisor.usuario.save()
    client.force_login(supervisor.usuario)

    pagina = client.get(f"/admin/atendimento/canal/{canal.pk}/change/")
    assert pagina.status_code == 200
    html = pagina.content.decode()
    assert "opcoes_menu-0-fila" in html or "opcoes_menu-__prefix__-fila" in html
    assert str(minha.pk) in html
    assert str(alheia.pk) not in html
    assert client.get(f"/admin/atendimento/canal/{canal_alheio.pk}/change/").status_code in (
        302,
        404,
    )

    dados = {
        "tipo": canal.tipo,
        "nome": canal.nome,
        "config": "{}",
        "fila_padrao": "",
        "novos_segredos": "",
        "menu_ativo": "on",
        "menu_saudacao": "Escolha:",
        "menu_opcao_invalida": "De novo:",
        "menu_tentativas": "3",
        "menu_espera_min": "10",
        "resposta_automatica": "",
        "opcoes_menu-TOTAL_FORMS": "1",
        "opcoes_menu-INITIAL_FORMS": "0",
        "opcoes_menu-MIN_NUM_FORMS": "0",
        "opcoes_menu-MAX_NUM_FORMS": "1000",
        "opcoes_menu-0-numero": "1",
        "opcoes_menu-0-rotulo": "Vendas",
        "opcoes_menu-0-fila": str(alheia.pk),
    }
    resposta = client.post(f"/admin/atendimento/canal/{canal.pk}/change/", dados)
    assert resposta.status_code == 200  # the form again, with the error
    assert not OpcaoMenu.objects.exists()
    canal.refresh_from_db()
    assert canal.menu_ativo is False

    dados["opcoes_menu-0-fila"] = str(minha.pk)
    resposta = client.post(f"/admin/atendimento/canal/{canal.pk}/change/", dados)
    assert resposta.status_code == 302, resposta.content.decode()[:2000]
    canal.refresh_from_db()
    assert canal.menu_ativo is True
    assert canal.menu_saudacao == "Escolha:"
    opcao = OpcaoMenu.objects.get()
    assert (opcao.empresa_id, opcao.canal_id, opcao.fila_id) == (empresa.pk, canal.pk, minha.pk)
