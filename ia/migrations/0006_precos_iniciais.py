"""Seed the price table and the dollar rate; both are edited in the admin from then on."""

from datetime import date
from decimal import Decimal

from django.db import migrations

# (provider, modelo, vigente_desde, USD/1M in, USD/1M cached in, USD/1M out, source)
PRECOS = [
    ("local", "", date(2024, 1, 1), "0", None, "0", "modelos locais: sem custo por token"),
    ("openai", "gpt-4o-mini", date(2024, 7, 18), "0.15", "0.075", "0.60", "OpenAI pricing"),
    ("openai", "gpt-4.1-mini", date(2025, 4, 14), "0.40", "0.10", "1.60", "OpenAI pricing"),
    (
        "anthropic",
        "claude-3-5-haiku",
        date(2024, 11, 4),
        "0.80",
        "0.08",
        "4.00",
        "Anthropic pricing",
    ),
    (
        "anthropic",
        "claude-haiku-4-5",
        date(2025, 10, 15),
        "1.00",
        "0.10",
        "5.00",
        "Anthropic pricing",
    ),
]
COTACAO_BRL = (date(2024, 1, 1), "5.35", "valor inicial; atualize no admin")


def semear(apps, schema_editor):
    Preco = apps.get_model("ia", "PrecoModeloIA")
    Cotacao = apps.get_model("ia", "CotacaoMoeda")
    for provider, modelo, desde, entrada, cache, saida, fonte in PRECOS:
        Preco.objects.get_or_create(
            provider=provider,
            modelo=modelo,
            vigente_desde=desde,
            defaults={
                "usd_entrada_por_milhao": Decimal(entrada),
                "usd_cache_por_milhao": Decimal(cache) if cache is not None else None,
                "usd_saida_por_milhao": Decimal(saida),
                "fonte": fonte,
            },
        )
    desde, valor, fonte = COTACAO_BRL
    Cotacao.objects.get_or_create(
        moeda="BRL", vigente_desde=desde, defaults={"valor": Decimal(valor), "fonte": fonte}
    )


class Migration(migrations.Migration):
    dependencies = [("ia", "0005_contas_precos")]

    operations = [migrations.RunPython(semear, migrations.RunPython.noop)]
