"""Secrets at rest: re-encrypt every encrypted field with the newest FIELD_ENCRYPTION_KEY.

Rotation: prepend the new key to ``FIELD_ENCRYPTION_KEY`` (all keys still decrypt), restart,
run ``manage.py rotacionar_chaves``, then drop the old key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import models, transaction

from atendimento.models.base import SegredosField

LOTE = 200


def campos_cifrados() -> Iterator[tuple[type[models.Model], list[str]]]:
    """(model, names of its encrypted fields) for every model that has some."""
    for modelo in apps.get_models():
        nomes = [c.name for c in modelo._meta.concrete_fields if isinstance(c, SegredosField)]
        if nomes:
            yield modelo, nomes


def esquecer_chaves_em_cache() -> None:
    """The fields cache their Fernet objects; forget them after FIELD_ENCRYPTION_KEY changes."""
    for modelo, nomes in campos_cifrados():
        for nome in nomes:
            campo = modelo._meta.get_field(nome)
            campo.__dict__.pop("keys", None)
            campo.__dict__.pop("f", None)


def total_de_linhas() -> int:
    return sum(modelo._base_manager.count() for modelo, _ in campos_cifrados())


def reencriptar(avancar: Callable[[int], None] = lambda n: None) -> int:
    """Decrypt with any configured key and write back with the first; returns rows rewritten.
    Each batch in its own transaction; re-running it is harmless."""
    reescritas = 0
    for modelo, nomes in campos_cifrados():
        gerente = modelo._base_manager
        chaves = list(gerente.order_by("pk").values_list("pk", flat=True))
        for inicio in range(0, len(chaves), LOTE):
            lote = chaves[inicio : inicio + LOTE]
            with transaction.atomic():
                for linha in gerente.filter(pk__in=lote).select_for_update().only("pk", *nomes):
                    gerente.filter(pk=linha.pk).update(**{n: getattr(linha, n) for n in nomes})
                    reescritas += 1
            avancar(len(lote))
    return reescritas
