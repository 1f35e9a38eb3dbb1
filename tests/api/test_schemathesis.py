"""Property-based run over the OpenAPI schema (schemathesis) against the real WSGI application
and the real test database: valid and invalid inputs for every operation, authenticated as an
admin, must never produce a 5xx, an undocumented status code, or a body that breaks the
documented response schema.

Path ids and the ids inside bodies are, half of the time, replaced by ids of existing rows, so
the actions run on real data (and not only down the 404 path).  Bounded: a few examples per
operation, no deadline, one pytest timeout for the whole run.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from atendimento.models import Atendente
from conectcrm.wsgi import application
from tests.factories import (
    AtendenteFactory,
    AtendenteFilaFactory,
    ContatoFactory,
    MensagemFactory,
    TagFactory,
    TemplateFactory,
    TicketFactory,
)

EXEMPLOS_POR_OPERACAO = 8


def sem_5xx_inesperado(ctx, response, case):
    """No 5xx, except a 503 the operation documents (the AI endpoints until the AI module
    lands; a provider that does not answer on channel activation)."""
    documentados = case.operation.definition.raw.get("responses", {})
    if response.status_code == 503 and "503" in documentados:
        return True
    return not_a_server_error(ctx, response, case)


CHECAGENS = [
    sem_5xx_inesperado,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def dados_reais(transactional_db, empresa, fila, outra_fila, admin, canal_whatsapp):
    """One row of every resource; maps a path segment or body key to an existing id."""
    from ia.models import ArtigoConhecimento

    atendente = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.ATENDENTE)
    AtendenteFilaFactory(atendente=atendente, fila=fila)
    contato = ContatoFactory(empresa=empresa)
    ticket = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, contato=contato)
    mensagem = MensagemFactory(ticket=ticket)
    tag = TagFactory(empresa=empresa)
    template = TemplateFactory(empresa=empresa)
    artigo = ArtigoConhecimento.objects.create(empresa=empresa, titulo="FAQ", conteudo="texto")
    return {
        "tickets": ticket.id,
        "mensagens": mensagem.id,
        "canais": canal_whatsapp.id,
        "filas": fila.id,
        "atendentes": atendente.id,
        "templates": template.id,
        "tags": tag.id,
        "contatos": contato.id,
        "base-conhecimento": artigo.id,
        # keys of request bodies
        "ticket_id": ticket.id,
        "atendente_id": atendente.id,
        "fila_id": outra_fila.id,
        "fila": outra_fila.id,
        "fila_padrao": fila.id,
        "canal": canal_whatsapp.id,
        "contato": contato.id,
        "template_id": template.id,
        "responder_a": mensagem.id,
    }


def _metade(valor) -> bool:
    """Deterministic coin flip per generated value (keeps Hypothesis' replay stable)."""
    return hashlib.sha256(str(valor).encode()).digest()[0] % 2 == 0


def _usar_dados_reais(case, reais: dict) -> None:
    recurso = re.match(r"/api/atendimento/([a-z-]+)/", case.path)
    if case.path_parameters and recurso and recurso.group(1) in reais:
        if "id" in case.path_parameters and _metade(case.path_parameters["id"]):
            case.path_parameters["id"] = str(reais[recurso.group(1)])
        if "atendente_id" in case.path_parameters and _metade(case.path_parameters["atendente_id"]):
            case.path_parameters["atendente_id"] = str(reais["atendente_id"])
    if isinstance(case.body, dict):
        for chave, valor in list(case.body.items()):
            if chave in reais and isinstance(valor, str) and _metade(valor):
                case.body[chave] = str(reais[chave])


# Loaded at collection from the real WSGI application (no database access: the schema view is
# public).  schemathesis' lazy ``from_fixture`` loader does not run under pytest 9.
esquema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
@esquema.parametrize()
@settings(
    max_examples=EXEMPLOS_POR_OPERACAO,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_segundo_o_esquema(case, dados_reais, admin):
    _usar_dados_reais(case, dados_reais)
    token = AccessToken.for_user(admin.usuario)

    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECAGENS)
