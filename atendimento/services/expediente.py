"""Business hours: a weekly schedule in the empresa's time zone, minus holidays (Brazilian
national holidays from the ``holidays`` library plus the empresa's and the queue's own dates).

The schedule of a queue is ``Fila.horario``; an empty one falls back to the empresa's
(``Empresa.configuracoes["horario"]``), and no schedule at all means always open (24x7).
Format: ``{"seg": ["08:00", "18:00"], ..., "dom": [...], "feriados": ["2026-12-24"]}``; a
missing weekday is a closed day. ``Empresa.configuracoes["feriados"]`` adds dates to every
queue of the empresa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from atendimento.models import Empresa, Fila
from atendimento.models.validacao import DIAS, erros_horario

FUSO_PADRAO = "America/Sao_Paulo"
#: how far ahead a deadline is searched for (a schedule always has an open weekday)
_MAX_DIAS = 3 * 366


@lru_cache(maxsize=64)
def _nacionais(ano: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BR", years=ano).keys())


def _fuso(nome: str) -> ZoneInfo:
    try:
        return ZoneInfo(nome or FUSO_PADRAO)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FUSO_PADRAO)


@dataclass(frozen=True)
class Expediente:
    fuso: ZoneInfo
    #: weekday (0 = Monday) -> (opening, closing) local times
    janelas: dict[int, tuple[time, time]]
    feriados: frozenset[date] = frozenset()

    @property
    def sempre_aberto(self) -> bool:
        return not self.janelas

    def feriado(self, dia: date) -> bool:
        return dia in self.feriados or dia in _nacionais(dia.year)

    def _janela(self, dia: date) -> tuple[datetime, datetime] | None:
        horas = self.janelas.get(dia.weekday())
        if horas is None or self.feriado(dia):
            return None
        inicio = datetime.combine(dia, horas[0], tzinfo=self.fuso)
        return inicio, datetime.combine(dia, horas[1], tzinfo=self.fuso)

    def aberto(self, instante: datetime) -> bool:
        if self.sempre_aberto:
            return True
        janela = self._janela(instante.astimezone(self.fuso).date())
        return janela is not None and janela[0] <= instante < janela[1]

    def somar(self, inicio: datetime, duracao: timedelta) -> datetime:
        """The instant ``duracao`` of business time after ``inicio`` (a clock started outside
        business hours starts at the next opening)."""
        if self.sempre_aberto:
            return inicio + duracao
        restante = duracao
        dia = inicio.astimezone(self.fuso).date()
        for _ in range(_MAX_DIAS):
            janela = self._janela(dia)
            if janela is not None and janela[1] > inicio:
                de = max(inicio, janela[0])
                trecho = janela[1] - de
                if restante <= trecho:
                    return de + restante
                restante -= trecho
            dia += timedelta(days=1)
        raise ValueError("horário sem nenhum dia útil")  # pragma: no cover - validated schedule

    def entre(self, inicio: datetime, fim: datetime) -> timedelta:
        """Business time between two instants (zero when ``fim`` is not after ``inicio``)."""
        if fim <= inicio:
            return timedelta(0)
        if self.sempre_aberto:
            return fim - inicio
        total = timedelta(0)
        dia = inicio.astimezone(self.fuso).date()
        ultimo = fim.astimezone(self.fuso).date()
        while dia <= ultimo:
            janela = self._janela(dia)
            if janela is not None:
                de, ate = max(inicio, janela[0]), min(fim, janela[1])
                if ate > de:
                    total += ate - de
            dia += timedelta(days=1)
        return total


def expediente(horario: dict | None, *, fuso: str = FUSO_PADRAO, feriados=()) -> Expediente:
    horario = horario or {}
    janelas = {
        i: (time.fromisoformat(horario[dia][0]), time.fromisoformat(horario[dia][1]))
        for i, dia in enumerate(DIAS)
        if dia in horario
    }
    datas = {date.fromisoformat(d) for d in [*horario.get("feriados", []), *feriados]}
    return Expediente(fuso=_fuso(fuso), janelas=janelas, feriados=frozenset(datas))


def expediente_da_fila(fila: Fila | None, empresa: Empresa) -> Expediente:
    """The business hours that time a ticket of ``fila`` (None: the empresa's)."""
    config = empresa.configuracoes or {}
    horario = (fila.horario if fila is not None else None) or config.get("horario") or {}
    extras = config.get("feriados") or []
    if erros_horario(horario) or erros_horario({"feriados": extras, "seg": ["00:00", "23:59"]}):
        horario, extras = {}, []  # an unvalidated empresa setting never breaks the clock
    return expediente(horario, fuso=empresa.fuso_horario, feriados=extras)
