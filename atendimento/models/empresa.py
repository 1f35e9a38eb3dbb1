from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Empresa(models.Model):
    """The tenant. Nothing of one empresa is ever visible to another."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    nome = models.CharField(max_length=200, verbose_name=_("nome"))
    slug = models.SlugField(max_length=80, unique=True, verbose_name=_("slug"))
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    fuso_horario = models.CharField(_("fuso horário"), max_length=64, default="America/Sao_Paulo")
    # Counter behind Ticket.numero; incremented by the database trigger (migration 0002).
    ultimo_numero_ticket = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("último número de ticket")
    )
    configuracoes = models.JSONField(_("configurações"), default=dict, blank=True)
    criado_em = models.DateTimeField(_("criada em"), auto_now_add=True)
    atualizado_em = models.DateTimeField(_("atualizada em"), auto_now=True)

    class Meta:
        db_table = "atendimento_empresas"
        verbose_name = _("empresa")
        verbose_name_plural = _("empresas")
        ordering = ["nome"]

    def __str__(self) -> str:
        return self.nome
