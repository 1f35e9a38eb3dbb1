from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa


class AlvoSla(models.TextChoices):
    PRIMEIRA_RESPOSTA = "primeira_resposta", _("Primeira resposta")
    PROXIMA_RESPOSTA = "proxima_resposta", _("Próxima resposta")
    RESOLUCAO = "resolucao", _("Resolução")


class ViolacaoSla(ModeloEmpresa):
    """One missed SLA target of a ticket, recorded once (unique per ticket, target and
    deadline): who was responsible, which target, and by how much it was missed.

    ``atraso`` is the lateness known so far: at detection the time past the deadline, and when
    the target is finally met (``cumprido_em``) the final lateness."""

    Alvo = AlvoSla

    ticket = models.ForeignKey(
        "atendimento.Ticket",
        on_delete=models.CASCADE,
        related_name="violacoes_sla",
        verbose_name=_("ticket"),
    )
    fila = models.ForeignKey(
        "atendimento.Fila",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fila"),
    )
    atendente = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="violacoes_sla",
        verbose_name=_("atendente"),
        help_text=_("Responsável pelo ticket no momento da violação (vazio: ninguém)."),
    )
    alvo = models.CharField(max_length=20, choices=AlvoSla.choices, verbose_name=_("alvo"))
    prioridade = models.CharField(max_length=10, verbose_name=_("prioridade"))
    prazo = models.DateTimeField(_("prazo"))
    violado_em = models.DateTimeField(_("registrada em"))
    cumprido_em = models.DateTimeField(_("cumprido em"), null=True, blank=True)
    atraso = models.DurationField(_("atraso"))

    class Meta:
        db_table = "atendimento_violacoes_sla"
        verbose_name = _("violação de SLA")
        verbose_name_plural = _("violações de SLA")
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
        ANTES = "antes", _("Antes do prazo")
        VIOLADO = "violado", _("No prazo vencido")

    ticket = models.ForeignKey(
        "atendimento.Ticket", on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket")
    )
    alvo = models.CharField(max_length=20, choices=AlvoSla.choices, verbose_name=_("alvo"))
    prazo = models.DateTimeField(_("prazo"))
    momento = models.CharField(max_length=10, choices=Momento.choices, verbose_name=_("momento"))

    class Meta:
        db_table = "atendimento_alertas_sla"
        verbose_name = _("alerta de SLA")
        verbose_name_plural = _("alertas de SLA")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "alvo", "prazo", "momento"], name="alerta_sla_uniq"
            )
        ]
