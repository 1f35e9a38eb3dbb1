"""The dashboard's tables: one registry entry per table (page, chart fallback and CSV share
it). Each names its columns and the selector that fills it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from atendimento.selectors import painel
from ia.templatetags.ia_painel import ROTULOS as ROTULOS_IA


@dataclass(frozen=True)
class Coluna:
    chave: str
    rotulo: Any
    #: "n" number, "s" seconds (a duration), "%" percentage, "" text
    tipo: str = ""
    #: stored codes -> their words in the active language (the CSV keeps the codes)
    rotulos: Any = None


@dataclass(frozen=True)
class Tabela:
    nome: str
    titulo: Any
    colunas: tuple[Coluna, ...]
    linhas: Callable[[painel.Periodo], list[dict[str, Any]]]


_TEMPOS = (
    Coluna("tickets", _("Tickets"), "n"),
    Coluna("primeira_resposta_p50", _("1ª resposta (mediana)"), "s"),
    Coluna("primeira_resposta_p90", _("1ª resposta (p90)"), "s"),
    Coluna("resolucao_p50", _("Resolução (mediana)"), "s"),
    Coluna("resolucao_p90", _("Resolução (p90)"), "s"),
    Coluna("com_sla", _("Com SLA"), "n"),
    Coluna("sla_violados", _("SLA violado"), "n"),
    Coluna("sla_cumprimento", _("Cumprimento do SLA"), "%"),
)


def _sem_fila(linhas):
    for linha in linhas:
        linha["fila"] = linha["fila"] or str(_("Sem fila"))
    return linhas


def _sem_atendente(linhas):
    for linha in linhas:
        linha["atendente"] = linha["atendente"] or str(_("Sem atendente"))
    return linhas


TABELAS: dict[str, Tabela] = {
    t.nome: t
    for t in (
        Tabela(
            "dias",
            _("Volume por dia"),
            (
                Coluna("dia", _("Dia")),
                Coluna("tickets", _("Tickets abertos"), "n"),
                Coluna("recebidas", _("Mensagens recebidas"), "n"),
                Coluna("enviadas", _("Mensagens enviadas"), "n"),
            ),
            painel.volume_por_dia,
        ),
        Tabela(
            "canais",
            _("Volume por canal"),
            (
                Coluna("canal", _("Canal")),
                Coluna("tipo", _("Tipo")),
                Coluna("tickets", _("Tickets"), "n"),
            ),
            painel.volume_por_canal,
        ),
        Tabela(
            "filas",
            _("Tempos e SLA por fila"),
            (Coluna("fila", _("Fila")), *_TEMPOS),
            lambda p: _sem_fila(painel.tempos_por_fila(p)),
        ),
        Tabela(
            "atendentes",
            _("Tempos e SLA por atendente"),
            (Coluna("atendente", _("Atendente")), *_TEMPOS),
            lambda p: _sem_atendente(painel.tempos_por_atendente(p)),
        ),
        Tabela(
            "violacoes",
            _("Violações de SLA registradas"),
            (
                Coluna("alvo", _("Alvo")),
                Coluna("atendente", _("Responsável")),
                Coluna("violacoes", _("Violações"), "n"),
                Coluna("em_aberto", _("Ainda não cumpridas"), "n"),
                Coluna("atraso_p50", _("Atraso (mediana)"), "s"),
                Coluna("atraso_p90", _("Atraso (p90)"), "s"),
            ),
            lambda p: _sem_atendente(painel.violacoes_sla(p)),
        ),
        Tabela(
            "carga",
            _("Atendentes agora"),
            (
                Coluna("nome", _("Atendente")),
                Coluna("papel", _("Papel")),
                Coluna("status", _("Status")),
                Coluna("abertos", _("Tickets em aberto"), "n"),
                Coluna("capacidade", _("Capacidade"), "n"),
            ),
            lambda p: painel.atendentes_carga(p.empresa_id),
        ),
        Tabela(
            "sentimentos",
            _("Sentimento dos clientes (IA)"),
            (
                Coluna("sentimento", _("Sentimento"), rotulos=ROTULOS_IA["sentimento"]),
                Coluna("tickets", _("Tickets"), "n"),
                Coluna("percentual", _("Participação"), "%"),
            ),
            painel.sentimentos,
        ),
        Tabela(
            "custo_ia",
            _("Uso e custo da IA"),
            (
                Coluna("funcionalidade", _("Funcionalidade")),
                Coluna("provider", _("Provedor")),
                Coluna("modelo", _("Modelo")),
                Coluna("chamadas", _("Chamadas"), "n"),
                Coluna("erros", _("Erros"), "n"),
                Coluna("tokens_entrada", _("Tokens de entrada"), "n"),
                Coluna("tokens_saida", _("Tokens de saída"), "n"),
                Coluna("custo", _("Custo (US$)"), "n"),
                Coluna("custo_brl", _("Custo (R$)"), "n"),
                Coluna("aceitas", _("Sugestões aceitas"), "n"),
                Coluna("editadas", _("Sugestões editadas"), "n"),
                Coluna("rejeitadas", _("Sugestões descartadas"), "n"),
                Coluna("taxa_aceitacao", _("Aceitação"), "%"),
            ),
            painel.custo_ia,
        ),
    )
}
