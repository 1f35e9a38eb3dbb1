"""AI usage of an empresa for ``ia/metricas/`` and the dashboard: calls, errors, tokens, cost
in USD and BRL (the daily ``AIMetrica`` roll-ups) and what the agents did with the suggested
replies (``AIResposta.resultado``), per day, provider and feature."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from atendimento.models import Atendente
from atendimento.selectors.acesso import da_empresa
from atendimento.selectors.cadastros import fuso_da_empresa
from ia.models import AIMetrica, AIResposta

Resultado = AIResposta.Resultado

_SOMAS = {
    "chamadas": Sum("chamadas"),
    "erros": Sum("erros"),
    "tokens_entrada": Sum("tokens_entrada"),
    "tokens_saida": Sum("tokens_saida"),
    "custo": Sum("custo"),
    "custo_brl": Sum("custo_brl"),
    "latencia_total_ms": Sum("latencia_total_ms"),
}
_DESFECHOS = {
    "aceitas": Count("id", filter=Q(resultado=Resultado.ACEITA)),
    "editadas": Count("id", filter=Q(resultado=Resultado.EDITADA)),
    "rejeitadas": Count("id", filter=Q(resultado=Resultado.REJEITADA)),
}


def metricas_ia(
    *,
    atendente: Atendente,
    de: date,
    ate: date,
    provider: str = "",
    funcionalidade: str = "",
) -> dict[str, Any]:
    """Totals, rows per (day, provider) and rows per (day, provider, feature) in [de, ate]
    (days of the empresa's calendar)."""
    linhas = da_empresa(AIMetrica.objects, atendente).filter(data__gte=de, data__lte=ate)
    fuso = fuso_da_empresa(atendente)
    respostas = da_empresa(AIResposta.objects, atendente).filter(
        criado_em__gte=datetime.combine(de, time.min, tzinfo=fuso),
        criado_em__lte=datetime.combine(ate, time.max, tzinfo=fuso),
    )
    if provider:
        linhas = linhas.filter(provider=provider)
        respostas = respostas.filter(provider=provider)
    if funcionalidade:
        linhas = linhas.filter(funcionalidade=funcionalidade)
        respostas = respostas.filter(funcionalidade=funcionalidade)
    respostas = respostas.annotate(data=TruncDate("criado_em", tzinfo=fuso))

    def agrupar(campos: tuple[str, ...]) -> list[dict[str, Any]]:
        uso = linhas.values(*campos).annotate(**_SOMAS)
        desfechos = respostas.values(*campos).annotate(**_DESFECHOS)
        juntos: dict[tuple, dict[str, Any]] = defaultdict(dict)
        for linha in uso:
            juntos[tuple(linha[c] for c in campos)].update(linha)
        for linha in desfechos:
            juntos[tuple(linha[c] for c in campos)].update(linha)
        return [
            {**dict(zip(campos, chave, strict=True)), **_metrica(juntos[chave])}
            for chave in sorted(juntos)
        ]

    total = {**linhas.aggregate(**_SOMAS), **respostas.aggregate(**_DESFECHOS)}
    return {
        "de": de,
        "ate": ate,
        "total": _metrica(total),
        "resultados": agrupar(("data", "provider")),
        "por_funcionalidade": agrupar(("data", "provider", "funcionalidade")),
    }


def _metrica(linha: dict[str, Any]) -> dict[str, Any]:
    chamadas = linha.get("chamadas") or 0
    aceitas, editadas = linha.get("aceitas") or 0, linha.get("editadas") or 0
    rejeitadas = linha.get("rejeitadas") or 0
    avaliadas = aceitas + editadas + rejeitadas
    return {
        "chamadas": chamadas,
        "erros": linha.get("erros") or 0,
        "tokens_entrada": linha.get("tokens_entrada") or 0,
        "tokens_saida": linha.get("tokens_saida") or 0,
        "custo": linha.get("custo") or Decimal(0),
        "custo_brl": linha.get("custo_brl") or Decimal(0),
        "latencia_media_ms": round((linha.get("latencia_total_ms") or 0) / chamadas, 1)
        if chamadas
        else None,
        "aceitas": aceitas,
        "editadas": editadas,
        "rejeitadas": rejeitadas,
        "taxa_aceitacao": round((aceitas + editadas) / avaliadas, 4) if avaliadas else None,
    }
