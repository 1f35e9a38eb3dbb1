"""The supervisors' dashboard and the daily summary: every figure is one aggregate query in
PostgreSQL (``percentile_cont`` for medians and p90), always filtered by one empresa and a
period ``[inicio, fim)``. Tickets are counted in the period they were **created**; messages by
their ``data``. Times are in seconds. Days are the empresa's local days (``fuso_horario``).

Indexes behind them: ``ticket_empresa_criado`` (empresa, criado_em) and
``mensagem_empresa_data`` (empresa, data, direcao).

SLA: a ticket with a deadline breached it when ``sla_violado`` is set, or a breach of it is
recorded (``ViolacaoSla``), or its first answer / closing came after the deadline, or the
deadline passed with neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from atendimento.models import Atendente, Empresa

T = "atendimento_tickets"
M = "atendimento_mensagens"


@dataclass(frozen=True, slots=True)
class Periodo:
    empresa_id: UUID
    inicio: datetime
    fim: datetime
    fuso: str = "America/Sao_Paulo"

    @classmethod
    def de(cls, empresa: Empresa, inicio: datetime, fim: datetime) -> Periodo:
        return cls(empresa.pk, inicio, fim, empresa.fuso_horario or "America/Sao_Paulo")


def _linhas(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        nomes = [c.name for c in cursor.description]
        return [dict(zip(nomes, linha, strict=True)) for linha in cursor.fetchall()]


_VIOLADO = f"""(
    {T}.sla_violado
    OR EXISTS (SELECT 1 FROM atendimento_violacoes_sla v WHERE v.ticket_id = {T}.id)
    OR ({T}.sla_primeira_resposta_em IS NOT NULL AND
        COALESCE({T}.primeira_resposta_em, %(agora)s) > {T}.sla_primeira_resposta_em)
    OR ({T}.sla_resolucao_em IS NOT NULL AND
        COALESCE({T}.fechado_em, %(agora)s) > {T}.sla_resolucao_em)
)"""  # noqa: S608 - table names are constants
_COM_SLA = f"""(
    {T}.sla_primeira_resposta_em IS NOT NULL OR {T}.sla_resolucao_em IS NOT NULL
    OR {T}.sla_violado
    OR EXISTS (SELECT 1 FROM atendimento_violacoes_sla v WHERE v.ticket_id = {T}.id)
)"""  # noqa: S608 - table names are constants
_PRIMEIRA = f"EXTRACT(EPOCH FROM ({T}.primeira_resposta_em - {T}.criado_em))"
_RESOLUCAO = f"EXTRACT(EPOCH FROM ({T}.fechado_em - {T}.criado_em))"
_TEMPOS = f"""
    count(*) AS tickets,
    count({T}.primeira_resposta_em) AS respondidos,
    count({T}.fechado_em) AS resolvidos,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY {_PRIMEIRA}) AS primeira_resposta_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY {_PRIMEIRA}) AS primeira_resposta_p90,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY {_RESOLUCAO}) AS resolucao_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY {_RESOLUCAO}) AS resolucao_p90,
    count(*) FILTER (WHERE {_COM_SLA}) AS com_sla,
    count(*) FILTER (WHERE {_COM_SLA} AND {_VIOLADO}) AS sla_violados
"""
_PERIODO = (
    f"{T}.empresa_id = %(empresa)s AND {T}.criado_em >= %(inicio)s AND {T}.criado_em < %(fim)s"
)


def _params(p: Periodo, **extra) -> dict[str, Any]:
    return {
        "empresa": p.empresa_id,
        "inicio": p.inicio,
        "fim": p.fim,
        "fuso": p.fuso,
        "agora": timezone.now(),
        **extra,
    }


def _cumprimento(linha: dict[str, Any]) -> dict[str, Any]:
    com_sla = linha.get("com_sla") or 0
    violados = linha.get("sla_violados") or 0
    linha["sla_cumprimento"] = round(100.0 * (com_sla - violados) / com_sla, 1) if com_sla else None
    return linha


# ----------------------------------------------------------------------------- dashboard
def volume_por_canal(p: Periodo) -> list[dict[str, Any]]:
    return _linhas(
        f"""
        SELECT c.nome AS canal, c.tipo, count(*) AS tickets
          FROM {T} JOIN atendimento_canais c ON c.id = {T}.canal_id
         WHERE {_PERIODO}
         GROUP BY c.id, c.nome, c.tipo
         ORDER BY tickets DESC, c.nome
        """,  # noqa: S608 - constant SQL, parameters bound
        _params(p),
    )


def volume_por_dia(p: Periodo) -> list[dict[str, Any]]:
    """Per local day: tickets opened, messages received and sent (days without any: zeros)."""
    return _linhas(
        f"""
        WITH dias AS (
            SELECT generate_series(
                date_trunc('day', %(inicio)s AT TIME ZONE %(fuso)s),
                date_trunc('day', (%(fim)s - interval '1 microsecond') AT TIME ZONE %(fuso)s),
                interval '1 day')::date AS dia
        ), t AS (
            SELECT ({T}.criado_em AT TIME ZONE %(fuso)s)::date AS dia, count(*) AS tickets
              FROM {T} WHERE {_PERIODO} GROUP BY 1
        ), m AS (
            SELECT (data AT TIME ZONE %(fuso)s)::date AS dia,
                   count(*) FILTER (WHERE direcao = 'entrada') AS recebidas,
                   count(*) FILTER (WHERE direcao = 'saida') AS enviadas
              FROM {M}
             WHERE empresa_id = %(empresa)s AND data >= %(inicio)s AND data < %(fim)s
             GROUP BY 1
        )
        SELECT dias.dia, COALESCE(t.tickets, 0) AS tickets,
               COALESCE(m.recebidas, 0) AS recebidas, COALESCE(m.enviadas, 0) AS enviadas
          FROM dias LEFT JOIN t USING (dia) LEFT JOIN m USING (dia)
         ORDER BY dias.dia
        """,  # noqa: S608
        _params(p),
    )


def situacao_agora(empresa_id: UUID) -> dict[str, int]:
    """Tickets not closed right now, by status (the period does not apply)."""
    linhas = _linhas(
        f"""SELECT status, count(*) AS n FROM {T}
             WHERE empresa_id = %(empresa)s AND status <> 'fechado' GROUP BY status""",  # noqa: S608
        {"empresa": empresa_id},
    )
    contagem = {"aberto": 0, "em_atendimento": 0, "aguardando": 0}
    contagem.update({linha["status"]: linha["n"] for linha in linhas})
    return contagem


def fechados_no_periodo(p: Periodo) -> int:
    return _linhas(
        f"""SELECT count(*) AS n FROM {T} WHERE empresa_id = %(empresa)s
              AND fechado_em >= %(inicio)s AND fechado_em < %(fim)s""",  # noqa: S608
        _params(p),
    )[0]["n"]


def totais(p: Periodo) -> dict[str, Any]:
    return _cumprimento(
        _linhas(f"SELECT {_TEMPOS} FROM {T} WHERE {_PERIODO}", _params(p))[0]  # noqa: S608
    )


def tempos_por_fila(p: Periodo) -> list[dict[str, Any]]:
    return [
        _cumprimento(linha)
        for linha in _linhas(
            f"""
            SELECT COALESCE(f.nome, '') AS fila, {_TEMPOS}
              FROM {T} LEFT JOIN atendimento_filas f ON f.id = {T}.fila_id
             WHERE {_PERIODO}
             GROUP BY f.id, f.nome
             ORDER BY tickets DESC, fila
            """,  # noqa: S608
            _params(p),
        )
    ]


def tempos_por_atendente(p: Periodo) -> list[dict[str, Any]]:
    return [
        _cumprimento(linha)
        for linha in _linhas(
            f"""
            SELECT {T}.atendente_id, COALESCE(a.nome, '') AS atendente, {_TEMPOS}
              FROM {T} LEFT JOIN atendimento_atendentes a ON a.id = {T}.atendente_id
             WHERE {_PERIODO}
             GROUP BY {T}.atendente_id, a.nome
             ORDER BY tickets DESC, atendente
            """,  # noqa: S608
            _params(p),
        )
    ]


def atendentes_carga(empresa_id: UUID) -> list[dict[str, Any]]:
    """Every active person with their live status and open tickets against their capacity."""
    return _linhas(
        f"""
        SELECT a.id, a.nome, a.papel, a.status, a.capacidade,
               count(t.id) AS abertos
          FROM atendimento_atendentes a
          LEFT JOIN {T} t ON t.atendente_id = a.id AND t.empresa_id = a.empresa_id
                          AND t.status <> 'fechado'
         WHERE a.empresa_id = %(empresa)s AND a.ativo
         GROUP BY a.id
         ORDER BY (a.status = 'online') DESC, a.nome
        """,  # noqa: S608
        {"empresa": empresa_id},
    )


def violacoes_sla(p: Periodo) -> list[dict[str, Any]]:
    """The breach records of the period (each missed target once, with its lateness), per
    target and the agent responsible at the time."""
    return _linhas(
        """
        SELECT v.alvo, COALESCE(a.nome, '') AS atendente, count(*) AS violacoes,
               count(*) FILTER (WHERE v.cumprido_em IS NULL) AS em_aberto,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM v.atraso))
                   AS atraso_p50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM v.atraso))
                   AS atraso_p90
          FROM atendimento_violacoes_sla v
          LEFT JOIN atendimento_atendentes a ON a.id = v.atendente_id
         WHERE v.empresa_id = %(empresa)s AND v.violado_em >= %(inicio)s
           AND v.violado_em < %(fim)s
         GROUP BY v.alvo, a.id, a.nome
         ORDER BY violacoes DESC, v.alvo, atendente
        """,
        _params(p),
    )


def sentimentos(p: Periodo) -> list[dict[str, Any]]:
    """The latest sentiment the AI gave each ticket created in the period."""
    return _linhas(
        f"""
        SELECT sentimento, count(*) AS tickets,
               round(100.0 * count(*) / sum(count(*)) OVER (), 1)::float AS percentual FROM (
            SELECT DISTINCT ON (i.ticket_id) i.sentimento
              FROM atendimento_ai_insights i JOIN {T} ON {T}.id = i.ticket_id
             WHERE i.empresa_id = %(empresa)s AND {_PERIODO} AND i.sentimento <> ''
             ORDER BY i.ticket_id, i.criado_em DESC
        ) ultimos
        GROUP BY sentimento ORDER BY tickets DESC, sentimento
        """,  # noqa: S608
        _params(p),
    )


def custo_ia(p: Periodo) -> list[dict[str, Any]]:
    """AI use per feature and model over the period's local days: calls, tokens, cost in USD
    and BRL, and what the agents did with the suggested replies of those days."""
    linhas = _linhas(
        """
        WITH uso AS (
            SELECT funcionalidade, provider, modelo, sum(chamadas)::bigint AS chamadas,
                   sum(erros)::bigint AS erros, sum(tokens_entrada)::bigint AS tokens_entrada,
                   sum(tokens_saida)::bigint AS tokens_saida, sum(custo) AS custo,
                   sum(custo_brl) AS custo_brl
              FROM atendimento_ai_metricas
             WHERE empresa_id = %(empresa)s
               AND data >= (%(inicio)s AT TIME ZONE %(fuso)s)::date
               AND data <= ((%(fim)s - interval '1 microsecond') AT TIME ZONE %(fuso)s)::date
             GROUP BY funcionalidade, provider, modelo
        ), desfechos AS (
            SELECT funcionalidade, provider, modelo,
                   count(*) FILTER (WHERE resultado = 'aceita') AS aceitas,
                   count(*) FILTER (WHERE resultado = 'editada') AS editadas,
                   count(*) FILTER (WHERE resultado = 'rejeitada') AS rejeitadas
              FROM atendimento_ai_respostas
             WHERE empresa_id = %(empresa)s AND criado_em >= %(inicio)s AND criado_em < %(fim)s
             GROUP BY funcionalidade, provider, modelo
        )
        SELECT uso.*, COALESCE(d.aceitas, 0) AS aceitas, COALESCE(d.editadas, 0) AS editadas,
               COALESCE(d.rejeitadas, 0) AS rejeitadas
          FROM uso LEFT JOIN desfechos d USING (funcionalidade, provider, modelo)
         ORDER BY custo DESC, funcionalidade
        """,
        _params(p),
    )
    for linha in linhas:
        linha["taxa_aceitacao"] = _taxa(linha)
    return linhas


def _taxa(linha: dict[str, Any]) -> float | None:
    """Share of evaluated suggestions that were sent (as they were or edited), in %."""
    usadas = linha["aceitas"] + linha["editadas"]
    avaliadas = usadas + linha["rejeitadas"]
    return round(100.0 * usadas / avaliadas, 1) if avaliadas else None


def ia_totais(linhas_custo: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's AI cards, from the rows of ``custo_ia``."""
    soma = {
        chave: sum((linha[chave] or 0) for linha in linhas_custo)
        for chave in (
            "chamadas",
            "erros",
            "custo",
            "custo_brl",
            "aceitas",
            "editadas",
            "rejeitadas",
        )
    }
    soma["taxa_aceitacao"] = _taxa(soma)
    return soma


# ----------------------------------------------------------------------------- daily summary
@dataclass(frozen=True, slots=True)
class Resumo:
    abertos: int = 0
    fechados: int = 0
    recebidas: int = 0
    enviadas: int = 0
    primeira_resposta_p50: float | None = None
    resolucao_p50: float | None = None
    sla_violados: int = 0


def resumo(empresa_id: UUID, inicio: datetime, fim: datetime) -> Resumo:
    p = Periodo(empresa_id, inicio, fim)
    t = totais(p)
    m = _linhas(
        f"""SELECT count(*) FILTER (WHERE direcao = 'entrada') AS recebidas,
                   count(*) FILTER (WHERE direcao = 'saida') AS enviadas
              FROM {M} WHERE empresa_id = %(empresa)s AND data >= %(inicio)s
               AND data < %(fim)s""",  # noqa: S608
        _params(p),
    )[0]
    return Resumo(
        abertos=t["tickets"],
        fechados=fechados_no_periodo(p),
        recebidas=m["recebidas"],
        enviadas=m["enviadas"],
        primeira_resposta_p50=t["primeira_resposta_p50"],
        resolucao_p50=t["resolucao_p50"],
        sla_violados=t["sla_violados"],
    )


def resumo_por_atendente(empresa_id: UUID, inicio: datetime, fim: datetime) -> dict[UUID, Resumo]:
    """Per agent: the tickets of theirs created in the period, those they closed in it, the
    messages they sent in it."""
    p = Periodo(empresa_id, inicio, fim)
    tempos = {linha["atendente_id"]: linha for linha in tempos_por_atendente(p)}
    fechados = {
        linha["atendente_id"]: linha["n"]
        for linha in _linhas(
            f"""SELECT atendente_id, count(*) AS n FROM {T} WHERE empresa_id = %(empresa)s
                  AND fechado_em >= %(inicio)s AND fechado_em < %(fim)s
                  AND atendente_id IS NOT NULL GROUP BY atendente_id""",  # noqa: S608
            _params(p),
        )
    }
    enviadas = {
        linha["atendente_id"]: linha["n"]
        for linha in _linhas(
            f"""SELECT atendente_id, count(*) AS n FROM {M} WHERE empresa_id = %(empresa)s
                  AND data >= %(inicio)s AND data < %(fim)s AND direcao = 'saida'
                  AND atendente_id IS NOT NULL GROUP BY atendente_id""",  # noqa: S608
            _params(p),
        )
    }
    resultado = {}
    for atendente_id in Atendente.objects.filter(empresa_id=empresa_id).values_list(
        "id", flat=True
    ):
        t = tempos.get(atendente_id, {})
        resultado[atendente_id] = Resumo(
            abertos=t.get("tickets", 0),
            fechados=fechados.get(atendente_id, 0),
            enviadas=enviadas.get(atendente_id, 0),
            primeira_resposta_p50=t.get("primeira_resposta_p50"),
            resolucao_p50=t.get("resolucao_p50"),
            sla_violados=t.get("sla_violados", 0),
        )
    return resultado


def para_csv(valor: Any) -> Any:
    """A cell as it goes into a CSV file."""
    if isinstance(valor, float):
        return f"{valor:.1f}"
    if isinstance(valor, Decimal):
        return f"{valor:.6f}"
    if isinstance(valor, date):
        return valor.isoformat()
    return "" if valor is None else valor
