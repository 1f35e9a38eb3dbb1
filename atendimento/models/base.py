from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedJSONField


class ModeloEmpresa(models.Model):
    """Every domain row belongs to exactly one empresa (the tenant)."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    empresa = models.ForeignKey(
        "atendimento.Empresa", on_delete=models.CASCADE, related_name="+", verbose_name=_("empresa")
    )
    criado_em = models.DateTimeField(_("criado em"), auto_now_add=True)
    atualizado_em = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        abstract = True


def chave_empresa(tabela: str) -> models.UniqueConstraint:
    """Unique (empresa, id): the target of the composite foreign keys that make the database
    refuse a row pointing at another empresa's row (see migration 0002)."""
    return models.UniqueConstraint(fields=["empresa", "id"], name=f"{tabela}_empresa_id_uniq")


class SegredosField(EncryptedJSONField):
    """A JSON object whose values are Fernet-encrypted with ``FIELD_ENCRYPTION_KEY``.

    django-fernet-encrypted-fields derives its key from SECRET_KEY; secrets at rest must not
    depend on the session-signing key, so the key list comes from FIELD_ENCRYPTION_KEY
    (first key encrypts, all keys decrypt: rotation by prepending a new key).
    """

    @cached_property
    def keys(self) -> list[bytes]:
        return [chave.encode() for chave in settings.FIELD_ENCRYPTION_KEY]
