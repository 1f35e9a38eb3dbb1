"""Readable one-line summaries of shared locations and contacts, the same on every channel
(the message's ``conteudo`` when the provider sends structured data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def resumo_localizacao(dados: Mapping[str, Any]) -> str:
    rotulo = " — ".join(p for p in (dados.get("nome"), dados.get("endereco")) if p)
    coordenadas = f"({dados.get('latitude')}, {dados.get('longitude')})"
    return f"📍 {rotulo} {coordenadas}" if rotulo else f"📍 {coordenadas}"


def resumo_contatos(contatos: list[Mapping[str, Any]]) -> str:
    partes = []
    for c in contatos:
        numeros = ", ".join(t["numero"] for t in c["telefones"] if t.get("numero"))
        partes.append(f"{c['nome']} ({numeros})" if numeros else c["nome"])
    return "👤 " + "; ".join(partes)
