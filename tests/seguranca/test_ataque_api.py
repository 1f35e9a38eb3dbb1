"""The API driven from outside (a live HTTP server, JWT over the wire) as an attacker would:

- every id-carrying field of every writable operation, given another empresa's row → 404 and
  nothing written anywhere;
- every operation with another empresa's id in the URL → 404, nothing written;
- an agent (atendente) on every supervisor operation → 403, nothing written;
- malformed and oversized bodies on every writable operation → 400 / 413, nothing written.

The operations come from the OpenAPI schema itself: a new endpoint with an id field that this
module does not know how to exercise fails :func:`test_toda_operacao_de_escrita_esta_coberta`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
import requests
from django.apps import apps
from django.db.models import Max
from drf_spectacular.generators import SchemaGenerator
from rest_framework_simplejwt.tokens import AccessToken

from atendimento.models import Atendente, Mensagem
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    CanalFactory,
    ContatoFactory,
    EmpresaFactory,
    FilaFactory,
    MensagemFactory,
    TagFactory,
    TemplateFactory,
    TicketFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PREFIXO = "/api/atendimento/"
#: request bodies of other content types, or with no id fields, exercised elsewhere
SEM_CORPO_JSON = {("POST", "/api/atendimento/mensagens/enviar-midia/")}
PUBLICAS = {"/api/auth/token/", "/api/auth/token/refresh/"}
#: operations an atendente may call (everything else that writes is for supervisors/admins)
DO_ATENDENTE = re.compile(
    r"^/api/atendimento/(mensagens/(?!enviar-lote/)|tickets/(\{id\}/(atribuir|transferir|fechar|reabrir|tags|"
    r"analisar|sugestao-resposta/descartar)/)?$|tickets/\{id\}/$|atendentes/\{id\}/status/|contatos/)"
)


@dataclass
class Empresa:
    empresa: object
    admin: Atendente
    atendente: Atendente
    outro_atendente: Atendente
    fila: object
    canal: object
    contato: object
    ticket: object
    mensagem: Mensagem
    tag: object
    template: object
    artigo: object
    lote: object
    sugestao: object


def _montar(nome: str) -> Empresa:
    from atendimento.models import EnvioLote
    from ia.models import AIResposta, ArtigoConhecimento

    empresa = EmpresaFactory(nome=nome)
    fila = FilaFactory(empresa=empresa)
    admin = AtendenteFactory(empresa=empresa, papel="admin")
    atendente = AtendenteFactory(empresa=empresa, papel="atendente")
    outro = AtendenteFactory(empresa=empresa, papel="atendente")
    for a in (atendente, outro):
        AtendenteFilaFactory(atendente=a, fila=fila)
    canal = CanalFactory(empresa=empresa, fila_padrao=fila)
    contato = ContatoFactory(empresa=empresa)
    ticket = TicketFactory(empresa=empresa, canal=canal, contato=contato, fila=fila)
    mensagem = MensagemFactory(ticket=ticket)
    artigo = ArtigoConhecimento.objects.create(
        empresa=empresa, titulo="Prazo de entrega", conteudo="Entregamos em até 5 dias úteis."
    )
    return Empresa(
        empresa=empresa,
        admin=admin,
        atendente=atendente,
        outro_atendente=outro,
        fila=fila,
        canal=canal,
        contato=contato,
        ticket=ticket,
        mensagem=mensagem,
        tag=TagFactory(empresa=empresa),
        template=TemplateFactory(empresa=empresa),
        artigo=artigo,
        lote=EnvioLote.objects.create(
            empresa=empresa, canal=canal, conteudo="Aviso", taxa_por_segundo=1.0, total=0
        ),
        sugestao=AIResposta.objects.create(
            empresa=empresa, ticket=ticket, pergunta="?", resposta="Em 5 dias.", provider="local"
        ),
    )


@pytest.fixture
def mundo():
    return _montar("Loja A"), _montar("Loja B")


def _alvos(e: Empresa) -> dict[str, object]:
    """What an id field of that name points at, in empresa ``e``."""
    return {
        "canal": str(e.canal.pk),
        "fila": str(e.fila.pk),
        "fila_padrao": str(e.fila.pk),
        "fila_id": str(e.fila.pk),
        "atendente_id": str(e.outro_atendente.pk),
        "ticket_id": str(e.ticket.pk),
        "template_id": str(e.template.pk),
        "responder_a": str(e.mensagem.pk),
        "sugestao_id": str(e.sugestao.pk),
        "mensagem_ids": [str(e.mensagem.pk)],
        "adicionar": [str(e.tag.pk)],
        "remover": [str(e.tag.pk)],
        "filas": [str(e.fila.pk)],
        "contato": str(e.contato.pk),
        "contatos": [str(e.contato.pk)],
    }


def _recurso(e: Empresa, caminho: str) -> str:
    """The id that fills ``{id}`` in a path, from empresa ``e``."""
    recurso = caminho.removeprefix(PREFIXO).split("/")[0]
    return str(
        {
            "atendentes": e.outro_atendente,
            "base-conhecimento": e.artigo,
            "canais": e.canal,
            "contatos": e.contato,
            "filas": e.fila,
            "lotes": e.lote,
            "tags": e.tag,
            "templates": e.template,
            "tickets": e.ticket,
        }[recurso].pk
    )


def _base(metodo: str, caminho: str, a: Empresa, campo: str = "") -> dict:
    """A valid body for the operation in empresa A (the control: it must not answer 404)."""
    n = uuid.uuid4().hex[:8]
    if caminho.endswith("marcar-lida/"):  # either a ticket or messages, not both
        corpo = {"ticket_id": str(a.ticket.pk), "mensagem_ids": [str(a.mensagem.pk)]}
        return {campo or "ticket_id": corpo[campo or "ticket_id"]}
    corpos = {
        ("POST", "atendentes/"): {"username": f"u{n}", "password": "Senha-forte-9", "nome": "X",
                                  "papel": "atendente", "filas": [str(a.fila.pk)]},
        ("PUT", "atendentes/{id}/"): {"nome": "X", "papel": "atendente", "capacidade": 5,
                                      "ativo": True, "filas": [str(a.fila.pk)]},
        ("PATCH", "atendentes/{id}/"): {"filas": [str(a.fila.pk)]},
        ("POST", "canais/"): {"tipo": "telegram", "nome": "T", "fila_padrao": str(a.fila.pk),
                              "config": {"bot_token": f"1{n}:x", "webhook_secret": f"s{n}"}},
        ("PUT", "canais/{id}/"): {"nome": "W", "config": {}, "fila_padrao": str(a.fila.pk)},
        ("PATCH", "canais/{id}/"): {"fila_padrao": str(a.fila.pk)},
        ("POST", "filas/{id}/atendentes/"): {"atendente_id": str(a.outro_atendente.pk)},
        ("POST", "mensagens/enviar-lote/"): {"canal": str(a.canal.pk), "conteudo": "oi",
                                             "contatos": [str(a.contato.pk)],
                                             "template_id": str(a.template.pk)},
        ("POST", "mensagens/enviar/"): {"ticket_id": str(a.ticket.pk), "conteudo": "oi",
                                        "responder_a": str(a.mensagem.pk),
                                        "template_id": str(a.template.pk),
                                        "sugestao_id": str(a.sugestao.pk)},
        ("POST", "tickets/{id}/sugestao-resposta/descartar/"): {
            "sugestao_id": str(a.sugestao.pk)},
        ("POST", "templates/"): {"nome": f"T{n}", "atalho": f"/t{n}", "conteudo": "Oi",
                                 "fila": str(a.fila.pk)},
        ("PUT", "templates/{id}/"): {"nome": f"T{n}", "atalho": f"/t{n}", "conteudo": "Oi",
                                     "fila": str(a.fila.pk)},
        ("PATCH", "templates/{id}/"): {"fila": str(a.fila.pk)},
        ("POST", "tickets/"): {"canal": str(a.canal.pk), "contato": str(a.contato.pk),
                               "fila": str(a.fila.pk)},
        ("POST", "tickets/{id}/atribuir/"): {"atendente_id": str(a.outro_atendente.pk)},
        ("POST", "tickets/{id}/tags/"): {"adicionar": [str(a.tag.pk)],
                                         "remover": [str(a.tag.pk)]},
        ("POST", "tickets/{id}/transferir/"): {"fila_id": str(a.fila.pk),
                                               "atendente_id": str(a.outro_atendente.pk)},
    }  # fmt: skip
    return corpos.get((metodo, caminho.removeprefix(PREFIXO)), {})


def _operacoes() -> list[tuple[str, str, set[str]]]:
    """(METHOD, templated path, names of the body's writable properties) of every write."""
    esquema = SchemaGenerator().get_schema(request=None, public=True)
    componentes = esquema["components"]["schemas"]
    saida = []
    for caminho, metodos in esquema["paths"].items():
        if caminho in PUBLICAS:
            continue
        for metodo, operacao in metodos.items():
            if metodo == "get":
                continue
            conteudo = operacao.get("requestBody", {}).get("content", {})
            ref = conteudo.get("application/json", {}).get("schema", {}).get("$ref", "")
            propriedades = componentes[ref.split("/")[-1]].get("properties", {}) if ref else {}
            nomes = {k for k, v in propriedades.items() if not v.get("readOnly")}
            saida.append((metodo.upper(), caminho, nomes))
    return sorted(saida)


def _concreto(caminho: str, e: Empresa) -> str:
    caminho = caminho.replace("{atendente_id}", str(e.outro_atendente.pk))
    return caminho.replace("{id}", _recurso(e, caminho)) if "{id}" in caminho else caminho


def instantaneo() -> dict[str, tuple]:
    """Row count and newest change of every table of ours: equal before/after = nothing written."""
    foto = {}
    for modelo in apps.get_models():
        if modelo._meta.app_label not in ("atendimento", "canais", "ia"):
            continue
        campos = {f.name for f in modelo._meta.concrete_fields}
        mais_novo = "atualizado_em" if "atualizado_em" in campos else None
        qs = modelo._base_manager.all()
        foto[modelo._meta.label] = (
            qs.count(),
            qs.aggregate(m=Max(mais_novo))["m"] if mais_novo else None,
        )
    return foto


class Cliente:
    def __init__(self, base: str, atendente: Atendente) -> None:
        self.base = base
        self.sessao = requests.Session()
        token = AccessToken.for_user(atendente.usuario)
        self.sessao.headers["Authorization"] = f"Bearer {token}"

    def chamar(self, metodo: str, caminho: str, **kwargs) -> requests.Response:
        return self.sessao.request(metodo, self.base + caminho, timeout=30, **kwargs)


def test_toda_operacao_de_escrita_esta_coberta(mundo):
    a, _b = mundo
    conhecidos = set(_alvos(a))
    faltando = []
    for metodo, caminho, nomes in _operacoes():
        if (metodo, caminho) in SEM_CORPO_JSON:
            continue
        ids = nomes & conhecidos
        if ids and not _base(metodo, caminho, a):
            faltando.append(f"{metodo} {caminho} ({', '.join(sorted(ids))})")
        suspeitos = {n for n in nomes if n.endswith(("_id", "_ids"))} - conhecidos
        if suspeitos:
            faltando.append(f"{metodo} {caminho}: campos de id sem alvo {sorted(suspeitos)}")
    assert not faltando, "operações sem cenário de ataque:\n" + "\n".join(faltando)


def test_ids_de_outra_empresa_no_corpo_404_sem_escrever(mundo, live_server):
    a, b = mundo
    cliente = Cliente(live_server.url, a.admin)
    alvos_b = _alvos(b)
    falhas = []
    for metodo, caminho, nomes in _operacoes():
        for campo in sorted(nomes & set(alvos_b)):
            base = _base(metodo, caminho, a, campo)
            if not base:
                continue
            antes = instantaneo()
            resposta = cliente.chamar(
                metodo, _concreto(caminho, a), json={**base, campo: alvos_b[campo]}
            )
            depois = instantaneo()
            if resposta.status_code != 404:
                falhas.append(f"{metodo} {caminho} {campo}={resposta.status_code}")
            elif antes != depois:
                falhas.append(f"{metodo} {caminho} {campo}: escreveu algo")
    assert not falhas, "\n".join(falhas)


def test_ids_de_outra_empresa_na_url_404_sem_escrever(mundo, live_server):
    a, b = mundo
    cliente = Cliente(live_server.url, a.admin)
    falhas = []
    for metodo, caminho, _nomes in _operacoes():
        if "{" not in caminho:
            continue
        antes = instantaneo()
        resposta = cliente.chamar(metodo, _concreto(caminho, b), json=_base(metodo, caminho, a))
        if resposta.status_code != 404:
            falhas.append(f"{metodo} {caminho}: {resposta.status_code}")
        elif instantaneo() != antes:
            falhas.append(f"{metodo} {caminho}: escreveu algo")
    assert not falhas, "\n".join(falhas)


def test_atendente_nas_operacoes_de_supervisor_403(mundo, live_server):
    a, _b = mundo
    cliente = Cliente(live_server.url, a.atendente)
    falhas, testadas = [], 0
    for metodo, caminho, _nomes in _operacoes():
        if DO_ATENDENTE.match(caminho):
            continue
        testadas += 1
        antes = instantaneo()
        resposta = cliente.chamar(metodo, _concreto(caminho, a), json=_base(metodo, caminho, a))
        if resposta.status_code != 403:
            falhas.append(f"{metodo} {caminho}: {resposta.status_code}")
        elif instantaneo() != antes:
            falhas.append(f"{metodo} {caminho}: escreveu algo")
    assert testadas > 20
    assert not falhas, "\n".join(falhas)


def test_corpos_malformados_e_enormes(mundo, live_server, settings):
    a, _b = mundo
    cliente = Cliente(live_server.url, a.admin)
    enorme = b'{"conteudo": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024) + b'"}'
    falhas = []
    for metodo, caminho, nomes in _operacoes():
        if not nomes or (metodo, caminho) in SEM_CORPO_JSON:
            continue
        url = _concreto(caminho, a)
        cabecalho = {"Content-Type": "application/json"}
        for corpo, esperado in ((b'{"nome": ', 400), (b"\xff\xfe\x00", 400), (enorme, 413)):
            antes = instantaneo()
            resposta = cliente.chamar(metodo, url, data=corpo, headers=cabecalho)
            if resposta.status_code != esperado:
                falhas.append(f"{metodo} {caminho} [{len(corpo)} B]: {resposta.status_code}")
            elif "detail" not in resposta.json():
                falhas.append(f"{metodo} {caminho}: erro sem detail")
            elif instantaneo() != antes:
                falhas.append(f"{metodo} {caminho}: escreveu algo")
    assert not falhas, "\n".join(falhas)
