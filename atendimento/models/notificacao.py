"""In-app (and e-mail) notifications for the people of an empresa, and what each one wants."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa


class TipoNotificacao(models.TextChoices):
    NOVO_TICKET = "novo_ticket", _("Novo ticket")
    ALERTA_SLA = "alerta_sla", _("Alerta de SLA")
    TICKET_SEM_RESPOSTA = "ticket_sem_resposta", _("Cliente sem resposta")
    ALERTA_CHURN = "alerta_churn", _("Risco de churn")
    RESUMO_DIARIO = "resumo_diario", _("Resumo diário")


class Notificacao(ModeloEmpresa):
    """One notice to one atendente. ``chave`` names the event it is about (e.g.
    ``novo_ticket:<ticket id>``): unique per atendente, so a job that runs again sends nothing
    twice — the database refuses the second row."""

    Tipo = TipoNotificacao

    atendente = models.ForeignKey(
        "atendimento.Atendente",
        verbose_name=_("atendente"),
        on_delete=models.CASCADE,
        related_name="notificacoes",
    )
    tipo = models.CharField(_("tipo"), max_length=30, choices=TipoNotificacao.choices)
    titulo = models.CharField(_("título"), max_length=200)
    corpo = models.TextField(_("texto"), blank=True)
    ticket = models.ForeignKey(
        "atendimento.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    chave = models.CharField(_("chave"), max_length=200)
    lida_em = models.DateTimeField(_("lida em"), null=True, blank=True)
    #: e-mail: asked by the sender and wanted by the atendente; then sent (or the error)
    email_pedido = models.BooleanField(_("por e-mail"), default=False)
    email_enviado_em = models.DateTimeField(_("e-mail enviado em"), null=True, blank=True)
    email_erro = models.TextField(_("erro do e-mail"), blank=True)

    class Meta:
        db_table = "atendimento_notificacoes"
        verbose_name = _("notificação")
        verbose_name_plural = _("notificações")
        ordering = ["-criado_em"]
        constraints = [
            chave_empresa("atendimento_notificacoes"),
            models.UniqueConstraint(fields=["atendente", "chave"], name="notificacao_chave_uniq"),
        ]
        indexes = [
            models.Index(
                fields=["atendente", "-criado_em"],
                name="notificacao_nao_lidas",
                condition=models.Q(lida_em__isnull=True),
            ),
            models.Index(fields=["atendente", "-criado_em"], name="notificacao_atendente"),
            # "already told about this ticket?" (ticket_sem_resposta skips those)
            models.Index(
                fields=["ticket", "tipo", "criado_em"],
                name="notificacao_ticket",
                condition=models.Q(ticket__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.titulo


class PreferenciaNotificacao(ModeloEmpresa):
    """What an atendente wants of one kind of notification. No row: everything on."""

    atendente = models.ForeignKey(
        "atendimento.Atendente",
        verbose_name=_("atendente"),
        on_delete=models.CASCADE,
        related_name="preferencias_notificacao",
    )
    tipo = models.CharField(_("tipo"), max_length=30, choices=TipoNotificacao.choices)
    #: off: this kind is muted (neither in the app nor by e-mail)
    ativa = models.BooleanField(_("receber"), default=True)
    #: off: in the app only, never by e-mail
    email = models.BooleanField(_("também por e-mail"), default=True)

    class Meta:
        db_table = "atendimento_preferencias_notificacao"
        verbose_name = _("preferência de notificação")
        verbose_name_plural = _("preferências de notificação")
        constraints = [
            models.UniqueConstraint(
                fields=["atendente", "tipo"], name="preferencia_notificacao_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.atendente} · {self.get_tipo_display()}"
