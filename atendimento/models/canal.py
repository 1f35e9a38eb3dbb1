from __future__ import annotations

import enum
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

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

    tipo = models.CharField(max_length=20, choices=tipos_de_canal, verbose_name=_("tipo"))
    nome = models.CharField(max_length=120, verbose_name=_("nome"))
    ativo = models.BooleanField(default=False, verbose_name=_("ativo"))
    config = models.JSONField(_("configuração"), default=dict, blank=True)
    segredos = SegredosField(default=dict, blank=True, verbose_name=_("segredos"))
    # Routing key used to find the channel of an inbound webhook inside the URL's empresa:
    # WhatsApp phone_number_id, sha256 of the Telegram secret, Twilio number, e-mail address.
    identificador = models.CharField(
        max_length=200, db_index=True, editable=False, default="", verbose_name=_("identificador")
    )
    fila_padrao = models.ForeignKey(
        "atendimento.Fila",
        verbose_name=_("fila padrão"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="canais",
    )
    webhook_registrado_em = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("webhook registrado em")
    )
    ultimo_teste_em = models.DateTimeField(
        _("último teste em"), null=True, blank=True, editable=False
    )
    ultimo_teste_ok = models.BooleanField(_("último teste ok"), null=True, editable=False)
    ultimo_teste_detalhe = models.TextField(
        _("resultado do último teste"), blank=True, editable=False
    )
    # first-contact menu (atendimento.services.menu_inicial)
    menu_ativo = models.BooleanField(
        _("menu de primeiro contato"),
        default=False,
        help_text=_("Numa conversa nova, o cliente escolhe a fila respondendo ao menu."),
    )
    menu_saudacao = models.TextField(
        _("saudação do menu"),
        blank=True,
        default="Olá! Para agilizar seu atendimento, responda com o número da opção:",
        help_text=_("Enviada antes das opções. Aceita {{contato.nome}}."),
    )
    menu_opcao_invalida = models.TextField(
        _("resposta a opção inválida"),
        blank=True,
        default="Não entendi sua resposta. Por favor, escolha uma das opções:",
    )
    menu_tentativas = models.PositiveSmallIntegerField(
        _("tentativas do menu"),
        default=3,
        help_text=_("Respostas inválidas aceitas antes de ir para a fila padrão."),
    )
    menu_espera_min = models.PositiveIntegerField(
        _("espera pela escolha (min)"),
        default=10,
        help_text=_("Sem resposta nesse prazo, o ticket vai para a fila padrão."),
    )
    resposta_automatica = models.CharField(
        _("resposta automática"),
        max_length=20,
        blank=True,
        default="",
        choices=ModoResposta.choices,
        help_text=_("Vazio: segue a política da fila do ticket."),
    )

    class Meta:
        db_table = "atendimento_canais"
        verbose_name = _("canal")
        verbose_name_plural = _("canais")
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

    canal = models.ForeignKey(
        Canal, on_delete=models.CASCADE, related_name="opcoes_menu", verbose_name=_("canal")
    )
    numero = models.PositiveSmallIntegerField(_("número"))
    rotulo = models.CharField(_("rótulo"), max_length=60)
    fila = models.ForeignKey(
        "atendimento.Fila", on_delete=models.CASCADE, related_name="+", verbose_name=_("fila")
    )
    sinonimos = models.CharField(
        _("sinônimos"),
        max_length=300,
        blank=True,
        help_text=_("Outras palavras que escolhem esta opção, separadas por vírgula."),
    )

    class Meta:
        db_table = "atendimento_opcoes_menu"
        verbose_name = _("opção do menu")
        verbose_name_plural = _("opções do menu")
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
                raise ValidationError(_("A fila e o canal precisam ser da mesma empresa."))


class EventoWebhook(ModeloEmpresa):
    """Durable log of every accepted inbound webhook, stored before it is acknowledged."""

    class Status(models.TextChoices):
        RECEBIDO = "recebido", _("Recebido")
        PROCESSADO = "processado", _("Processado")
        FALHOU = "falhou", _("Falhou")
        IGNORADO = "ignorado", _("Ignorado")

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    canal = models.ForeignKey(
        Canal, on_delete=models.CASCADE, related_name="eventos_webhook", verbose_name=_("canal")
    )
    id_evento_externo = models.CharField(
        max_length=255, null=True, blank=True, verbose_name=_("ID externo do evento")
    )
    corpo = models.BinaryField(_("corpo bruto"))
    cabecalhos = models.JSONField(_("cabeçalhos"), default=dict)
    url = models.TextField(blank=True, verbose_name=_("URL"))
    recebido_em = models.DateTimeField(_("recebido em"), auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEBIDO, verbose_name=_("status")
    )
    tentativas = models.PositiveIntegerField(default=0, verbose_name=_("tentativas"))
    erro = models.TextField(blank=True, verbose_name=_("erro"))
    processado_em = models.DateTimeField(_("processado em"), null=True, blank=True)

    class Meta:
        db_table = "atendimento_eventos_webhook"
        verbose_name = _("evento de webhook")
        verbose_name_plural = _("eventos de webhook")
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
