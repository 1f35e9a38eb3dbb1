from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa


class Fila(ModeloEmpresa):
    """A queue: routes, distributes and times (SLA) the work."""

    class Distribuicao(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Rodízio (round robin)")
        MENOS_OCUPADO = "menos_ocupado", _("Menos ocupado")
        MANUAL = "manual", _("Manual")

    class Reabertura(models.TextChoices):
        REABRIR = "reabrir", _("Reabrir o último ticket dentro da janela")
        NOVO = "novo", _("Sempre abrir um novo ticket")

    nome = models.CharField(max_length=120, verbose_name=_("nome"))
    descricao = models.TextField(_("descrição"), blank=True)
    cor = models.CharField(max_length=7, default="#2563eb", verbose_name=_("cor"))
    ordem = models.PositiveSmallIntegerField(default=0, verbose_name=_("ordem"))
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    distribuicao = models.CharField(
        _("distribuição"), max_length=20, choices=Distribuicao.choices, default=Distribuicao.MANUAL
    )
    sla_primeira_resposta_min = models.PositiveIntegerField(
        _("SLA de primeira resposta (min)"), null=True, blank=True
    )
    sla_resolucao_min = models.PositiveIntegerField(
        _("SLA de resolução (min)"), null=True, blank=True
    )
    alerta_sem_resposta_min = models.PositiveIntegerField(
        _("alerta de cliente sem resposta (min)"),
        null=True,
        blank=True,
        help_text=_(
            "Avisa os atendentes quando o cliente espera mais que isso. Vazio: o padrão da empresa."
        ),
    )
    horario = models.JSONField(
        _("horário de atendimento"),
        default=dict,
        blank=True,
        help_text=_('Ex.: {"seg": ["08:00", "18:00"], ..., "feriados": ["2026-12-25"]}'),
    )
    reabertura = models.CharField(
        max_length=10,
        choices=Reabertura.choices,
        default=Reabertura.REABRIR,
        verbose_name=_("reabertura"),
    )
    janela_reabertura_horas = models.PositiveIntegerField(
        _("janela de reabertura (h)"),
        default=24,
        help_text=_("Mensagem de um contato até N horas após o fechamento reabre o ticket."),
    )
    ultimo_atendente_distribuido = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("último atendente distribuído"),
    )

    class Meta:
        db_table = "atendimento_filas"
        verbose_name = _("fila")
        verbose_name_plural = _("filas")
        ordering = ["ordem", "nome"]
        constraints = [
            chave_empresa("atendimento_filas"),
            models.UniqueConstraint(fields=["empresa", "nome"], name="fila_empresa_nome_uniq"),
        ]

    def __str__(self) -> str:
        return self.nome
