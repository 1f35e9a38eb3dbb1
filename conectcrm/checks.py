"""System checks of the project's own configuration: a Celery route that names no registered
task is an error (work routed to a queue nobody serves, or a typo, never sits silently)."""

from __future__ import annotations

import importlib
from fnmatch import fnmatchcase

from django.conf import settings
from django.core import checks


def tarefas_registradas() -> set[str]:
    """Every task name of the project: each installed app's ``tasks`` module imported (what
    Celery's autodiscovery does; not through its loader, which runs the system checks)."""
    from django.apps import apps

    from conectcrm.celery import app

    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
    return {nome for nome in app.tasks if not nome.startswith("celery.")}


@checks.register("celery")
def rotas_de_tarefas(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    nomes = tarefas_registradas()
    erros = []
    for rota in getattr(settings, "CELERY_TASK_ROUTES", {}):
        existe = any(fnmatchcase(n, rota) for n in nomes) if "*" in rota else rota in nomes
        if not existe:
            erros.append(
                checks.Error(
                    f"CELERY_TASK_ROUTES tem a rota {rota!r}, que não corresponde a nenhuma "
                    "tarefa registrada.",
                    hint="Remova a rota ou corrija o nome da tarefa (shared_task(name=...)).",
                    id="conectcrm.E001",
                )
            )
    return erros
