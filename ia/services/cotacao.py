"""The dollar rate that converts AI costs to BRL (``CotacaoMoeda``), kept current.

A rate is recorded for a day (``registrar_cotacao``: given by hand, or fetched) and holds from
that day on: a call is converted with the latest rate on or before its day
(``ia.services.registro.cotacao_vigente``), so a rate recorded late never rewrites past costs.

``buscar_ptax`` reads the Banco Central do Brasil's PTAX selling rate (``cotacaoVenda``, BRL per
USD) from its public OData API (``CotacaoDolarDia``; base URL ``settings.BCB_PTAX_URL``). PTAX is
published on business days only (in the early afternoon, Brasília time): for a weekend, a holiday
or a day not yet published it steps back, day by day, to the latest published one (at most
``DIAS_ATRAS`` days)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import httpx
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ia.models import CotacaoMoeda

logger = logging.getLogger(__name__)

DIAS_ATRAS = 7
RECURSO_DIA = "CotacaoDolarDia(dataCotacao=@dataCotacao)"


class ErroCotacao(Exception):
    """No rate could be read or recorded (the message says why; nothing was written)."""


@dataclass(frozen=True)
class Ptax:
    dia: dt.date
    venda: Decimal
    compra: Decimal
    publicada_em: str  # ``dataHoraCotacao`` as the Banco Central wrote it


@transaction.atomic
def registrar_cotacao(
    *, valor, dia: dt.date, moeda: str = "BRL", fonte: str = ""
) -> tuple[CotacaoMoeda, bool]:
    """Record how many ``moeda`` one US dollar buys from ``dia`` on (replacing that day's rate
    if there is one). Returns the row and whether it is new."""
    try:
        valor = Decimal(str(valor))
    except InvalidOperation:
        raise ErroCotacao(_("Cotação inválida: %(valor)s.") % {"valor": valor}) from None
    if not valor.is_finite() or valor <= 0:
        raise ErroCotacao(_("A cotação deve ser um número positivo."))
    if valor != valor.quantize(Decimal("0.000001")) or valor >= 1_000_000:
        raise ErroCotacao(_("A cotação tem no máximo 6 casas decimais e 6 dígitos inteiros."))
    return CotacaoMoeda.objects.update_or_create(
        moeda=moeda, vigente_desde=dia, defaults={"valor": valor, "fonte": fonte[:255]}
    )


def _decimal(valor) -> Decimal:
    if isinstance(valor, bool) or not isinstance(valor, int | float | str):
        raise ValueError(valor)
    numero = Decimal(str(valor))
    if not numero.is_finite() or numero <= 0:
        raise ValueError(valor)
    return numero


def _ptax_do_dia(cliente: httpx.Client, url_base: str, dia: dt.date) -> Ptax | None:
    """The day's closing PTAX, or None when the day has none (not a business day, not yet
    published). The bulletin of the day is the latest ``dataHoraCotacao``."""
    resposta = cliente.get(
        f"{url_base.rstrip('/')}/{RECURSO_DIA}",
        params={
            "@dataCotacao": f"'{dia:%m-%d-%Y}'",
            "$format": "json",
            "$select": "cotacaoCompra,cotacaoVenda,dataHoraCotacao",
        },
    )
    if resposta.status_code != 200:
        raise ErroCotacao(
            _("O Banco Central respondeu HTTP %(status)s.") % {"status": resposta.status_code}
        )
    try:
        linhas = resposta.json()["value"]
        if not linhas:
            return None
        linha = max(linhas, key=lambda item: str(item.get("dataHoraCotacao", "")))
        return Ptax(
            dia=dia,
            venda=_decimal(linha["cotacaoVenda"]),
            compra=_decimal(linha["cotacaoCompra"]),
            publicada_em=str(linha.get("dataHoraCotacao", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation):
        raise ErroCotacao(_("Resposta do Banco Central fora do formato esperado.")) from None


def buscar_ptax(dia: dt.date, *, url_base: str | None = None, timeout: float = 10.0) -> Ptax:
    """The latest PTAX published on or before ``dia`` (within ``DIAS_ATRAS`` days)."""
    url_base = url_base or settings.BCB_PTAX_URL
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as cliente:
            for atras in range(DIAS_ATRAS + 1):
                ptax = _ptax_do_dia(cliente, url_base, dia - dt.timedelta(days=atras))
                if ptax is not None:
                    return ptax
    except httpx.HTTPError as exc:
        raise ErroCotacao(
            _("Sem resposta do Banco Central (%(erro)s).") % {"erro": type(exc).__name__}
        ) from exc
    raise ErroCotacao(
        _("O Banco Central não publicou PTAX entre %(de)s e %(ate)s.")
        % {"de": dia - dt.timedelta(days=DIAS_ATRAS), "ate": dia}
    )


def atualizar_pelo_bcb(
    dia: dt.date, *, url_base: str | None = None, timeout: float = 10.0
) -> tuple[CotacaoMoeda, bool]:
    """Fetch the PTAX of ``dia`` (or the latest before it) and record it from its own day."""
    ptax = buscar_ptax(dia, url_base=url_base, timeout=timeout)
    return registrar_cotacao(
        valor=ptax.venda,
        dia=ptax.dia,
        fonte=f"Banco Central do Brasil, PTAX venda ({ptax.publicada_em or ptax.dia})",
    )
