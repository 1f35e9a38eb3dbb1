"""The bot's policy from outside: customers write through the real webhook URLs (signed
fixtures); the AI provider is the empresa's (``IntegracaoConfig``), an OpenAI one pointed at a
local server speaking Chat Completions.  Offline answers are never sent; a customer who asks
for a person is handed off with the queue's message and a history line; ``fora_horario`` only
takes conversations that start outside business hours (frozen clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from werkzeug import Request, Response

from atendimento.models import Canal, Historico, IntegracaoConfig, Mensagem, Ticket
from ia.models import AIResposta, ArtigoConhecimento
from ia.provedores.sdk import cliente as clientes_sdk
from tests.canais.webhook_apoio import canal_wa, celery_eager  # noqa: F401
from tests.factories import AtendenteFactory, AtendenteFilaFactory, FilaFactory
from tests.ia.servidores_ia import CHAVE, OPENAI, corpo

from .conversa_apoio import PNID, enviados, escrever_whatsapp, servir_whatsapp

SP = ZoneInfo("America/Sao_Paulo")
TERCA = datetime(2026, 12, 1, 10, tzinfo=SP)
SABADO_NOITE = datetime(2026, 12, 5, 22, tzinfo=SP)
COMERCIAL = {d: ["09:00", "18:00"] for d in ("seg", "ter", "qua", "qui", "sex")}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]

#: what the model answers to each call of the analysis of a new message (by task)
ANALISE = {
    "sentimento": {"valor": "neutro", "score": 0.0},
    "intencao": {"valor": "duvida", "confianca": 0.8},
    "classificacao_ticket": {
        "categoria": "Dúvida",
        "subcategoria": "Senha",
        "urgencia": "baixa",
        "tags": [],
        "motivos_churn": [],
    },
}


@pytest.fixture(autouse=True)
def _clientes_novos():
    clientes_sdk.cache_clear()
    yield
    clientes_sdk.cache_clear()


def servir_openai(httpserver, resposta_rag: dict) -> None:
    """Chat Completions: the knowledge-base reply for the RAG task, an analysis otherwise
    (the analysis of each new message also runs)."""

    def completar(request: Request) -> Response:
        tarefa = corpo(request)["response_format"]["json_schema"]["name"]
        if tarefa == "resposta_base_conhecimento":
            return OPENAI.ok(resposta_rag, entrada=700, saida=50)
        return OPENAI.ok(ANALISE[tarefa])

    httpserver.expect_request(OPENAI.caminho, method="POST").respond_with_handler(completar)


def _artigo(empresa) -> str:
    return str(
        ArtigoConhecimento.objects.create(
            empresa=empresa,
            titulo="Trocar a senha",
            conteudo="Para trocar a senha, abra o aplicativo, toque em Perfil > Segurança > "
            "Alterar senha e confirme o código enviado por SMS.",
        ).id
    )


def openai_da_empresa(empresa, httpserver) -> None:
    IntegracaoConfig.objects.create(empresa=empresa, tipo="ia", configuracao={"provider": "openai"})
    IntegracaoConfig.objects.create(
        empresa=empresa,
        tipo="openai",
        configuracao={"base_url": httpserver.url_for("/v1"), "max_retries": 0, "timeout": 5},
        segredos={"api_key": CHAVE},
    )


@pytest.fixture
def cenario(empresa, httpserver):
    fila = FilaFactory(
        empresa=empresa,
        nome="Suporte",
        distribuicao="round_robin",
        horario=COMERCIAL,
        resposta_automatica="confiante",
        mensagem_transferencia="Já chamo alguém da equipe, {{contato.nome}}!",
    )
    agente = AtendenteFactory(empresa=empresa)
    AtendenteFilaFactory(atendente=agente, fila=fila)
    canal = canal_wa(empresa, fila, pnid=PNID, api_base_url=httpserver.url_for("")[:-1])
    servir_whatsapp(httpserver)
    return canal, fila, agente


def _textos(httpserver) -> list[str]:
    return [c["text"]["body"] for c in enviados(httpserver, "/messages") if c.get("type") == "text"]


def test_provedor_local_so_sugere_e_o_ticket_segue_para_a_fila(
    client, empresa, fixture_bytes, httpserver, cenario
):
    _canal, _fila, agente = cenario
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "como faço pra trocar minha senha?")
    ticket = Ticket.objects.get()
    assert ticket.automacao == ""
    assert ticket.atendente_id == agente.pk
    assert not Mensagem.objects.filter(direcao="saida").exists()
    assert _textos(httpserver) == []


@pytest.mark.parametrize(
    "texto",
    [
        "quero falar com um atendente",
        "HUMANO",
        "atendete pfv",
        "me passa pra uma pessoa de verdade",
    ],
)
def test_cliente_pede_atendente_e_o_robo_transfere(
    client, empresa, fixture_bytes, httpserver, cenario, texto
):
    _canal, fila, agente = cenario
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, texto)

    ticket = Ticket.objects.get()
    assert ticket.automacao == ""
    assert ticket.atendente_id == agente.pk  # handed to the queue's distribution
    aviso = Mensagem.objects.get(direcao="saida")
    assert aviso.remetente_tipo == Mensagem.Remetente.BOT
    assert aviso.dados["robo"] == {"transferencia": "pediu_atendente"}
    assert _textos(httpserver) == [aviso.conteudo] == ["Já chamo alguém da equipe, Sheena Nelson!"]
    linhas = Historico.objects.filter(ticket=ticket, dados__automacao="robo").order_by("criado_em")
    assert [linha.dados.get("motivo") for linha in linhas] == [None, "pediu_atendente"]
    assert linhas[1].dados["cliente_avisado"] is True
    assert f"fila {fila.nome}" in linhas[1].descricao
    # no knowledge-base answer was asked for (only the message's analysis ran)
    tarefas = [
        c["response_format"]["json_schema"]["name"]
        for c in enviados(httpserver, "/chat/completions")
    ]
    assert "resposta_base_conhecimento" not in tarefas


def test_mensagem_de_transferencia_e_editavel(client, empresa, fixture_bytes, httpserver, cenario):
    _canal, fila, _agente = cenario
    fila.mensagem_transferencia = "Um momento, vou chamar um especialista."
    fila.save()
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "atendente por favor")
    assert _textos(httpserver) == ["Um momento, vou chamar um especialista."]


def test_canal_desligado_vence_a_fila(client, empresa, fixture_bytes, httpserver, cenario):
    canal, _fila, agente = cenario
    Canal.objects.filter(pk=canal.pk).update(resposta_automatica="desligada")
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "quero falar com atendente")
    ticket = Ticket.objects.get()
    assert ticket.atendente_id == agente.pk
    assert not Historico.objects.filter(ticket=ticket, dados__automacao="robo").exists()
    assert _textos(httpserver) == []


def test_fora_do_horario_so_fora_do_expediente(client, empresa, fixture_bytes, httpserver, cenario):
    _canal, fila, agente = cenario
    fila.resposta_automatica = "fora_horario"
    fila.save()
    openai_da_empresa(empresa, httpserver)
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "humano")
    primeiro = Ticket.objects.get()
    assert not Historico.objects.filter(ticket=primeiro, dados__automacao="robo").exists()
    assert primeiro.atendente_id == agente.pk
    from atendimento.services.tickets import ticket_fechar

    ticket_fechar(ticket=primeiro, por=None)
    Ticket.objects.filter(pk=primeiro.pk).update(fechado_em=TERCA - timedelta(days=30))

    with time_machine.travel(SABADO_NOITE, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "humano")
    segundo = Ticket.objects.exclude(pk=primeiro.pk).get()
    assert Historico.objects.filter(
        ticket=segundo, dados__automacao="robo", dados__motivo="pediu_atendente"
    ).exists()


def test_atendente_que_assume_encerra_a_vez_do_robo(empresa, cenario, httpserver):
    from atendimento.services import robo
    from atendimento.services.tickets import ticket_atribuir
    from tests.factories import ContatoFactory

    canal, fila, agente = cenario
    ticket = Ticket.objects.create(
        empresa=empresa,
        canal=canal,
        fila=fila,
        contato=ContatoFactory(empresa=empresa),
        automacao="robo",
    )
    ticket_atribuir(ticket=ticket, atendente_destino=agente, por=agente)
    assert robo.responder(ticket.pk) == "nada"
    ticket.refresh_from_db()
    assert ticket.automacao == ""
    assert not Mensagem.objects.filter(ticket=ticket).exists()


def test_resposta_confiante_sai_como_do_robo(client, empresa, fixture_bytes, httpserver, cenario):
    _canal, fila, _agente = cenario
    fila.confianca_minima = 0.7
    fila.save()
    artigo = _artigo(empresa)
    openai_da_empresa(empresa, httpserver)
    texto = "Abra o app em Perfil > Segurança > Alterar senha e confirme o código do SMS."
    servir_openai(httpserver, {"respondivel": True, "resposta": texto, "fontes": [artigo]})
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "como eu troco minha senha??")

    ticket = Ticket.objects.get()
    assert ticket.automacao == "robo"
    assert ticket.atendente_id is None  # the bot keeps the conversation: not distributed
    resposta = Mensagem.objects.get(direcao="saida")
    assert resposta.remetente_tipo == Mensagem.Remetente.BOT
    assert resposta.conteudo == texto
    assert resposta.status == Mensagem.Status.ENVIADA
    assert resposta.dados["robo"]["provider"] == "openai"
    assert resposta.dados["robo"]["fontes"] == [artigo]
    assert resposta.dados["robo"]["confianca"] >= 0.7
    assert _textos(httpserver) == [texto]
    assert AIResposta.objects.get(pk=resposta.dados["robo"]["sugestao_id"]).mensagem_id == (
        resposta.pk
    )
    # the next message asks for a person: handed off
    with time_machine.travel(TERCA + timedelta(minutes=2), tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "nao deu certo, quero um atendente")
    ticket.refresh_from_db()
    assert ticket.automacao == ""
    assert ticket.atendente_id is not None
    assert len(_textos(httpserver)) == 2


def test_abaixo_da_confianca_transfere(client, empresa, fixture_bytes, httpserver, cenario):
    _canal, _fila, agente = cenario
    _artigo(empresa)
    openai_da_empresa(empresa, httpserver)
    servir_openai(httpserver, {"respondivel": False, "resposta": "", "fontes": []})
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "vcs vendem geladeira?")
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.atendente_id) == ("", agente.pk)
    assert _textos(httpserver) == ["Já chamo alguém da equipe, Sheena Nelson!"]
    linha = Historico.objects.get(ticket=ticket, dados__transferencia=True)
    assert linha.dados["motivo"] == "confianca_baixa"
    assert linha.dados["confianca"] <= 0.3
    assert linha.dados["confianca_minima"] == 0.75


def test_provedor_fora_do_ar_transfere_sem_enviar_a_resposta_offline(
    client, empresa, fixture_bytes, httpserver, cenario
):
    _canal, _fila, agente = cenario
    _artigo(empresa)
    openai_da_empresa(empresa, httpserver)
    httpserver.expect_request(OPENAI.caminho, method="POST").respond_with_data(
        "indisponível", status=503
    )
    with time_machine.travel(TERCA, tick=False):
        escrever_whatsapp(client, empresa, fixture_bytes, "como troco a senha")
    ticket = Ticket.objects.get()
    assert (ticket.automacao, ticket.atendente_id) == ("", agente.pk)
    assert _textos(httpserver) == ["Já chamo alguém da equipe, Sheena Nelson!"]
    linha = Historico.objects.get(ticket=ticket, dados__transferencia=True)
    assert linha.dados["motivo"] == "provedor_local"


def test_janela_do_whatsapp_fechada_nada_de_texto_livre(empresa, cenario, httpserver):
    from atendimento.services import robo
    from tests.factories import ContatoFactory

    canal, fila, agente = cenario
    _artigo(empresa)
    openai_da_empresa(empresa, httpserver)
    servir_openai(httpserver, {"respondivel": True, "resposta": "Resposta.", "fontes": []})
    ticket = Ticket.objects.create(
        empresa=empresa,
        canal=canal,
        fila=fila,
        contato=ContatoFactory(empresa=empresa, telefone="+5511911112222"),
        conversa_id_externo="5511911112222",
        automacao="robo",
        ultima_entrada_em=TERCA - timedelta(hours=30),
    )
    Mensagem.objects.create(
        empresa=empresa, ticket=ticket, canal=canal, direcao="entrada", conteudo="atendente",
        data=TERCA - timedelta(hours=30),
    )  # fmt: skip
    with time_machine.travel(TERCA, tick=False):
        assert robo.responder(ticket.pk) == "pediu_atendente"
    ticket.refresh_from_db()
    assert (ticket.automacao, ticket.atendente_id) == ("", agente.pk)
    assert not Mensagem.objects.filter(ticket=ticket, direcao="saida").exists()
    assert _textos(httpserver) == []
    linha = Historico.objects.get(ticket=ticket, dados__transferencia=True)
    assert linha.dados["cliente_avisado"] is False
