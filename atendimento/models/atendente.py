from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import ModeloEmpresa, chave_empresa


class Atendente(ModeloEmpresa):
    """A user working for one empresa, with a role, a live status and a capacity."""

    class Papel(models.TextChoices):
        ADMIN = "admin", "Administrador"
        SUPERVISOR = "supervisor", "Supervisor"
        ATENDENTE = "atendente", "Atendente"

    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        AUSENTE = "ausente", "Ausente"
        OCUPADO = "ocupado", "Ocupado"
        OFFLINE = "offline", "Offline"

    usuario = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="atendente"
    )
    nome = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    papel = models.CharField(max_length=20, choices=Papel.choices, default=Papel.ATENDENTE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OFFLINE)
    status_alterado_em = models.DateTimeField("status alterado em", null=True, blank=True)
    capacidade = models.PositiveSmallIntegerField(
        default=5, help_text="Máximo de tickets simultâneos."
    )
    ativo = models.BooleanField(default=True)
    filas = models.ManyToManyField(
        "atendimento.Fila", through="atendimento.AtendenteFila", related_name="atendentes"
    )

    class Meta:
        db_table = "atendimento_atendentes"
        verbose_name = "atendente"
        verbose_name_plural = "atendentes"
        ordering = ["nome"]
        constraints = [chave_empresa("atendimento_atendentes")]
        indexes = [models.Index(fields=["empresa", "status"], name="atendente_empresa_status")]

    def __str__(self) -> str:
        return self.nome

    @property
    def gerencia_empresa(self) -> bool:
        """Admins and supervisors see and manage the whole empresa."""
        return self.papel in (self.Papel.ADMIN, self.Papel.SUPERVISOR)


class AtendenteFila(ModeloEmpresa):
    """Membership of an agent in a queue (membership = visibility of the queue's tickets)."""

    atendente = models.ForeignKey(Atendente, on_delete=models.CASCADE, related_name="membros_fila")
    fila = models.ForeignKey("atendimento.Fila", on_delete=models.CASCADE, related_name="membros")
    prioridade = models.PositiveSmallIntegerField(
        default=0, help_text="Maior prioridade recebe primeiro na distribuição."
    )

    class Meta:
        db_table = "atendimento_atendente_fila"
        verbose_name = "atendente da fila"
        verbose_name_plural = "atendentes da fila"
        constraints = [
            models.UniqueConstraint(fields=["atendente", "fila"], name="atendente_fila_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.atendente} em {self.fila}"
