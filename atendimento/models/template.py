from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, SegredosField, chave_empresa


class Template(ModeloEmpresa):
    """A quick reply (``/atalho`` with ``{{contato.nome}}``-style variables) or an approved
    WhatsApp message template (for use outside the 24-hour window)."""

    class Tipo(models.TextChoices):
        RESPOSTA_RAPIDA = "resposta_rapida", _("Resposta rápida")
        WHATSAPP = "whatsapp", _("Template aprovado do WhatsApp")

    tipo = models.CharField(
        max_length=20, choices=Tipo.choices, default=Tipo.RESPOSTA_RAPIDA, verbose_name=_("tipo")
    )
    nome = models.CharField(max_length=120, verbose_name=_("nome"))
    atalho = models.CharField(
        max_length=60, blank=True, help_text=_("Ex.: /saudacao"), verbose_name=_("atalho")
    )
    conteudo = models.TextField(_("conteúdo"))
    categoria = models.CharField(max_length=60, blank=True, verbose_name=_("categoria"))
    fila = models.ForeignKey(
        "atendimento.Fila",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="templates",
        verbose_name=_("fila"),
    )
    # WhatsApp template fields
    nome_whatsapp = models.CharField(
        _("nome no WhatsApp"),
        max_length=512,
        blank=True,
        help_text=_("Nome do template na Meta, ou o ContentSid (HX…) de um template do Twilio."),
    )
    idioma = models.CharField(max_length=15, default="pt_BR", verbose_name=_("idioma"))
    componentes = models.JSONField(default=list, blank=True, verbose_name=_("componentes"))
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    # synced from the provider (WhatsApp Cloud API message_templates)
    canal = models.ForeignKey(
        "atendimento.Canal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="templates",
        verbose_name=_("canal"),
        help_text=_("Canal de onde o template foi sincronizado."),
    )
    id_externo = models.CharField(_("id no provedor"), max_length=64, blank=True)
    status = models.CharField(
        max_length=20,
        blank=True,
        verbose_name=_("status"),
        help_text=_("Status na Meta: APPROVED, PENDING, REJECTED, PAUSED, DISABLED…"),
    )
    motivo_status = models.CharField(_("motivo do status"), max_length=255, blank=True)
    #: variable of the template ("1", "nome", "header.1", "botao.0.1") -> our expression
    #: (``{{contato.nome}}``) or a fixed text; filled at send time
    variaveis = models.JSONField(default=dict, blank=True, verbose_name=_("variáveis"))
    sincronizado_em = models.DateTimeField(_("sincronizado em"), null=True, blank=True)

    class Meta:
        db_table = "atendimento_templates"
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["nome"]
        constraints = [
            chave_empresa("atendimento_templates"),
            models.UniqueConstraint(
                fields=["empresa", "atalho"],
                condition=~models.Q(atalho=""),
                name="template_empresa_atalho_uniq",
            ),
            models.UniqueConstraint(
                fields=["canal", "nome_whatsapp", "idioma"],
                condition=models.Q(canal__isnull=False),
                name="template_canal_nome_idioma_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.atalho} {self.nome}".strip()


class IntegracaoConfig(ModeloEmpresa):
    """Per-empresa settings of an integration (AI providers, outbound e-mail); override the
    environment. ``segredos`` is encrypted at rest."""

    class Tipo(models.TextChoices):
        IA = "ia", _("Inteligência artificial (provedor padrão)")
        OPENAI = "openai", _("OpenAI")
        ANTHROPIC = "anthropic", _("Anthropic")
        SMTP = "smtp", _("SMTP")
        SENDGRID = "sendgrid", _("SendGrid")

    tipo = models.CharField(max_length=20, choices=Tipo.choices, verbose_name=_("tipo"))
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    configuracao = models.JSONField(_("configuração"), default=dict, blank=True)
    segredos = SegredosField(default=dict, blank=True, verbose_name=_("segredos"))

    class Meta:
        db_table = "atendimento_integracoes_config"
        verbose_name = _("configuração de integração")
        verbose_name_plural = _("configurações de integração")
        constraints = [
            models.UniqueConstraint(
                fields=["empresa", "tipo"], name="integracao_empresa_tipo_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.get_tipo_display()
