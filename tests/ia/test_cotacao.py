"""The dollar rate of AI costs kept current: ``manage.py atualizar_cotacao`` records a rate given
by hand or the Banco Central's PTAX (its OData API served locally in its wire format), costs use
the latest rate on or before the call's day, the admin lists the rates, the daily job."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from werkzeug import Request, Response

from ia import tasks
from ia.models import AIMetrica, CotacaoMoeda, PrecoModeloIA
from ia.services.registro import registrar_chamada
from tests.factories import EmpresaFactory

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
RECURSO = "/olinda/servico/PTAX/versao/v1/odata/CotacaoDolarDia(dataCotacao=@dataCotacao)"


@pytest.fixture(autouse=True)
def precos():
    """The seeded price table and placeholder rate (flushed by transactional tests)."""
    PrecoModeloIA.objects.all().delete()
    CotacaoMoeda.objects.all().delete()
    importlib.import_module("ia.migrations.0006_precos_iniciais").semear(apps, None)


def _cotacoes() -> list[tuple[dt.date, Decimal]]:
    return list(
        CotacaoMoeda.objects.filter(moeda="BRL")
        .order_by("vigente_desde")
        .values_list("vigente_desde", "valor")
    )


def _comando(*args) -> str:
    saida = StringIO()
    call_command("atualizar_cotacao", *args, stdout=saida)
    return saida.getvalue()


def _custo_brl(empresa, dia: dt.date) -> Decimal:
    """BRL cost of 1M gpt-4o-mini input tokens (USD 0.15) billed on ``dia``."""
    registrar_chamada(
        empresa_id=empresa.id,
        funcionalidade="sentimento",
        provider="openai",
        modelo="gpt-4o-mini-2024-07-18",
        tokens_entrada=1_000_000,
        quando=dt.datetime.combine(dia, dt.time(12), tzinfo=SP),
    )
    return AIMetrica.objects.get(empresa=empresa, data=dia).custo_brl


# ----------------------------------------------------------------------- a rate given by hand


def test_cotacao_informada_vale_do_dia_em_diante():
    saida = _comando("--usd-brl", "5.42", "--data", "2026-12-05")

    assert "5.42" in saida
    assert "2026-12-05" in saida
    assert _cotacoes() == [
        (dt.date(2024, 1, 1), Decimal("5.35")),
        (dt.date(2026, 12, 5), Decimal("5.42")),
    ]
    assert CotacaoMoeda.objects.get(vigente_desde=dt.date(2026, 12, 5)).fonte
    empresa = EmpresaFactory(fuso_horario="America/Sao_Paulo")
    # USD 0.15 at the rate in force on the call's day
    assert _custo_brl(empresa, dt.date(2026, 12, 4)) == Decimal("0.8025")  # x 5.35
    assert _custo_brl(empresa, dt.date(2026, 12, 5)) == Decimal("0.813")  # x 5.42
    assert _custo_brl(empresa, dt.date(2026, 12, 9)) == Decimal("0.813")


def test_mesmo_dia_de_novo_substitui_a_cotacao():
    _comando("--usd-brl", "5.42", "--data", "2026-12-05")
    saida = _comando("--usd-brl", "5,44", "--data", "2026-12-05", "--fonte", "contrato de câmbio")
    assert "5.44" in saida
    linha = CotacaoMoeda.objects.get(vigente_desde=dt.date(2026, 12, 5))
    assert (linha.valor, linha.fonte) == (Decimal("5.44"), "contrato de câmbio")
    assert CotacaoMoeda.objects.count() == 2


def test_sem_data_vale_de_hoje():
    _comando("--usd-brl", "5.5")
    assert CotacaoMoeda.objects.filter(
        vigente_desde=timezone.localdate(), valor=Decimal("5.5")
    ).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--usd-brl", "0", "--data", "2026-12-05"],
        ["--usd-brl", "-5.1", "--data", "2026-12-05"],
        ["--usd-brl", "cinco", "--data", "2026-12-05"],
        ["--usd-brl", "NaN", "--data", "2026-12-05"],
        ["--usd-brl", "5.1234567", "--data", "2026-12-05"],
        ["--usd-brl", "5.42", "--data", "05/12/2026"],
        ["--usd-brl", "5.42", "--data", "2026-02-30"],
        ["--data", "2026-12-05"],  # neither a rate nor --bcb
        ["--usd-brl", "5.42", "--bcb"],
    ],
)
def test_entrada_invalida_erro_claro_e_nada_gravado(args):
    with pytest.raises(CommandError):
        _comando(*args)
    assert _cotacoes() == [(dt.date(2024, 1, 1), Decimal("5.35"))]


# ------------------------------------------------------------------ the Banco Central's PTAX


def _ptax(linhas: list[dict]) -> Response:
    corpo = {
        "@odata.context": "https://olinda.bcb.gov.br/olinda/servico/PTAX/versao/v1/odata$metadata"
        "#_CotacaoDolarDia(cotacaoCompra,cotacaoVenda,dataHoraCotacao)",
        "value": linhas,
    }
    return Response(json.dumps(corpo), status=200, content_type="application/json")


def _servir_ptax(httpserver, por_dia: dict[str, list[dict]]) -> list[str]:
    """The OData resource as the Banco Central serves it: ``@dataCotacao='MM-DD-AAAA'``, an
    empty ``value`` for a day without PTAX. Returns the days asked, in order."""
    pedidos: list[str] = []

    def responder(request: Request) -> Response:
        assert request.args.get("$format") == "json"
        dia = request.args["@dataCotacao"]
        pedidos.append(dia)
        return _ptax(por_dia.get(dia.strip("'"), []))

    httpserver.expect_request(RECURSO, method="GET").respond_with_handler(responder)
    return pedidos


def _url(httpserver) -> str:
    return httpserver.url_for("/olinda/servico/PTAX/versao/v1/odata")


SEXTA = {
    "12-04-2026": [
        {
            "cotacaoCompra": 5.4012,
            "cotacaoVenda": 5.4018,
            "dataHoraCotacao": "2026-12-04 13:09:27.364",
        }
    ]
}


def test_ptax_de_um_sabado_e_a_da_sexta(httpserver):
    pedidos = _servir_ptax(httpserver, SEXTA)

    saida = _comando("--bcb", "--data", "2026-12-05", "--url-bcb", _url(httpserver))

    assert pedidos == ["'12-05-2026'", "'12-04-2026'"]
    linha = CotacaoMoeda.objects.get(vigente_desde=dt.date(2026, 12, 4))
    assert linha.valor == Decimal("5.4018")  # the selling rate
    assert "PTAX" in linha.fonte
    assert "2026-12-04 13:09" in linha.fonte
    assert "5.4018" in saida


def test_ptax_usa_o_ultimo_boletim_do_dia_e_a_url_configurada(httpserver, settings):
    settings.BCB_PTAX_URL = _url(httpserver)
    _servir_ptax(
        httpserver,
        {
            "12-03-2026": [
                {
                    "cotacaoCompra": 5.30,
                    "cotacaoVenda": 5.31,
                    "dataHoraCotacao": "2026-12-03 10:05:01.1",
                },
                {
                    "cotacaoCompra": 5.3301,
                    "cotacaoVenda": 5.3307,
                    "dataHoraCotacao": "2026-12-03 13:04:55.9",
                },
            ]
        },
    )
    _comando("--bcb", "--data", "2026-12-03")
    assert _cotacoes()[-1] == (dt.date(2026, 12, 3), Decimal("5.3307"))


@pytest.mark.parametrize(
    "resposta",
    [
        Response("indisponível", status=503),
        Response("<html>manutenção</html>", status=200, content_type="text/html"),
        Response(json.dumps({"erro": "x"}), status=200, content_type="application/json"),
        _ptax([{"cotacaoCompra": 5.4, "cotacaoVenda": -1, "dataHoraCotacao": "2026-12-04"}]),
        _ptax([{"cotacaoCompra": 5.4, "cotacaoVenda": "abc", "dataHoraCotacao": "2026-12-04"}]),
        _ptax([{"cotacaoCompra": 5.4, "dataHoraCotacao": "2026-12-04"}]),
    ],
    ids=["503", "html", "sem-value", "negativa", "texto", "sem-venda"],
)
def test_ptax_inutilizavel_erro_claro_e_nada_gravado(httpserver, resposta):
    httpserver.expect_request(RECURSO).respond_with_response(resposta)
    with pytest.raises(CommandError):
        _comando("--bcb", "--data", "2026-12-04", "--url-bcb", _url(httpserver))
    assert _cotacoes() == [(dt.date(2024, 1, 1), Decimal("5.35"))]


def test_sem_ptax_na_semana_erro_claro(httpserver):
    pedidos = _servir_ptax(httpserver, {})
    with pytest.raises(CommandError, match="PTAX"):
        _comando("--bcb", "--data", "2026-12-05", "--url-bcb", _url(httpserver))
    assert len(pedidos) == 8  # the day and the seven before it
    assert CotacaoMoeda.objects.count() == 1


def test_banco_central_fora_do_ar_erro_claro():
    with pytest.raises(CommandError, match="Banco Central"):
        _comando("--bcb", "--url-bcb", "http://127.0.0.1:9/odata", "--timeout", "2")
    assert CotacaoMoeda.objects.count() == 1


def test_tarefa_diaria_registra_a_ptax_e_falha_sem_quebrar(httpserver, settings):
    settings.BCB_PTAX_URL = _url(httpserver)
    hoje = timezone.localdate()
    _servir_ptax(
        httpserver,
        {
            f"{hoje:%m-%d-%Y}": [
                {"cotacaoCompra": 5.5, "cotacaoVenda": 5.5006, "dataHoraCotacao": f"{hoje} 13:02"}
            ]
        },
    )
    assert tasks.atualizar_cotacao_bcb.run() == "5.5006"
    assert _cotacoes()[-1] == (hoje, Decimal("5.5006"))

    httpserver.clear()
    httpserver.expect_request(RECURSO).respond_with_response(Response("x", status=500))
    assert tasks.atualizar_cotacao_bcb.run() is None  # logged; the last rate stays in force
    assert _cotacoes()[-1] == (hoje, Decimal("5.5006"))


# ------------------------------------------------------------------------------- admin


def test_admin_lista_as_cotacoes(admin_client):
    _comando("--usd-brl", "5.42", "--data", "2026-12-05", "--fonte", "contrato de câmbio")
    pagina = admin_client.get(reverse("admin:ia_cotacaomoeda_changelist"))
    assert pagina.status_code == 200
    html = pagina.content.decode()
    assert "contrato de câmbio" in html
    assert "5,420000" in html or "5.420000" in html
    assert html.index("contrato de câmbio") < html.index("atualize no admin")  # newest first
