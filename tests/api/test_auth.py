"""JWT login/refresh with the login throttle; every endpoint of the schema answers 401 without
credentials; session auth works for the browser."""

from __future__ import annotations

import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from .conftest import API

pytestmark = pytest.mark.django_db

SENHA = "senha-forte-123"
PUBLICOS = {"/api/auth/token/", "/api/auth/token/refresh/", "/api/schema/", "/api/docs/"}


def operacoes() -> list[tuple[str, str]]:
    """(METHOD, path with ids filled) of every operation of the OpenAPI schema."""
    esquema = SchemaGenerator().get_schema(request=None, public=True)
    saida = []
    for caminho, metodos in esquema["paths"].items():
        if caminho in PUBLICOS:
            continue
        concreto = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), caminho)
        saida += [(metodo.upper(), concreto) for metodo in metodos]
    return sorted(saida)


def test_o_esquema_tem_todas_as_operacoes_do_contrato():
    caminhos = {caminho for _, caminho in operacoes()}
    modelos = {re.sub(r"[0-9a-f-]{36}", "{id}", c) for c in caminhos}

    for esperado in [
        "/api/atendimento/tickets/",
        "/api/atendimento/tickets/{id}/",
        "/api/atendimento/tickets/{id}/atribuir/",
        "/api/atendimento/tickets/{id}/transferir/",
        "/api/atendimento/tickets/{id}/fechar/",
        "/api/atendimento/tickets/{id}/reabrir/",
        "/api/atendimento/tickets/{id}/tags/",
        "/api/atendimento/tickets/{id}/mensagens/",
        "/api/atendimento/tickets/{id}/historico/",
        "/api/atendimento/tickets/{id}/analisar/",
        "/api/atendimento/tickets/{id}/sugestao-resposta/",
        "/api/atendimento/tickets/estatisticas/geral/",
        "/api/atendimento/mensagens/",
        "/api/atendimento/mensagens/{id}/",
        "/api/atendimento/mensagens/enviar/",
        "/api/atendimento/mensagens/enviar-midia/",
        "/api/atendimento/mensagens/marcar-lida/",
        "/api/atendimento/canais/{id}/ativar/",
        "/api/atendimento/canais/{id}/desativar/",
        "/api/atendimento/canais/{id}/testar/",
        "/api/atendimento/filas/{id}/atendentes/",
        "/api/atendimento/filas/{id}/atendentes/{id}/",
        "/api/atendimento/atendentes/{id}/status/",
        "/api/atendimento/atendentes/{id}/tickets/",
        "/api/atendimento/templates/",
        "/api/atendimento/tags/",
        "/api/atendimento/contatos/",
        "/api/atendimento/base-conhecimento/",
        "/api/atendimento/ia/metricas/",
    ]:
        assert esperado in modelos, esperado


@pytest.mark.parametrize(("metodo", "caminho"), operacoes())
def test_sem_credenciais_401(anonimo, metodo, caminho):
    resposta = anonimo.generic(metodo, caminho, "{}", content_type="application/json")

    assert resposta.status_code == 401, (metodo, caminho, resposta.content)
    assert resposta.json()["codigo"] == "not_authenticated"


def test_token_invalido_401(anonimo, ticket):
    anonimo.credentials(HTTP_AUTHORIZATION="Bearer nao.e.um.jwt")

    assert anonimo.get(f"{API}/tickets/").status_code == 401


def test_login_e_refresh(anonimo, admin, ticket):
    login = anonimo.post(
        "/api/auth/token/", {"username": admin.usuario.username, "password": SENHA}
    )

    assert login.status_code == 200
    tokens = login.json()
    assert set(tokens) == {"access", "refresh"}
    anonimo.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert anonimo.get(f"{API}/tickets/").json()["count"] == 1

    anonimo.credentials()
    renovado = anonimo.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert renovado.status_code == 200
    anonimo.credentials(HTTP_AUTHORIZATION=f"Bearer {renovado.json()['access']}")
    assert anonimo.get(f"{API}/tickets/").status_code == 200


def test_login_recusado(anonimo, admin):
    errado = anonimo.post(
        "/api/auth/token/", {"username": admin.usuario.username, "password": "errada"}
    )
    vazio = anonimo.post("/api/auth/token/", {})
    refresh_ruim = anonimo.post("/api/auth/token/refresh/", {"refresh": "x"})

    assert errado.status_code == 401
    assert "access" not in errado.json()
    assert vazio.status_code == 400
    assert refresh_ruim.status_code == 401


def test_login_throttle_429_depois_do_limite(anonimo, admin, settings):
    limite = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")  # counters in Redis
    credenciais = {"username": admin.usuario.username, "password": "errada"}

    respostas = [anonimo.post("/api/auth/token/", credenciais).status_code for _ in range(limite)]
    bloqueado = anonimo.post(
        "/api/auth/token/", {"username": admin.usuario.username, "password": SENHA}
    )

    assert respostas == [401] * limite
    assert bloqueado.status_code == 429
    assert "access" not in bloqueado.json()
    assert int(bloqueado["Retry-After"]) > 0


def test_throttle_so_no_login(anonimo, api_admin, ticket, settings):
    limite = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])

    codigos = {api_admin.get(f"{API}/tickets/").status_code for _ in range(limite + 2)}

    assert codigos == {200}


def test_sessao_do_navegador(client, admin, ticket):
    client.force_login(admin.usuario)

    resposta = client.get(f"{API}/tickets/")

    assert resposta.status_code == 200
    assert resposta.json()["count"] == 1


def test_sessao_exige_csrf_em_escrita(admin, ticket):
    from django.test import Client

    navegador = Client(enforce_csrf_checks=True)
    navegador.force_login(admin.usuario)

    resposta = navegador.post(
        f"{API}/tickets/{ticket.id}/fechar/", "{}", content_type="application/json"
    )

    assert resposta.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "aberto"
