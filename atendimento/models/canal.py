from __future__ import annotations

import enum
import uuid
from typing import Any

from django.db import models

from .base import ModeloEmpresa, SegredosField, chave_empresa
from .fila import ModoResposta


def tipos_de_canal() -> list[tuple[str, Any]]:
    """``Canal.tipo``'s choices: every registered adapter (``canais/registry.py``)."""
    from canais.registry import escolhas

    return escolhas()


class Canal(ModeloEmpresa):
    """A channel of an empresa: one WhatsApp number, one Telegram bot, one Twilio number, one
    support e-mail address.  ``config`` holds the public keys, ``segredos`` the secret ones
    (encrypted at rest, never returned by the API or the admin)."""

    class Tipo(enum.StrEnum):
        """Names of the built-in channels, for code that speaks of one of them.  The choices
        of ``tipo`` (labels included) come from the adapter registry (:func:`tipos_de_canal`):
        a new channel is its adapter package, with no change here."""

        WHATSAPP = "whatsapp"
        TELEGRAM = "telegram"
        TWILIO = "twilio"
        EMAIL = "email"
        WEBCHAT = "webchat"

    tipo = models.CharField(max_length=20, choices=tipos_de_canal)
    nome = models.CharField(max_length=120)
    ativo = models.BooleanField(default=False)
    config = models.JSONField("configuração", default=dict, blank=True)
    segredos = SegredosField(default=dict, blank=True)
    # Routing key used to find the channel of an inbound webhook inside the URL's empresa:
    # WhatsApp phone_number_id, sha256 of the Telegram secret, Twilio number, e-mail address.
    identificador = models.CharField(max_length=200, db_index=True, editable=False, default="")
    fila_padrao = models.ForeignKey(
        "atendimento.Fila",
        verbose_name="fila padrão",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="canais",
    )
    webhook_registrado_em = models.DateTimeField(null=True, blank=True, editable=False)
    ultimo_teste_em = models.DateTimeField("último teste em", null=True, blank=True, editable=False)
    ultimo_teste_ok = models.BooleanField("último teste ok", null=True, editable=False)
    ultimo_teste_detalhe = models.TextField("resultado do último teste", blank=True, editable=False)
    # first-contact menu (atendimento.services.menu_inicial)
    menu_ativo = models.BooleanField(
        "menu de primeiro contato",
        default=False,
        help_text="Numa conversa nova, o cliente escolhe a fila respondendo ao menu.",
    )
    menu_saudacao = models.TextField(
        "saudação do menu",
        blank=True,
        default="Olá! Para agilizar seu atendimento, responda com o número da opção:",
        help_text="Enviada antes das opções. Aceita {{contato.nome}}.",
    )
    menu_opcao_invalida = models.TextField(
        "resposta a opção inválida",
        blank=True,
        default="Não entendi sua resposta. Por favor, escolha uma das opções:",
    )
    menu_tentativas = models.PositiveSmallIntegerField(
        "tentativas do menu",
        default=3,
        help_text="Respostas inválidas aceitas antes de ir para a fila padrão.",
    )
    menu_espera_min = models.PositiveIntegerField(
        "espera pela escolha (min)",
        default=10,
        help_text="Sem resposta nesse prazo, o ticket vai para a fila padrão.",
    )
    resposta_automatica = models.CharField(
        "resposta automática",
        max_length=20,
        blank=True,
        default="",
        choices=ModoResposta.choices,
        help_text="Vazio: segue a política da fila do ticket.",
    )

    class Meta:
        db_table = "atendimento_canais"
        verbose_name = "canal"
        verbose_name_plural = "canais"
        ordering = ["nome"]
        constraints = [
            chave_empresa("atendimento_canais"),
            models.UniqueConstraint(
                fields=["empresa", "tipo", "identificador"],
                condition=~models.Q(identificador=""),
                name="canal_empresa_tipo_identificador_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nome} ({self.get_tipo_display()})"

    @property
    def config_completa(self) -> dict:
        """Public config and decrypted secrets together: what an adapter receives."""
        return {**(self.config or {}), **(self.segredos or {})}


class OpcaoMenu(ModeloEmpresa):
    """One option of a channel's first-contact menu: "1 - Vendas" sends to the Vendas queue."""

    canal = models.ForeignKey(Canal, on_delete=models.CASCADE, related_name="opcoes_menu")
    numero = models.PositiveSmallIntegerField("número")
    rotulo = models.CharField("rótulo", max_length=60)
    fila = models.ForeignKey("atendimento.Fila", on_delete=models.CASCADE, related_name="+")
    sinonimos = models.CharField(
        "sinônimos",
        max_length=300,
        blank=True,
        help_text="Outras palavras que escolhem esta opção, separadas por vírgula.",
    )

    class Meta:
        db_table = "atendimento_opcoes_menu"
        verbose_name = "opção do menu"
        verbose_name_plural = "opções do menu"
        ordering = ["numero"]
        constraints = [
            chave_empresa("atendimento_opcoes_menu"),
            models.UniqueConstraint(
                fields=["canal", "numero"], name="opcao_menu_canal_numero_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.numero} - {self.rotulo}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        for objeto in (self.canal if self.canal_id else None, self.fila if self.fila_id else None):
            if objeto is not None and self.empresa_id and objeto.empresa_id != self.empresa_id:
                raise ValidationError("A fila e o canal precisam ser da mesma empresa.")


class EventoWebhook(ModeloEmpresa):
    """Durable log of every accepted inbound webhook, stored before it is acknowledged."""

    class Status(models.TextChoices):
        RECEBIDO = "recebido", "Recebido"
        PROCESSADO = "processado", "Processado"
        FALHOU = "falhou", "Falhou"
        IGNORADO = "ignorado", "Ignorado"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    canal = models.ForeignKey(Canal, on_delete=models.CASCADE, related_name="eventos_webhook")
    id_evento_externo = models.CharField(max_length=255, null=True, blank=True)
    corpo = models.BinaryField("corpo bruto")
    cabecalhos = models.JSONField("cabeçalhos", default=dict)
    url = models.TextField(blank=True)
    recebido_em = models.DateTimeField("recebido em", auto_now_add=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEBIDO)
    tentativas = models.PositiveIntegerField(default=0)
    erro = models.TextField(blank=True)
    processado_em = models.DateTimeField("processado em", null=True, blank=True)

    class Meta:
        db_table = "atendimento_eventos_webhook"
        verbose_name = "evento de webhook"
        verbose_name_plural = "eventos de webhook"
        ordering = ["-recebido_em"]
        constraints = [
            chave_empresa("atendimento_eventos_webhook"),
            models.UniqueConstraint(
                fields=["canal", "id_evento_externo"],
                condition=models.Q(id_evento_externo__isnull=False),
                name="evento_webhook_canal_id_externo_uniq",
            ),
        ]
        indexes = [
            # the sweep: stored but not processed, oldest first
            models.Index(
                fields=["recebido_em"],
                condition=models.Q(status="recebido"),
                name="evento_webhook_pendentes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canal_id} {self.recebido_em:%Y-%m-%d %H:%M:%S} {self.status}"
