"""Accounting of AI calls: every call (local or external) is recorded once, by the service that
made it, into the day's ``AIMetrica`` roll-up of its empresa, provider, model and feature, with
its cost in USD (from the dated ``PrecoModeloIA`` table) and in BRL (from the dated
``CotacaoMoeda`` table).

The roll-up is one ``INSERT … ON CONFLICT DO UPDATE`` adding to the counters, so concurrent
workers never lose a call and never collide on the unique (empresa, data, provider, modelo,
funcionalidade) row. Providers themselves do not call it (that would count a call twice): the
service that asked for the generation records it with the usage the provider reported."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection
from django.utils import timezone

from atendimento.models import Empresa
from ia.models import CotacaoMoeda, PrecoModeloIA

logger = logging.getLogger(__name__)

MILHAO = Decimal(1_000_000)
CASAS = Decimal("0.0000000001")  # the roll-up's precision (10 decimal places)

#: feature names used by the services (``funcionalidade`` is free text: new features add theirs)
ANALISE = "analise_completa"
SUGESTAO = "sugestao_resposta"
RESPOSTA_AUTOMATICA = "resposta_automatica"
EMBEDDING = "embedding"


@dataclass(frozen=True)
class Custo:
    usd: Decimal
    brl: Decimal
    precificado: bool  # False when no price row covers the model (cost recorded as 0)


def preco_vigente(provider: str, modelo: str, dia: dt.date) -> PrecoModeloIA | None:
    """The price row for the model on ``dia``: the longest ``modelo`` prefix of the provider,
    latest ``vigente_desde`` on or before the day."""
    candidatos = PrecoModeloIA.objects.filter(provider=provider, vigente_desde__lte=dia).order_by(
        "-vigente_desde"
    )
    melhor: PrecoModeloIA | None = None
    for preco in candidatos:
        if not modelo.startswith(preco.modelo):
            continue
        if melhor is None or len(preco.modelo) > len(melhor.modelo):
            melhor = preco
    return melhor


def cotacao_vigente(dia: dt.date, moeda: str = "BRL") -> Decimal | None:
    valor = (
        CotacaoMoeda.objects.filter(moeda=moeda, vigente_desde__lte=dia)
        .order_by("-vigente_desde")
        .values_list("valor", flat=True)
        .first()
    )
    return valor


def calcular_custo(
    *,
    provider: str,
    modelo: str,
    dia: dt.date,
    tokens_entrada: int = 0,
    tokens_saida: int = 0,
    tokens_cache: int = 0,
) -> Custo:
    """Cost of one call. ``tokens_entrada`` are billed at the input price, ``tokens_cache``
    (input read from the provider's prompt cache, not included in ``tokens_entrada``) at the
    cache price (the input price when the row has none), ``tokens_saida`` at the output price."""
    preco = preco_vigente(provider, modelo, dia)
    if preco is None:
        if tokens_entrada or tokens_saida or tokens_cache:
            logger.warning(
                "sem preço para %s/%s em %s: custo registrado como 0", provider, modelo, dia
            )
        return Custo(Decimal(0), Decimal(0), precificado=False)
    preco_cache = preco.usd_cache_por_milhao
    if preco_cache is None:
        preco_cache = preco.usd_entrada_por_milhao
    usd = (
        Decimal(tokens_entrada) * preco.usd_entrada_por_milhao
        + Decimal(tokens_cache) * preco_cache
        + Decimal(tokens_saida) * preco.usd_saida_por_milhao
    ) / MILHAO
    cotacao = cotacao_vigente(dia)
    if cotacao is None:
        if usd:
            logger.warning("sem cotação USD→BRL em %s: custo em BRL registrado como 0", dia)
        cotacao = Decimal(0)
    return Custo(usd.quantize(CASAS), (usd * cotacao).quantize(CASAS), precificado=True)


def _fuso(empresa_id) -> ZoneInfo:
    nome = Empresa.objects.filter(pk=empresa_id).values_list("fuso_horario", flat=True).first()
    try:
        return ZoneInfo(nome or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


_UPSERT = """
INSERT INTO atendimento_ai_metricas AS m (
    id, criado_em, atualizado_em, empresa_id, data, provider, modelo, funcionalidade,
    chamadas, erros, tokens_entrada, tokens_saida, custo, custo_brl, latencia_total_ms
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s, %s, %s, %s, %s)
ON CONFLICT (empresa_id, data, provider, modelo, funcionalidade) DO UPDATE SET
    chamadas = m.chamadas + 1,
    erros = m.erros + EXCLUDED.erros,
    tokens_entrada = m.tokens_entrada + EXCLUDED.tokens_entrada,
    tokens_saida = m.tokens_saida + EXCLUDED.tokens_saida,
    custo = m.custo + EXCLUDED.custo,
    custo_brl = m.custo_brl + EXCLUDED.custo_brl,
    latencia_total_ms = m.latencia_total_ms + EXCLUDED.latencia_total_ms,
    atualizado_em = EXCLUDED.atualizado_em
"""  # the table of ia.models.AIMetrica


def registrar_chamada(
    *,
    empresa_id,
    funcionalidade: str,
    provider: str,
    modelo: str,
    tokens_entrada: int = 0,
    tokens_saida: int = 0,
    latencia_ms: int = 0,
    erro: bool = False,
    tokens_cache: int = 0,
    quando: dt.datetime | None = None,
) -> Custo:
    """Record one AI call in its day's ``AIMetrica`` row (created on the first call of the day)
    and return what it cost. ``quando`` (default now) picks the day, in the empresa's time
    zone, and the prices in force on it. A failed call (``erro``) counts as a call and an
    error, with whatever usage the provider still billed."""
    if min(tokens_entrada, tokens_saida, tokens_cache, latencia_ms) < 0:
        raise ValueError("tokens e latência não podem ser negativos")
    agora = timezone.now()
    dia = (quando or agora).astimezone(_fuso(empresa_id)).date()
    modelo = modelo or ""
    if tokens_entrada or tokens_saida or tokens_cache:
        custo = calcular_custo(
            provider=provider,
            modelo=modelo,
            dia=dia,
            tokens_entrada=tokens_entrada,
            tokens_saida=tokens_saida,
            tokens_cache=tokens_cache,
        )
    else:  # nothing billed (the offline provider): no price or quote to read
        custo = Custo(Decimal(0), Decimal(0), precificado=False)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            [
                uuid.uuid4(),
                agora,
                agora,
                empresa_id,
                dia,
                provider,
                modelo[:100],
                funcionalidade[:40],
                1 if erro else 0,
                tokens_entrada + tokens_cache,
                tokens_saida,
                custo.usd,
                custo.brl,
                int(latencia_ms),
            ],
        )
    return custo
