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
    nome_whatsapp = models.CharField(
        "nome no WhatsApp",
        max_length=512,
        blank=True,
        help_text="Nome do template na Meta, ou o ContentSid (HX…) de um template do Twilio.",
    )
    idioma = models.CharField(max_length=15, default="pt_BR")
    componentes = models.JSONField(default=list, blank=True)
    ativo = models.BooleanField(default=True)
    # synced from the provider (WhatsApp Cloud API message_templates)
    canal = models.ForeignKey(
        "atendimento.Canal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="templates",
        help_text="Canal de onde o template foi sincronizado.",
    )
    id_externo = models.CharField("id no provedor", max_length=64, blank=True)
    status = models.CharField(
        max_length=20,
        blank=True,
        help_text="Status na Meta: APPROVED, PENDING, REJECTED, PAUSED, DISABLED…",
    )
    motivo_status = models.CharField("motivo do status", max_length=255, blank=True)
    #: variable of the template ("1", "nome", "header.1", "botao.0.1") -> our expression
    #: (``{{contato.nome}}``) or a fixed text; filled at send time
    variaveis = models.JSONField(default=dict, blank=True)
    sincronizado_em = models.DateTimeField("sincronizado em", null=True, blank=True)

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
