"""One language at a time: the main pages (login, inbox list, a conversation with its sidebar,
the admin index and every registered model's list and forms) rendered in English show no string
of the Portuguese source, and rendered in Portuguese show no string of the English catalogue;
dates and numbers follow the active language; the header's switch changes it.

The "strings of the other language" are the catalogue's own (``locale/en``), so new pages and
new strings are covered once they are in the catalogue (``tests/i18n/test_catalogo.py``
checks that every string of the code is)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from django.contrib import admin as admin_django
from django.test import Client
from django.urls import NoReverseMatch, reverse

from atendimento.models import Atendente, Mensagem, Ticket
from canais import services as canais_services
from ia.models import AIInsight
from tests.factories import (
    AtendenteFactory,
    FilaFactory,
    MensagemFactory,
    TagFactory,
    TicketFactory,
    UsuarioFactory,
)

from .test_catalogo import PO

PONTUACAO = " .:;,\u2014\u2013-\u2026()\u201c\u201d\"'#/"
#: a catalogue string this long is looked for inside text; a shorter one must be a whole text
LONGA = 20
IDIOMAS = {"en": "en", "pt-br": "pt-br"}


def _catalogo() -> list[tuple[str, str]]:
    with PO.open("rb") as arquivo:
        catalogo = read_po(arquivo)
    pares = []
    for m in catalogo:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        textos = m.string if isinstance(m.string, tuple) else (m.string,)
        pares += list(zip(ids, textos, strict=False))
    return pares


def _proibidas(idioma: str) -> list[str]:
    """Strings of the other language that cannot appear in a page in ``idioma``."""
    pares = _catalogo()
    portugues = {p for o, _t in pares for p in _pedacos(o)}
    ingles = {p for _o, t in pares for p in _pedacos(t)}
    outra, esta = (portugues, ingles) if idioma == "en" else (ingles, portugues)
    mesmas = {p.casefold() for p in esta}
    return sorted(p for p in outra if p.casefold() not in mesmas)


def _pedacos(texto: str) -> list[str]:
    """The pieces a page shows literally: placeholders split a string."""
    pedacos = []
    for pedaco in re.split(r"%%?(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdif]", texto):
        pedaco = pedaco.strip(PONTUACAO)
        if len(re.findall(r"[^\W\d_]", pedaco)) >= 3:
            pedacos.append(pedaco)
    return pedacos


class _Visivel(HTMLParser):
    """Text nodes and visible attributes; a subtree in another ``lang`` is left out (the
    language switch names each language in its own)."""

    ATRIBUTOS = {"title", "placeholder", "aria-label", "alt"}
    #: Django's admin writes a boolean icon's alt as the Python value, in every language
    ICONES_DO_ADMIN = {"True", "False", "None"}
    VAZIOS = {"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col", "area", "base"}

    def __init__(self, idioma: str) -> None:
        super().__init__(convert_charrefs=True)
        self.idioma = idioma
        self.textos: list[str] = []
        self.pilha: list[tuple[str, bool]] = []

    def _fora(self) -> bool:
        return any(fora for _tag, fora in self.pilha)

    def handle_starttag(self, tag, attrs):
        valores = dict(attrs)
        outro = bool(valores.get("lang")) and valores["lang"].lower() != self.idioma
        fora = outro or tag in ("script", "style", "template", "code", "pre", "kbd", "samp")
        if not (fora or self._fora()):
            for nome, valor in attrs:
                if nome == "alt" and valor in self.ICONES_DO_ADMIN:
                    continue
                if valor and (nome in self.ATRIBUTOS or nome.startswith("data-texto")):
                    self.textos.append(valor)
                if nome == "value" and tag in ("button",) and valor:
                    pass
        if tag not in self.VAZIOS:
            self.pilha.append((tag, fora))

    def handle_endtag(self, tag):
        while self.pilha:
            aberta, _fora = self.pilha.pop()
            if aberta == tag:
                break

    def handle_data(self, data):
        if not self._fora() and data.strip():
            self.textos.append(data)


def textos_visiveis(html: str, idioma: str) -> list[str]:
    leitor = _Visivel(idioma)
    leitor.feed(html)
    return [" ".join(t.split()) for t in leitor.textos]


def strings_da_outra_lingua(html: str, idioma: str) -> list[str]:
    textos = textos_visiveis(html, idioma)
    inteiros = {t.strip(PONTUACAO).casefold() for t in textos}
    corrido = "\n".join(textos).casefold()
    achadas = []
    for proibida in _proibidas(idioma):
        chave = proibida.casefold()
        if chave in inteiros or (len(proibida) >= LONGA and chave in corrido):
            achadas.append(proibida)
    return achadas


# ------------------------------------------------------------------------------ the pages
SABADO = datetime(2026, 12, 5, 13, 30, tzinfo=UTC)


@pytest.fixture
def fila(empresa):
    """A queue named by its users: data, not a word of the interface (the shared fixture's
    "Suporte" is also an AI intent label of the catalogue)."""
    return FilaFactory(empresa=empresa, nome="Fila Alfa")


@pytest.fixture
def gestor(empresa, fila):
    """A tenant administrator who also uses the admin (staff)."""
    usuario = UsuarioFactory(is_staff=True)
    atendente = AtendenteFactory(
        empresa=empresa, usuario=usuario, papel=Atendente.Papel.ADMIN, nome="Ana Admin"
    )
    return atendente


@pytest.fixture
def ticket_completo(empresa, fila, canal_whatsapp, gestor):
    ticket = TicketFactory(
        empresa=empresa,
        canal=canal_whatsapp,
        fila=fila,
        atendente=gestor,
        status=Ticket.Status.EM_ATENDIMENTO,
        prioridade=Ticket.Prioridade.ALTA,
        ultima_mensagem_em=SABADO,
    )
    ticket.tags.add(TagFactory(empresa=empresa, nome="vip"))
    MensagemFactory(ticket=ticket, data=SABADO, conteudo="Hello")
    MensagemFactory(
        ticket=ticket,
        data=SABADO,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo="atendente",
        atendente=gestor,
        status=Mensagem.Status.ERRO,
        conteudo="Hi",
        erro_codigo="131047",
    )
    AIInsight.objects.create(
        empresa=empresa,
        ticket=ticket,
        tipo=AIInsight.Tipo.SENTIMENTO,
        sentimento="neutro",
        sentimento_score=0.85,
        provider="local",
    )
    TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila)  # waiting, unassigned
    return ticket


@pytest.fixture
def webchat(empresa, fila):
    """The website chat's page (its texts for chat.js included, in data-texto-*)."""
    canal = canais_services.canal_criar(
        empresa=empresa,
        tipo="webchat",
        nome="Loja Alfa",
        config={"origens_permitidas": "https://loja.exemplo"},
        fila_padrao=fila,
    )
    return canais_services.canal_ativar(canal=canal, url_webhook="https://desk/webhook")


def _cliente(idioma: str, usuario=None) -> Client:
    cliente = Client(HTTP_ACCEPT_LANGUAGE=idioma)
    if usuario is not None:
        cliente.force_login(usuario)
    return cliente


def _paginas_do_admin(cliente: Client) -> list[str]:
    urls = [reverse("admin:index")]
    for modelo in admin_django.site._registry:
        info = (modelo._meta.app_label, modelo._meta.model_name)
        try:
            lista = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        urls.append(lista)
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        primeiro = modelo._default_manager.order_by("pk").first()
        if primeiro is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[primeiro.pk]))
    return urls


def _verificar(cliente: Client, url: str, idioma: str) -> str:
    resposta = cliente.get(url)
    assert resposta.status_code in (200, 403, 404), (url, resposta.status_code)
    html = resposta.content.decode()
    if resposta.status_code != 403:
        assert f'<html lang="{idioma}"' in html, url
    assert strings_da_outra_lingua(html, idioma) == [], f"{url} em {idioma}"
    return html


@pytest.mark.parametrize("idioma", IDIOMAS)
def test_paginas_principais_em_uma_lingua_so(idioma, gestor, ticket_completo, webchat):
    anonimo = _cliente(idioma)
    _verificar(anonimo, "/accounts/login/", idioma)

    cliente = _cliente(idioma, gestor.usuario)
    for aba in ("", "?aba=meus", "?aba=fila", "?aba=todos&status=fechados", "?q=nada-de-nada"):
        _verificar(cliente, f"/inbox/{aba}", idioma)
    _verificar(cliente, f"/inbox/tickets/{ticket_completo.id}/", idioma)
    _verificar(cliente, "/inbox/tickets/00000000-0000-0000-0000-000000000000/", idioma)

    _verificar(cliente, "/dashboard/", idioma)
    _verificar(cliente, "/inbox/notificacoes/preferencias/", idioma)
    html = _verificar(anonimo, f"/chat/{webchat.identificador}/embed/", idioma)
    assert 'data-texto-nao-iniciou="' in html

    paginas = _paginas_do_admin(cliente)
    assert len(paginas) > 10
    for url in paginas:
        _verificar(cliente, url, idioma)


def test_datas_e_numeros_no_idioma_ativo(gestor, ticket_completo):
    url = f"/inbox/tickets/{ticket_completo.id}/"
    ingles = " ".join(
        textos_visiveis(_cliente("en", gestor.usuario).get(url).content.decode(), "en")
    )
    portugues = " ".join(
        textos_visiveis(_cliente("pt-br", gestor.usuario).get(url).content.decode(), "pt-br")
    )

    assert "Saturday, Dec. 5, 2026" in ingles
    assert "sábado, 5 de dezembro de 2026" in portugues.casefold()
    assert "(0.85)" in ingles
    assert "(0,85)" in portugues


def test_erro_da_api_no_idioma_do_cliente(gestor):
    url = "/api/atendimento/tickets/00000000-0000-0000-0000-000000000000/"
    assert _cliente("en", gestor.usuario).get(url).json()["detail"] == "Ticket not found."
    assert _cliente("pt-br", gestor.usuario).get(url).json()["detail"] == "Ticket não encontrado."


def test_seletor_de_idioma_no_cabecalho_troca_o_idioma(gestor, ticket_completo):
    cliente = _cliente("pt-br", gestor.usuario)
    html = cliente.get("/inbox/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="en"' in html

    resposta = cliente.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})

    assert resposta.status_code == 302
    assert resposta["Location"] == "/inbox/"
    html = cliente.get("/inbox/").content.decode()
    assert '<html lang="en"' in html
    assert ">Inbox · ConectCRM</title>" in html
    assert 'name="language" value="pt-br"' in html
    assert strings_da_outra_lingua(html, "en") == []


def test_detector_acha_texto_da_outra_lingua():
    """The check itself: Portuguese left in an English page (and the reverse) is found."""
    assert strings_da_outra_lingua("<p>Nenhum ticket aqui. Tudo em dia.</p>", "en") == [
        "Nenhum ticket aqui. Tudo em dia"
    ]
    assert strings_da_outra_lingua('<button title="Fechar ticket">x</button>', "en") == [
        "Fechar ticket"
    ]
    assert strings_da_outra_lingua("<p>Close ticket</p>", "pt-br") == ["Close ticket"]
    assert strings_da_outra_lingua('<button lang="en">English</button>', "pt-br") == []
