from __future__ import annotations

import uuid

from django.db import models


class Empresa(models.Model):
    """The tenant. Nothing of one empresa is ever visible to another."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    nome = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    ativo = models.BooleanField(default=True)
    fuso_horario = models.CharField("fuso horário", max_length=64, default="America/Sao_Paulo")
    # Counter behind Ticket.numero; incremented by the database trigger (migration 0002).
    ultimo_numero_ticket = models.PositiveIntegerField(default=0, editable=False)
    configuracoes = models.JSONField("configurações", default=dict, blank=True)
    criado_em = models.DateTimeField("criada em", auto_now_add=True)
    atualizado_em = models.DateTimeField("atualizada em", auto_now=True)

    class Meta:
        db_table = "atendimento_empresas"
        verbose_name = "empresa"
        verbose_name_plural = "empresas"
        ordering = ["nome"]

    def __str__(self) -> str:
        return self.nome
