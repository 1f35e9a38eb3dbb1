from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa


class Atendente(ModeloEmpresa):
    """A user working for one empresa, with a role, a live status and a capacity."""

    class Papel(models.TextChoices):
        ADMIN = "admin", _("Administrador")
        SUPERVISOR = "supervisor", _("Supervisor")
        ATENDENTE = "atendente", _("Atendente")

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AUSENTE = "ausente", _("Ausente")
        OCUPADO = "ocupado", _("Ocupado")
        OFFLINE = "offline", _("Offline")

    usuario = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="atendente",
        verbose_name=_("usuário"),
    )
    nome = models.CharField(max_length=150, verbose_name=_("nome"))
    email = models.EmailField(blank=True, verbose_name=_("e-mail"))
    papel = models.CharField(
        max_length=20, choices=Papel.choices, default=Papel.ATENDENTE, verbose_name=_("papel")
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OFFLINE, verbose_name=_("status")
    )
    status_alterado_em = models.DateTimeField(_("status alterado em"), null=True, blank=True)
    capacidade = models.PositiveSmallIntegerField(
        default=5, help_text=_("Máximo de tickets simultâneos."), verbose_name=_("capacidade")
    )
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    idioma = models.CharField(
        _("idioma"),
        max_length=10,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        help_text=_(
            "Língua das notificações e dos e-mails desta pessoa (a troca de idioma da caixa de "
            "entrada a guarda); vazio: a língua padrão do sistema."
        ),
    )
    filas = models.ManyToManyField(
        "atendimento.Fila",
        through="atendimento.AtendenteFila",
        related_name="atendentes",
        verbose_name=_("filas"),
    )

    class Meta:
        db_table = "atendimento_atendentes"
        verbose_name = _("atendente")
        verbose_name_plural = _("atendentes")
        ordering = ["nome"]
        constraints = [chave_empresa("atendimento_atendentes")]
        indexes = [models.Index(fields=["empresa", "status"], name="atendente_empresa_status")]

    def __str__(self) -> str:
        return self.nome

    @property
    def idioma_efetivo(self) -> str:
        """The language this person's notifications and e-mails are written in."""
        return self.idioma or settings.LANGUAGE_CODE

    @property
    def gerencia_empresa(self) -> bool:
        """Admins and supervisors see and manage the whole empresa."""
        return self.papel in (self.Papel.ADMIN, self.Papel.SUPERVISOR)


class AtendenteFila(ModeloEmpresa):
    """Membership of an agent in a queue (membership = visibility of the queue's tickets)."""

    atendente = models.ForeignKey(
        Atendente,
        on_delete=models.CASCADE,
        related_name="membros_fila",
        verbose_name=_("atendente"),
    )
    fila = models.ForeignKey(
        "atendimento.Fila", on_delete=models.CASCADE, related_name="membros", verbose_name=_("fila")
    )
    prioridade = models.PositiveSmallIntegerField(
        default=0,
        help_text=_("Maior prioridade recebe primeiro na distribuição."),
        verbose_name=_("prioridade"),
    )

    class Meta:
        db_table = "atendimento_atendente_fila"
        verbose_name = _("atendente da fila")
        verbose_name_plural = _("atendentes da fila")
        constraints = [
            models.UniqueConstraint(fields=["atendente", "fila"], name="atendente_fila_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.atendente} em {self.fila}"
