"""Record the dollar rate that converts AI costs to BRL (``CotacaoMoeda``).

    manage.py atualizar_cotacao --usd-brl 5.42                   # today's rate, given by hand
    manage.py atualizar_cotacao --usd-brl 5.42 --data 2026-12-05 # from that day on
    manage.py atualizar_cotacao --bcb                            # the Banco Central's PTAX
    manage.py atualizar_cotacao --bcb --data 2026-12-05          # ... of that day (or before)

A rate holds from its day on: each AI call is converted with the latest rate on or before the
day of the call. Recording a day again replaces that day's rate. ``--bcb`` reads the PTAX
selling rate from the Banco Central's public OData API (``BCB_PTAX_URL`` or ``--url-bcb``); on a
weekend, holiday or before the day's publication it records the latest business day's rate, under
that day. Nothing is written when the value or the answer is not usable (exit status 1).
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from ia.services.cotacao import ErroCotacao, atualizar_pelo_bcb, registrar_cotacao


def _data(valor: str) -> dt.date:
    try:
        return dt.date.fromisoformat(valor)
    except ValueError:
        raise CommandError(
            _("Data inválida: %(valor)s (use AAAA-MM-DD).") % {"valor": valor}
        ) from None


class Command(BaseCommand):
    help = "Record the USD→BRL rate of AI costs: given by hand or the Banco Central's PTAX."

    def add_arguments(self, parser) -> None:
        origem = parser.add_mutually_exclusive_group(required=True)
        origem.add_argument("--usd-brl", help="how many reais one dollar buys, e.g. 5.42")
        origem.add_argument(
            "--bcb", action="store_true", help="fetch the PTAX selling rate from the Banco Central"
        )
        parser.add_argument("--data", help="the rate's day, AAAA-MM-DD (default: today)")
        parser.add_argument("--fonte", default="", help="where a rate given by hand comes from")
        parser.add_argument("--url-bcb", default="", help="base URL of the PTAX OData API")
        parser.add_argument(
            "--timeout", type=float, default=10.0, help="seconds per request to the Banco Central"
        )

    def handle(self, *args, **options) -> None:
        dia = _data(options["data"]) if options["data"] else timezone.localdate()
        try:
            if options["bcb"]:
                cotacao, nova = atualizar_pelo_bcb(
                    dia, url_base=options["url_bcb"] or None, timeout=options["timeout"]
                )
            else:
                cotacao, nova = registrar_cotacao(
                    valor=options["usd_brl"].replace(",", "."),
                    dia=dia,
                    fonte=options["fonte"] or _("informada em atualizar_cotacao"),
                )
        except ErroCotacao as exc:
            raise CommandError(str(exc)) from None
        mensagem = (
            _("Cotação USD→BRL %(valor)s registrada, vigente desde %(dia)s (%(fonte)s).")
            if nova
            else _("Cotação USD→BRL de %(dia)s substituída por %(valor)s (%(fonte)s).")
        )
        self.stdout.write(
            mensagem
            % {
                "valor": f"{cotacao.valor.normalize():f}",
                "dia": cotacao.vigente_desde.isoformat(),
                "fonte": cotacao.fonte,
            }
        )
