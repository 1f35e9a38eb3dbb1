"""A knowledge-base article is (re)indexed for retrieval whenever it is saved."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from ia.models import ArtigoConhecimento


@receiver(post_save, sender=ArtigoConhecimento, dispatch_uid="ia_indexar_artigo")
def _indexar_ao_salvar(sender, instance: ArtigoConhecimento, raw=False, **kwargs) -> None:
    if raw:
        return
    from ia.services.indexacao import indexar_artigo

    transaction.on_commit(lambda: indexar_artigo(instance))
