"""Dashboards computed in the database: ticket statistics (counts, averages and the 90th
percentile through ``percentile_cont``, SLA breaches); AI usage is in ``metricas_ia``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
)
from django.utils import timezone

from atendimento.models import Atendente, Ticket
from atendimento.selectors.acesso import tickets_visiveis
from atendimento.selectors.cadastros import fuso_da_empresa

DIAS_PADRAO = 30


class Percentil(Aggregate):
    """``percentile_cont(<fracao>) WITHIN GROUP (ORDER BY <expr>)`` (NULLs are ignored)."""

    function = "PERCENTILE_CONT"
    name = "Percentil"
    template = "%(function)s(%(fracao)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expressao, *, fracao: float, **extra: Any) -> None:
        super().__init__(expressao, fracao=float(fracao), **extra)


def _segundos(inicio: str, fim: str) -> Func:
    """Seconds between two datetime columns (NULL when either is NULL)."""
    duracao = ExpressionWrapper(F(fim) - F(inicio), output_field=DurationField())
    return Func(
        duracao,
        template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
        output_field=FloatField(),
    )


def periodo(atendente: Atendente, de: date | None, ate: date | None) -> tuple[date, date]:
    """Inclusive date range in the empresa's calendar; defaults to the last 30 days."""
    hoje = timezone.now().astimezone(fuso_da_empresa(atendente)).date()
    ate = ate or hoje
    de = de or ate - timedelta(days=DIAS_PADRAO - 1)
    return de, ate


def _limites(atendente: Atendente, de: date, ate: date) -> tuple[datetime, datetime]:
    fuso = fuso_da_empresa(atendente)
    return datetime.combine(de, time.min, tzinfo=fuso), datetime.combine(ate, time.max, tzinfo=fuso)


def _tickets_do_periodo(atendente: Atendente, de: date, ate: date) -> QuerySet[Ticket]:
    inicio, fim = _limites(atendente, de, ate)
    escopo = Ticket.objects.filter(
        empresa_id=atendente.empresa_id, criado_em__gte=inicio, criado_em__lte=fim
    )
    if not atendente.gerencia_empresa:
        escopo = escopo.filter(id__in=tickets_visiveis(atendente).values("id"))
    return escopo


def _numeros(media, p90) -> dict[str, float | None]:
    return {
        "media_segundos": round(media, 1) if media is not None else None,
        "p90_segundos": round(p90, 1) if p90 is not None else None,
    }


def estatisticas_gerais(*, atendente: Atendente, de: date, ate: date) -> dict[str, Any]:
    """Tickets created in [de, ate] the atendente may see: counts by status, queue and channel;
    average and p90 of first response and resolution; SLA breaches (a deadline passed without
    the answer/resolution, or reached after it)."""
    agora = timezone.now()
    tickets = _tickets_do_periodo(atendente, de, ate)
    primeira = _segundos("criado_em", "primeira_resposta_em")
    resolucao = _segundos("criado_em", "fechado_em")
    pr_violada = Q(sla_primeira_resposta_em__isnull=False) & (
        Q(primeira_resposta_em__gt=F("sla_primeira_resposta_em"))
        | Q(primeira_resposta_em__isnull=True, sla_primeira_resposta_em__lt=agora)
    )
    res_violada = Q(sla_resolucao_em__isnull=False) & (
        Q(fechado_em__gt=F("sla_resolucao_em"))
        | Q(fechado_em__isnull=True, sla_resolucao_em__lt=agora)
    )
    por_status = {
        f"status_{valor}": Count("id", filter=Q(status=valor)) for valor in Ticket.Status.values
    }
    totais = tickets.aggregate(
        total=Count("id"),
        **por_status,
        pr_media=Avg(primeira),
        pr_p90=Percentil(primeira, fracao=0.9),
        res_media=Avg(resolucao, filter=Q(status=Ticket.Status.FECHADO)),
        res_p90=Percentil(resolucao, fracao=0.9, filter=Q(status=Ticket.Status.FECHADO)),
        sla_pr=Count("id", filter=pr_violada),
        sla_res=Count("id", filter=res_violada),
        sla_qualquer=Count("id", filter=Q(sla_violado=True) | pr_violada | res_violada),
    )
    por_fila = (
        tickets.values("fila_id", "fila__nome")
        .annotate(total=Count("id"))
        .order_by("-total", "fila__nome")
    )
    por_canal = (
        tickets.values("canal_id", "canal__nome", "canal__tipo")
        .annotate(total=Count("id"))
        .order_by("-total", "canal__nome")
    )
    return {
        "de": de,
        "ate": ate,
        "total": totais["total"],
        "por_status": {valor: totais[f"status_{valor}"] for valor in Ticket.Status.values},
        "por_fila": [
            {"fila_id": linha["fila_id"], "nome": linha["fila__nome"], "total": linha["total"]}
            for linha in por_fila
        ],
        "por_canal": [
            {
                "canal_id": linha["canal_id"],
                "nome": linha["canal__nome"],
                "tipo": linha["canal__tipo"],
                "total": linha["total"],
            }
            for linha in por_canal
        ],
        "primeira_resposta": _numeros(totais["pr_media"], totais["pr_p90"]),
        "resolucao": _numeros(totais["res_media"], totais["res_p90"]),
        "sla": {
            "violados": totais["sla_qualquer"],
            "primeira_resposta_violada": totais["sla_pr"],
            "resolucao_violada": totais["sla_res"],
        },
    }
