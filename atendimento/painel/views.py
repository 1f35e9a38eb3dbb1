"""The supervisors' dashboard (``/dashboard/``): the page, its live-refreshed body (htmx
polling) and one CSV per table. Only admins and supervisors, only their empresa; an agent gets
403 (the page exists, it is just not theirs)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from atendimento.exceptions import NaoEncontrado
from atendimento.models import RegistroAuditoria
from atendimento.painel.tabelas import TABELAS
from atendimento.selectors import painel
from atendimento.selectors.acesso import atendente_do_usuario
from atendimento.services.auditoria import auditoria_registrar
from ia.templatetags.ia_painel import ROTULOS as ROTULOS_IA

PASTA = "atendimento/painel/"
DIAS_PADRAO = 30
DIAS_MAX = 366


class FiltroPeriodo(forms.Form):
    de = forms.DateField(label=_("De"), required=False)
    ate = forms.DateField(label=_("Até"), required=False)

    def clean(self):
        dados = super().clean()
        hoje = timezone.localdate()
        ate = dados.get("ate") or hoje
        de = dados.get("de") or ate - timedelta(days=DIAS_PADRAO - 1)
        if de > ate:
            raise forms.ValidationError(_("A data inicial deve ser anterior à final."))
        if (ate - de).days >= DIAS_MAX:
            raise forms.ValidationError(
                _("Escolha um período de até %(n)s dias.") % {"n": DIAS_MAX}
            )
        dados["de"], dados["ate"] = de, ate
        return dados


def supervisor_requerido(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def embrulho(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            atendente = atendente_do_usuario(request.user)
        except NaoEncontrado:
            raise PermissionDenied from None
        if not atendente.gerencia_empresa:
            raise PermissionDenied
        request.atendente = atendente
        return view(request, *args, **kwargs)

    return embrulho


def _periodo(request: HttpRequest) -> tuple[FiltroPeriodo, painel.Periodo | None]:
    filtro = FiltroPeriodo(request.GET or None)
    if request.GET and not filtro.is_valid():
        return filtro, None
    if not request.GET:
        hoje = timezone.localdate()
        de, ate = hoje - timedelta(days=DIAS_PADRAO - 1), hoje
        filtro = FiltroPeriodo(initial={"de": de, "ate": ate})
    else:
        de, ate = filtro.cleaned_data["de"], filtro.cleaned_data["ate"]
    empresa = request.atendente.empresa
    fuso = ZoneInfo(empresa.fuso_horario or "America/Sao_Paulo")
    inicio = datetime.combine(de, time.min, tzinfo=fuso)
    fim = datetime.combine(ate + timedelta(days=1), time.min, tzinfo=fuso)
    filtro.de, filtro.ate = de, ate
    return filtro, painel.Periodo.de(empresa, inicio, fim)


def _graficos(tabelas: dict) -> dict:
    """What the charts draw (``static/js/painel.js``), from the same rows as the tables."""
    dias, canais = tabelas["dias"], tabelas["canais"]
    filas, sentimentos = tabelas["filas"], tabelas["sentimentos"]

    def minutos(valor):
        return None if valor is None else round(valor / 60, 1)

    return {
        "dias": {
            "tipo": "line",
            "rotulos": [d["dia"].isoformat() for d in dias],
            "series": [
                {"rotulo": str(_("Tickets abertos")), "dados": [d["tickets"] for d in dias]},
                {"rotulo": str(_("Mensagens recebidas")), "dados": [d["recebidas"] for d in dias]},
                {"rotulo": str(_("Mensagens enviadas")), "dados": [d["enviadas"] for d in dias]},
            ],
        },
        "canais": {
            "tipo": "bar",
            "rotulos": [c["canal"] for c in canais],
            "series": [{"rotulo": str(_("Tickets")), "dados": [c["tickets"] for c in canais]}],
        },
        "filas": {
            "tipo": "bar",
            "rotulos": [f["fila"] for f in filas],
            "series": [
                {
                    "rotulo": str(_("1ª resposta, mediana (min)")),
                    "dados": [minutos(f["primeira_resposta_p50"]) for f in filas],
                },
                {
                    "rotulo": str(_("1ª resposta, p90 (min)")),
                    "dados": [minutos(f["primeira_resposta_p90"]) for f in filas],
                },
            ],
        },
        "sla": {
            "tipo": "bar",
            "rotulos": [f["fila"] for f in filas],
            "series": [
                {
                    "rotulo": str(_("Cumprimento do SLA (%)")),
                    "dados": [f["sla_cumprimento"] for f in filas],
                }
            ],
        },
        "sentimentos": {
            "tipo": "doughnut",
            "rotulos": [
                str(ROTULOS_IA["sentimento"].get(s["sentimento"], s["sentimento"]))
                for s in sentimentos
            ],
            "series": [{"rotulo": str(_("Tickets")), "dados": [s["tickets"] for s in sentimentos]}],
        },
    }


def _contexto(request: HttpRequest) -> tuple[dict, int]:
    filtro, periodo = _periodo(request)
    if periodo is None:
        return {"filtro": filtro, "erro": True}, 400
    tabelas = {nome: t.linhas(periodo) for nome, t in TABELAS.items()}
    graficos = _graficos(tabelas)
    contexto = {
        "filtro": filtro,
        "de": filtro.de,
        "ate": filtro.ate,
        "periodo": periodo,
        "querystring": f"de={filtro.de.isoformat()}&ate={filtro.ate.isoformat()}",
        "tabelas": [(TABELAS[nome], linhas) for nome, linhas in tabelas.items()],
        "linhas": tabelas,
        "totais": painel.totais(periodo),
        "agora": painel.situacao_agora(periodo.empresa_id),
        "fechados": painel.fechados_no_periodo(periodo),
        "online": sum(1 for a in tabelas["carga"] if a["status"] == "online"),
        "ia": painel.ia_totais(tabelas["custo_ia"]),
        "graficos": graficos,
        # a data attribute, not json_script: htmx drops <script> elements from swapped content
        "graficos_json": json.dumps(graficos, ensure_ascii=False),
        "atualizado_em": timezone.now(),
    }
    return contexto, 200


@require_GET
@supervisor_requerido
def painel_pagina(request: HttpRequest) -> HttpResponse:
    contexto, status = _contexto(request)
    nome = "_dados.html" if request.htmx else "painel.html"
    return TemplateResponse(request, PASTA + nome, contexto, status=status)


@require_GET
@supervisor_requerido
def painel_csv(request: HttpRequest, tabela: str) -> HttpResponse:
    definicao = TABELAS.get(tabela)
    if definicao is None:
        raise Http404
    filtro, periodo = _periodo(request)
    if periodo is None:
        erros = "; ".join(str(e) for e in filtro.non_field_errors() or filtro.errors.values())
        return HttpResponse(erros, status=400, content_type="text/plain; charset=utf-8")
    resposta = HttpResponse(content_type="text/csv; charset=utf-8")
    nome = f"{tabela}_{filtro.de.isoformat()}_{filtro.ate.isoformat()}.csv"
    resposta["Content-Disposition"] = f'attachment; filename="{nome}"'
    resposta.write("\ufeff")  # Excel opens UTF-8 with a BOM
    escritor = csv.writer(resposta)
    escritor.writerow([str(c.rotulo) for c in definicao.colunas])
    linhas = 0
    for linha in definicao.linhas(periodo):
        escritor.writerow([painel.para_csv(linha.get(c.chave)) for c in definicao.colunas])
        linhas += 1
    auditoria_registrar(  # who exported data, in the empresa's audit trail
        empresa_id=periodo.empresa_id,
        acao=RegistroAuditoria.Acao.EXPORTAR,
        objeto_tipo="painel",
        objeto_repr=nome,
        detalhe=f"CSV {tabela}: {linhas} linha(s)",
    )
    return resposta
