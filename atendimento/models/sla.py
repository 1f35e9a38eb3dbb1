from __future__ import annotations

from django.db import models

from .base import ModeloEmpresa


class AlvoSla(models.TextChoices):
    PRIMEIRA_RESPOSTA = "primeira_resposta", "Primeira resposta"
    PROXIMA_RESPOSTA = "proxima_resposta", "Próxima resposta"
    RESOLUCAO = "resolucao", "Resolução"


class ViolacaoSla(ModeloEmpresa):
    """One missed SLA target of a ticket, recorded once (unique per ticket, target and
    deadline): who was responsible, which target, and by how much it was missed.

    ``atraso`` is the lateness known so far: at detection the time past the deadline, and when
    the target is finally met (``cumprido_em``) the final lateness."""

    Alvo = AlvoSla

    ticket = models.ForeignKey(
        "atendimento.Ticket", on_delete=models.CASCADE, related_name="violacoes_sla"
    )
    fila = models.ForeignKey(
        "atendimento.Fila", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    atendente = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="violacoes_sla",
        help_text="Responsável pelo ticket no momento da violação (vazio: ninguém).",
    )
    alvo = models.CharField(max_length=20, choices=AlvoSla.choices)
    prioridade = models.CharField(max_length=10)
    prazo = models.DateTimeField()
    violado_em = models.DateTimeField("registrada em")
    cumprido_em = models.DateTimeField("cumprido em", null=True, blank=True)
    atraso = models.DurationField()

    class Meta:
        db_table = "atendimento_violacoes_sla"
        verbose_name = "violação de SLA"
        verbose_name_plural = "violações de SLA"
        ordering = ["-violado_em"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "alvo", "prazo"], name="violacao_sla_ticket_alvo_prazo_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["empresa", "violado_em"], name="violacao_sla_empresa"),
            models.Index(fields=["empresa", "atendente", "violado_em"], name="violacao_sla_atend"),
        ]

    def __str__(self) -> str:
        return f"{self.get_alvo_display()} de {self.ticket_id} ({self.atraso})"


class AlertaSla(ModeloEmpresa):
    """An ``alerta_sla`` sent (before or at a deadline): the row makes a re-run send nothing."""

    class Momento(models.TextChoices):
        ANTES = "antes", "Antes do prazo"
        VIOLADO = "violado", "No prazo vencido"

    ticket = models.ForeignKey("atendimento.Ticket", on_delete=models.CASCADE, related_name="+")
    alvo = models.CharField(max_length=20, choices=AlvoSla.choices)
    prazo = models.DateTimeField()
    momento = models.CharField(max_length=10, choices=Momento.choices)

    class Meta:
        db_table = "atendimento_alertas_sla"
        verbose_name = "alerta de SLA"
        verbose_name_plural = "alertas de SLA"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "alvo", "prazo", "momento"], name="alerta_sla_uniq"
            )
        ]
