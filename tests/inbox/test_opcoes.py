"""The options of the inbox's selects (the list's filters; the sidebar's tags, queues and
agents), read in one query: only the empresa's rows, only active queues and agents, an
agent's filter offers only their queues, in the order each select had (queues by order then
name, everything else by name)."""

from __future__ import annotations

import re

import pytest

from atendimento.models import Atendente, Tag
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    CanalFactory,
    FilaFactory,
    TagFactory,
)

from .conftest import HTMX, texto


def _opcoes(html: str, atributo: str) -> list[tuple[str, str]]:
    """(value, text) of the non-empty options of the ``<select atributo>`` of ``html``."""
    selects = re.findall(rf"<select[^>]*{atributo}[^>]*>(.*?)</select>", html, re.S)
    return [
        (valor, texto.strip())
        for corpo in selects
        for valor, texto in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', corpo)
        if valor
    ]


@pytest.fixture
def cadastros(empresa, outra_empresa, fila, atendente):
    """Rows of both empresas, active and not, named so that name order and creation order
    differ."""
    segunda = FilaFactory(empresa=empresa, nome="Atacado", ordem=5)
    terceira = FilaFactory(empresa=empresa, nome="Balcão", ordem=5)
    FilaFactory(empresa=empresa, nome="Antiga", ativo=False)
    FilaFactory(empresa=outra_empresa, nome="Fila alheia")
    AtendenteFilaFactory(atendente=atendente, fila=terceira)
    tags = [TagFactory(empresa=empresa, nome=n) for n in ("zebra", "Ábaco", "meio")]
    TagFactory(empresa=outra_empresa, nome="tag alheia")
    canais = [
        CanalFactory(empresa=empresa, nome="Whats Loja"),
        CanalFactory(empresa=empresa, nome="Bot", telegram=True),
    ]
    CanalFactory(empresa=outra_empresa, nome="Canal alheio")
    AtendenteFactory(empresa=empresa, nome="Zuleica", status=Atendente.Status.OCUPADO)
    AtendenteFactory(empresa=empresa, nome="Inativo", ativo=False)
    AtendenteFactory(empresa=outra_empresa, nome="Agente alheio")
    return {"filas": [fila, segunda, terceira], "tags": tags, "canais": canais}


def _nomes(html: str, atributo: str) -> list[str]:
    return [nome for _, nome in _opcoes(html, atributo)]


def _ordem_do_banco(modelo, empresa, *ordem: str, **filtro) -> list[str]:
    """Names in the database's order (its collation decides where "Ábaco" goes)."""
    linhas = modelo.objects.filter(empresa=empresa, **filtro).order_by(*ordem)
    return list(linhas.values_list("nome", flat=True))


def test_filtros_da_lista(cliente_de, empresa, supervisor, atendente, cadastros, fila):
    html = texto(cliente_de(supervisor).get("/inbox/?aba=todos"))
    # by order, then name (the fixture's "Suporte" has order 0)
    assert _nomes(html, 'name="fila"') == ["Suporte", "Atacado", "Balcão"]
    tags = _ordem_do_banco(Tag, empresa, "nome")
    assert len(tags) == 3
    assert _nomes(html, 'name="tag"') == tags
    esperados = sorted(cadastros["canais"], key=lambda c: c.nome)
    assert _opcoes(html, 'name="canal"') == [
        (str(c.id), f"{c.nome} ({c.get_tipo_display()})") for c in esperados
    ]
    for alheio in ("alheia", "alheio", "Antiga"):
        assert alheio not in html

    # an agent filters by their own queues only
    html = texto(cliente_de(atendente).get("/inbox/"))
    assert _nomes(html, 'name="fila"') == ["Suporte", "Balcão"]
    assert _nomes(html, 'name="tag"') == tags


def test_opcoes_da_lateral(cliente_de, empresa, supervisor, atendente, cadastros, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    ticket.tags.add(cadastros["tags"][2])
    html = texto(cliente_de(supervisor).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert _nomes(html, 'id="transferir-fila"') == ["Suporte", "Atacado", "Balcão"]
    # the ticket's own tag ("meio") is not offered again
    tags = [n for n in _ordem_do_banco(Tag, empresa, "nome") if n != "meio"]
    assert (
        _nomes(html, 'id="tag-adicionar"') == tags == [t for t in tags if t in ("zebra", "Ábaco")]
    )
    ativos = _ordem_do_banco(Atendente, empresa, "nome", ativo=True)
    assert "Zuleica" in ativos
    assert "Inativo" not in ativos
    assert _nomes(html, 'id="transferir-atendente"') == ativos
    rotulos = {a.nome: a.get_status_display() for a in Atendente.objects.filter(empresa=empresa)}
    assert _nomes(html, 'id="atribuir-atendente"') == [f"{n} · {rotulos[n]}" for n in ativos]
    assert "Zuleica · Ocupado" in _nomes(html, 'id="atribuir-atendente"')
    for alheio in ("alheia", "alheio", "Antiga"):
        assert alheio not in html
