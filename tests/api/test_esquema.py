"""OpenAPI 3 at /api/schema/ and the interactive docs at /api/docs/, served offline (the
Swagger UI assets come from this server, not from a CDN)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_esquema_openapi_3_valido_e_sem_avisos(tmp_path):
    destino = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(destino))

    esquema = yaml.safe_load(destino.read_text())
    assert esquema["openapi"].startswith("3.")
    assert esquema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_esquema_servido(anonimo):
    resposta = anonimo.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert resposta.status_code == 200
    esquema = resposta.json()
    operacao = esquema["paths"]["/api/atendimento/tickets/{id}/transferir/"]["post"]
    corpo = operacao["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert corpo.endswith("/TransferirRequest")
    assert {"200", "400", "401", "403", "404", "422"} <= set(operacao["responses"])
    midia = esquema["paths"]["/api/atendimento/mensagens/enviar-midia/"]["post"]
    assert "multipart/form-data" in midia["requestBody"]["content"]
    assert {"413", "415"} <= set(midia["responses"])


def test_docs_interativos_com_assets_locais(anonimo):
    pagina = anonimo.get("/api/docs/")

    assert pagina.status_code == 200
    html = pagina.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts
    assert all(a.startswith("/static/") for a in scripts), scripts
    assert "cdn" not in html.lower()
    for asset in scripts:
        resposta = anonimo.get(asset)
        assert resposta.status_code == 200, asset
        conteudo = b"".join(resposta.streaming_content) if resposta.streaming else resposta.content
        assert len(conteudo) > 1000
