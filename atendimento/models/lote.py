from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa


class EnvioLote(ModeloEmpresa):
    """A bulk send: one template (or text) to a list of contacts on one channel, sent by the
    ``enviar_lote`` task at the channel's rate.  Each recipient's outcome is a
    :class:`DestinatarioLote`."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", _("Na fila")
        ENVIANDO = "enviando", _("Enviando")
        CONCLUIDO = "concluido", _("Concluído")
        CANCELADO = "cancelado", _("Cancelado")

    canal = models.ForeignKey(
        "atendimento.Canal", on_delete=models.PROTECT, related_name="+", verbose_name=_("canal")
    )
    template = models.ForeignKey(
        "atendimento.Template",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    conteudo = models.TextField(_("conteúdo"), blank=True)
    variaveis = models.JSONField(default=dict, blank=True, verbose_name=_("variáveis"))
    criado_por = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("criado por"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDENTE, verbose_name=_("status")
    )
    taxa_por_segundo = models.FloatField(_("mensagens por segundo"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    iniciado_em = models.DateTimeField(_("iniciado em"), null=True, blank=True)
    concluido_em = models.DateTimeField(_("concluído em"), null=True, blank=True)

    class Meta:
        db_table = "atendimento_envios_lote"
        verbose_name = _("envio em lote")
        verbose_name_plural = _("envios em lote")
        ordering = ["-criado_em"]
        constraints = [chave_empresa("atendimento_envios_lote")]

    def __str__(self) -> str:
        return f"{self.canal_id} {self.criado_em:%Y-%m-%d %H:%M} ({self.total})"


class DestinatarioLote(ModeloEmpresa):
    """One contact of a bulk send: skipped (with the reason), or the message sent to them
    (whose own status — enviada, entregue, lida, erro — is the delivery result)."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", _("Aguardando")
        ENFILEIRADO = "enfileirado", _("Mensagem criada")
        IGNORADO = "ignorado", _("Ignorado")
        ERRO = "erro", _("Erro")

    lote = models.ForeignKey(
        EnvioLote, on_delete=models.CASCADE, related_name="destinatarios", verbose_name=_("lote")
    )
    contato = models.ForeignKey(
        "atendimento.Contato",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("contato"),
    )
    posicao = models.PositiveIntegerField(_("posição"))
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDENTE, verbose_name=_("status")
    )
    motivo = models.TextField(blank=True, verbose_name=_("motivo"))
    mensagem = models.ForeignKey(
        "atendimento.Mensagem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mensagem"),
    )
    processado_em = models.DateTimeField(_("processado em"), null=True, blank=True)

    class Meta:
        db_table = "atendimento_destinatarios_lote"
        verbose_name = _("destinatário do lote")
        verbose_name_plural = _("destinatários do lote")
        ordering = ["lote", "posicao"]
        constraints = [
            chave_empresa("atendimento_destinatarios_lote"),
            models.UniqueConstraint(fields=["lote", "contato"], name="destinatario_lote_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.lote_id} #{self.posicao} {self.status}"
