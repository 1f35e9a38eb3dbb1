from __future__ import annotations

from django.db import models

from .base import ModeloEmpresa, chave_empresa


class Fila(ModeloEmpresa):
    """A queue: routes, distributes and times (SLA) the work."""

    class Distribuicao(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Rodízio (round robin)"
        MENOS_OCUPADO = "menos_ocupado", "Menos ocupado"
        MANUAL = "manual", "Manual"

    class Reabertura(models.TextChoices):
        REABRIR = "reabrir", "Reabrir o último ticket dentro da janela"
        NOVO = "novo", "Sempre abrir um novo ticket"

    nome = models.CharField(max_length=120)
    descricao = models.TextField("descrição", blank=True)
    cor = models.CharField(max_length=7, default="#2563eb")
    ordem = models.PositiveSmallIntegerField(default=0)
    ativo = models.BooleanField(default=True)
    distribuicao = models.CharField(
        "distribuição", max_length=20, choices=Distribuicao.choices, default=Distribuicao.MANUAL
    )
    sla_primeira_resposta_min = models.PositiveIntegerField(
        "SLA de primeira resposta (min)", null=True, blank=True
    )
    sla_resolucao_min = models.PositiveIntegerField("SLA de resolução (min)", null=True, blank=True)
    alerta_sem_resposta_min = models.PositiveIntegerField(
        "alerta de cliente sem resposta (min)",
        null=True,
        blank=True,
        help_text="Avisa os atendentes quando o cliente espera mais que isso. Vazio: o padrão "
        "da empresa.",
    )
    horario = models.JSONField(
        "horário de atendimento",
        default=dict,
        blank=True,
        help_text='Ex.: {"seg": ["08:00", "18:00"], ..., "feriados": ["2026-12-25"]}',
    )
    reabertura = models.CharField(
        max_length=10, choices=Reabertura.choices, default=Reabertura.REABRIR
    )
    janela_reabertura_horas = models.PositiveIntegerField(
        "janela de reabertura (h)",
        default=24,
        help_text="Mensagem de um contato até N horas após o fechamento reabre o ticket.",
    )
    ultimo_atendente_distribuido = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        db_table = "atendimento_filas"
        verbose_name = "fila"
        verbose_name_plural = "filas"
        ordering = ["ordem", "nome"]
        constraints = [
            chave_empresa("atendimento_filas"),
            models.UniqueConstraint(fields=["empresa", "nome"], name="fila_empresa_nome_uniq"),
        ]

    def __str__(self) -> str:
        return self.nome
