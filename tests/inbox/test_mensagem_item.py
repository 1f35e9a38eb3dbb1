"""The conversation's messages are written by the ``mensagem_item`` tag: the common message in
Python, any other through ``_mensagem.html``, which stays the markup's source.  Both paths
are rendered here for messages covering every branch and must give the same bytes, in
Portuguese and in English, in two time zones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import engines
from django.utils import timezone, translation

from atendimento.inbox.base import contexto_ticket
from atendimento.models import Mensagem
from atendimento.templatetags.inbox import _mensagem_comum
from tests.factories import ContatoFactory, MensagemFactory

#: the conversation as the template renders it (the loop before the tag)
PELO_TEMPLATE = (
    '{% for m in mensagens %}\n  {% include "atendimento/inbox/_mensagem.html" %}\n{% endfor %}'
)
PELA_TAG = "{% load inbox %}{% for m in mensagens %}\n  {% mensagem_item m %}\n{% endfor %}"

S, E = Mensagem.Direcao.SAIDA, Mensagem.Direcao.ENTRADA
R = Mensagem.Remetente


def _renderizar(fonte: str, contexto: dict) -> str:
    return engines["django"].from_string(fonte).render(contexto)


@pytest.fixture
def conversa(novo_ticket, empresa, atendente):
    contato = ContatoFactory(empresa=empresa, nome='<b>Zé & "Cia"</b>')
    ticket = novo_ticket(contato=contato)
    inicio = timezone.now() - timedelta(days=3)
    comuns = [
        {"conteudo": 'Olá, <tudo> bem?\nSegunda linha & "aspas"\n\nFim'},
        {"conteudo": "Sou eu", "remetente_nome": "Outro <nome>"},
        {"direcao": S, "remetente_tipo": R.ATENDENTE, "atendente": atendente, "status": "lida"},
        {"direcao": S, "remetente_tipo": R.ATENDENTE, "status": "entregue", "editada_em": inicio},
        {"direcao": S, "remetente_tipo": R.ATENDENTE, "remetente_nome": "Ana", "status": "enviada"},
        {"direcao": S, "remetente_tipo": R.ATENDENTE, "status": "pendente"},
        {"direcao": S, "remetente_tipo": R.BOT, "status": "enviada"},
        {"direcao": S, "remetente_tipo": R.SISTEMA, "status": "enviada"},
        {"direcao": E, "remetente_tipo": R.SISTEMA, "status": "recebida"},
    ]
    outras = [  # through the template
        {"direcao": S, "remetente_tipo": R.ATENDENTE, "status": "erro", "erro_detalhe": "x"},
        {"direcao": S, "status": "pendente", "erro_detalhe": "tentando", "remetente_tipo": R.BOT},
        {"tipo": Mensagem.Tipo.IMAGEM, "midia_status": "disponivel", "midia_ref": "a/b.jpg"},
        {"tipo": Mensagem.Tipo.DOCUMENTO, "midia_status": "pendente", "conteudo": ""},
        {"tipo": Mensagem.Tipo.LOCALIZACAO, "dados": {"latitude": -23.5, "longitude": -46.6}},
        {"conteudo": "novo", "dados": {"texto_completo": "novo\n> antigo"}},
        {"conteudo": "", "dados": {"html": "<p>Olá <b>mundo</b></p>"}},
        {"conteudo": "", "tipo": "desconhecido", "tipo_original": "enquete"},
    ]
    for n, campos in enumerate(comuns + outras):
        MensagemFactory(ticket=ticket, data=inicio + timedelta(hours=7 * n), **campos)
    citada = Mensagem.objects.filter(ticket=ticket).order_by("data").first()
    MensagemFactory(ticket=ticket, data=inicio + timedelta(days=2), responder_a=citada)
    return ticket, len(comuns)


@pytest.mark.parametrize("idioma", ["pt-br", "en"])
@pytest.mark.parametrize("fuso", ["America/Sao_Paulo", "UTC"])
def test_mensagens_iguais_as_do_template(conversa, atendente, idioma, fuso):
    ticket, n_comuns = conversa
    with translation.override(idioma), timezone.override(fuso):
        contexto = contexto_ticket(atendente, ticket)
        mensagens = contexto["mensagens"]
        pela_tag = _renderizar(PELA_TAG, contexto)
        pelo_template = _renderizar(PELO_TEMPLATE, contexto)

    assert len(mensagens) == n_comuns + 9
    assert sum(_mensagem_comum(m, contexto) for m in mensagens) == n_comuns  # both paths run
    assert pela_tag == pelo_template
    assert pela_tag.count("<article ") == len(mensagens)


def test_com_erro_de_acao_vai_pelo_template(conversa, atendente):
    ticket, _ = conversa
    contexto = {**contexto_ticket(atendente, ticket), "erro_acao": "Falhou <aqui>"}

    assert _renderizar(PELA_TAG, contexto) == _renderizar(PELO_TEMPLATE, contexto)
    assert "Falhou &lt;aqui&gt;" in _renderizar(PELA_TAG, contexto)
