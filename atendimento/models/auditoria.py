"""The audit trail: who changed a channel's credentials, a queue, an agent's role, who exported
or erased personal data — per empresa, never with secret values."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa


class RegistroAuditoria(ModeloEmpresa):
    class Acao(models.TextChoices):
        CRIAR = "criar", _("Criação")
        ALTERAR = "alterar", _("Alteração")
        EXCLUIR = "excluir", _("Exclusão")
        EXPORTAR = "exportar", _("Exportação de dados")
        APAGAR_DADOS = "apagar_dados", _("Eliminação de dados pessoais")

    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuário"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: kept when the user is deleted: the trail outlives accounts
    usuario_nome = models.CharField(_("quem"), max_length=150, blank=True)
    origem = models.CharField(_("origem"), max_length=20, blank=True)  # admin, api, comando…
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    acao = models.CharField(_("ação"), max_length=20, choices=Acao.choices)
    objeto_tipo = models.CharField(_("tipo de objeto"), max_length=60)
    objeto_id = models.CharField(_("id do objeto"), max_length=64, blank=True)
    objeto_repr = models.CharField(_("objeto"), max_length=200, blank=True)
    #: names of what changed (secret values are never written here: only "segredos.<chave>")
    campos = models.JSONField(_("campos"), default=list, blank=True)
    detalhe = models.TextField(_("detalhe"), blank=True)

    class Meta:
        db_table = "atendimento_auditoria"
        verbose_name = _("registro de auditoria")
        verbose_name_plural = _("auditoria")
        ordering = ["-criado_em"]
        indexes = [models.Index(fields=["empresa", "-criado_em"], name="auditoria_empresa_data")]

    def __str__(self) -> str:
        return f"{self.usuario_nome or '—'} {self.get_acao_display()} {self.objeto_repr}"
