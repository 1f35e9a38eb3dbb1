from __future__ import annotations

from django.db import models

from .base import ModeloEmpresa, chave_empresa


class EnvioLote(ModeloEmpresa):
    """A bulk send: one template (or text) to a list of contacts on one channel, sent by the
    ``enviar_lote`` task at the channel's rate.  Each recipient's outcome is a
    :class:`DestinatarioLote`."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", "Na fila"
        ENVIANDO = "enviando", "Enviando"
        CONCLUIDO = "concluido", "Concluído"
        CANCELADO = "cancelado", "Cancelado"

    canal = models.ForeignKey("atendimento.Canal", on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(
        "atendimento.Template", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    conteudo = models.TextField("conteúdo", blank=True)
    variaveis = models.JSONField(default=dict, blank=True)
    criado_por = models.ForeignKey(
        "atendimento.Atendente", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDENTE)
    taxa_por_segundo = models.FloatField("mensagens por segundo")
    total = models.PositiveIntegerField(default=0)
    iniciado_em = models.DateTimeField("iniciado em", null=True, blank=True)
    concluido_em = models.DateTimeField("concluído em", null=True, blank=True)

    class Meta:
        db_table = "atendimento_envios_lote"
        verbose_name = "envio em lote"
        verbose_name_plural = "envios em lote"
        ordering = ["-criado_em"]
        constraints = [chave_empresa("atendimento_envios_lote")]

    def __str__(self) -> str:
        return f"{self.canal_id} {self.criado_em:%Y-%m-%d %H:%M} ({self.total})"


class DestinatarioLote(ModeloEmpresa):
    """One contact of a bulk send: skipped (with the reason), or the message sent to them
    (whose own status — enviada, entregue, lida, erro — is the delivery result)."""

    class Status(models.TextChoices):
        PENDENTE = "pendente", "Aguardando"
        ENFILEIRADO = "enfileirado", "Mensagem criada"
        IGNORADO = "ignorado", "Ignorado"
        ERRO = "erro", "Erro"

    lote = models.ForeignKey(EnvioLote, on_delete=models.CASCADE, related_name="destinatarios")
    contato = models.ForeignKey("atendimento.Contato", on_delete=models.CASCADE, related_name="+")
    posicao = models.PositiveIntegerField("posição")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDENTE)
    motivo = models.TextField(blank=True)
    mensagem = models.ForeignKey(
        "atendimento.Mensagem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processado_em = models.DateTimeField("processado em", null=True, blank=True)

    class Meta:
        db_table = "atendimento_destinatarios_lote"
        verbose_name = "destinatário do lote"
        verbose_name_plural = "destinatários do lote"
        ordering = ["lote", "posicao"]
        constraints = [
            chave_empresa("atendimento_destinatarios_lote"),
            models.UniqueConstraint(fields=["lote", "contato"], name="destinatario_lote_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.lote_id} #{self.posicao} {self.status}"
