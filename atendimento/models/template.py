from __future__ import annotations

from django.db import models

from .base import ModeloEmpresa, SegredosField, chave_empresa


class Template(ModeloEmpresa):
    """A quick reply (``/atalho`` with ``{{contato.nome}}``-style variables) or an approved
    WhatsApp message template (for use outside the 24-hour window)."""

    class Tipo(models.TextChoices):
        RESPOSTA_RAPIDA = "resposta_rapida", "Resposta rápida"
        WHATSAPP = "whatsapp", "Template aprovado do WhatsApp"

    tipo = models.CharField(max_length=20, choices=Tipo.choices, default=Tipo.RESPOSTA_RAPIDA)
    nome = models.CharField(max_length=120)
    atalho = models.CharField(max_length=60, blank=True, help_text="Ex.: /saudacao")
    conteudo = models.TextField("conteúdo")
    categoria = models.CharField(max_length=60, blank=True)
    fila = models.ForeignKey(
        "atendimento.Fila",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="templates",
    )
    # WhatsApp template fields
    nome_whatsapp = models.CharField("nome no WhatsApp", max_length=512, blank=True)
    idioma = models.CharField(max_length=15, default="pt_BR")
    componentes = models.JSONField(default=list, blank=True)
    ativo = models.BooleanField(default=True)

    class Meta:
        db_table = "atendimento_templates"
        verbose_name = "template"
        verbose_name_plural = "templates"
        ordering = ["nome"]
        constraints = [
            chave_empresa("atendimento_templates"),
            models.UniqueConstraint(
                fields=["empresa", "atalho"],
                condition=~models.Q(atalho=""),
                name="template_empresa_atalho_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.atalho} {self.nome}".strip()


class IntegracaoConfig(ModeloEmpresa):
    """Per-empresa settings of an integration (AI providers, outbound e-mail); override the
    environment. ``segredos`` is encrypted at rest."""

    class Tipo(models.TextChoices):
        IA = "ia", "Inteligência artificial (provedor padrão)"
        OPENAI = "openai", "OpenAI"
        ANTHROPIC = "anthropic", "Anthropic"
        SMTP = "smtp", "SMTP"
        SENDGRID = "sendgrid", "SendGrid"

    tipo = models.CharField(max_length=20, choices=Tipo.choices)
    ativo = models.BooleanField(default=True)
    configuracao = models.JSONField("configuração", default=dict, blank=True)
    segredos = SegredosField(default=dict, blank=True)

    class Meta:
        db_table = "atendimento_integracoes_config"
        verbose_name = "configuração de integração"
        verbose_name_plural = "configurações de integração"
        constraints = [
            models.UniqueConstraint(
                fields=["empresa", "tipo"], name="integracao_empresa_tipo_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.get_tipo_display()
