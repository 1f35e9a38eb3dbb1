from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa


class NumeroTicketField(models.PositiveIntegerField):
    """Filled by the database on INSERT (trigger, migration 0002) and read back with RETURNING,
    so concurrent creations in separate connections get distinct, gap-free numbers."""

    db_returning = True


class Tag(ModeloEmpresa):
    nome = models.CharField(max_length=60, verbose_name=_("nome"))
    cor = models.CharField(max_length=7, default="#64748b", verbose_name=_("cor"))
    descricao = models.CharField(_("descrição"), max_length=200, blank=True)

    class Meta:
        db_table = "atendimento_tags"
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["nome"]
        constraints = [
            chave_empresa("atendimento_tags"),
            models.UniqueConstraint(fields=["empresa", "nome"], name="tag_empresa_nome_uniq"),
        ]

    def __str__(self) -> str:
        return self.nome


class Ticket(ModeloEmpresa):
    """One conversation with a contact on one channel."""

    class Status(models.TextChoices):
        ABERTO = "aberto", _("Aberto")
        EM_ATENDIMENTO = "em_atendimento", _("Em atendimento")
        AGUARDANDO = "aguardando", _("Aguardando cliente")
        FECHADO = "fechado", _("Fechado")

    class Automacao(models.TextChoices):
        NENHUMA = "", _("Nenhuma")
        MENU = "menu", _("Aguardando o menu")
        ROBO = "robo", _("Com o robô")

    class Prioridade(models.TextChoices):
        BAIXA = "baixa", _("Baixa")
        MEDIA = "media", _("Média")
        ALTA = "alta", _("Alta")
        URGENTE = "urgente", _("Urgente")

    numero = NumeroTicketField(_("número"), null=True, blank=True, editable=False)
    canal = models.ForeignKey(
        "atendimento.Canal",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("canal"),
    )
    fila = models.ForeignKey(
        "atendimento.Fila",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("fila"),
    )
    atendente = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("atendente"),
    )
    contato = models.ForeignKey(
        "atendimento.Contato",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("contato"),
    )
    assunto = models.CharField(max_length=255, blank=True, verbose_name=_("assunto"))
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ABERTO, verbose_name=_("status")
    )
    prioridade = models.CharField(
        max_length=10,
        choices=Prioridade.choices,
        default=Prioridade.MEDIA,
        verbose_name=_("prioridade"),
    )
    tags = models.ManyToManyField(
        Tag,
        blank=True,
        related_name="tickets",
        db_table="atendimento_ticket_tags",
        verbose_name=_("tags"),
    )
    # The provider-side conversation (WhatsApp wa_id, Telegram chat id, e-mail thread root):
    # at most one open ticket per (canal, conversa), enforced by a partial unique index.
    conversa_id_externo = models.CharField(
        max_length=255, blank=True, default="", verbose_name=_("ID externo da conversa")
    )
    grupo = models.BooleanField(
        default=False, help_text=_("Conversa de grupo (Telegram)."), verbose_name=_("grupo")
    )
    titulo_conversa = models.CharField(
        max_length=255, blank=True, verbose_name=_("título da conversa")
    )
    # SLA
    sla_primeira_resposta_em = models.DateTimeField(
        _("prazo de primeira resposta"), null=True, blank=True
    )
    sla_proxima_resposta_em = models.DateTimeField(
        _("prazo de próxima resposta"),
        null=True,
        blank=True,
        help_text=_("Para a mensagem mais antiga do cliente ainda sem resposta."),
    )
    sla_resolucao_em = models.DateTimeField(_("prazo de resolução"), null=True, blank=True)
    sla_violado = models.BooleanField(_("SLA violado"), default=False)
    aguardando_desde = models.DateTimeField(
        _("aguardando o cliente desde"),
        null=True,
        blank=True,
        help_text=_("O relógio do SLA fica parado enquanto o ticket aguarda o cliente."),
    )
    sla_pausa_segundos = models.PositiveIntegerField(
        _("pausa do SLA (s)"),
        default=0,
        help_text=_("Tempo útil aguardando o cliente; estende os prazos de resolução."),
    )
    primeira_resposta_em = models.DateTimeField(_("primeira resposta em"), null=True, blank=True)
    fechado_em = models.DateTimeField(_("fechado em"), null=True, blank=True)
    reaberto_em = models.DateTimeField(_("reaberto em"), null=True, blank=True)
    motivo_fechamento = models.TextField(_("motivo do fechamento"), blank=True)
    # Denormalised for the inbox list (kept by the services)
    ultima_mensagem_em = models.DateTimeField(_("última mensagem em"), null=True, blank=True)
    ultima_mensagem_resumo = models.CharField(_("última mensagem"), max_length=200, blank=True)
    ultima_entrada_em = models.DateTimeField(
        _("última mensagem do cliente em"),
        null=True,
        blank=True,
        help_text=_("Abre a janela de 24 h do WhatsApp."),
    )
    automacao = models.CharField(
        _("automação"),
        max_length=10,
        choices=Automacao.choices,
        blank=True,
        default="",
        help_text=_("Enquanto o menu ou o robô conduz a conversa, o ticket não é distribuído."),
    )
    automacao_desde = models.DateTimeField(_("automação desde"), null=True, blank=True)
    menu_tentativas = models.PositiveSmallIntegerField(_("respostas inválidas ao menu"), default=0)
    nao_lidas = models.PositiveIntegerField(_("não lidas"), default=0)
    total_mensagens = models.PositiveIntegerField(default=0, verbose_name=_("total de mensagens"))

    class Meta:
        db_table = "atendimento_tickets"
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-ultima_mensagem_em", "-criado_em"]
        constraints = [
            chave_empresa("atendimento_tickets"),
            models.UniqueConstraint(
                fields=["empresa", "numero"], name="ticket_empresa_numero_uniq"
            ),
            models.UniqueConstraint(
                fields=["canal", "conversa_id_externo"],
                condition=~models.Q(status="fechado") & ~models.Q(conversa_id_externo=""),
                name="ticket_conversa_aberta_uniq",
            ),
        ]
        indexes = [
            models.Index(
                "empresa",
                "status",
                "fila",
                models.F("ultima_mensagem_em").desc(nulls_last=True),
                name="ticket_inbox",
            ),
            # the lists (API and inbox): newest activity first, read in index order, so a page
            # costs the same at 100 or 100,000 tickets
            models.Index(
                "empresa",
                models.F("ultima_mensagem_em").desc(nulls_last=True),
                models.F("criado_em").desc(),
                models.F("id").desc(),
                name="ticket_lista",
            ),
            models.Index(fields=["empresa", "atendente", "status"], name="ticket_atendente"),
            models.Index(fields=["empresa", "contato", "-criado_em"], name="ticket_contato"),
            # the dashboard's period filters (atendimento/selectors/painel.py)
            models.Index(fields=["empresa", "criado_em"], name="ticket_empresa_criado"),
            models.Index(
                fields=["empresa", "fechado_em"],
                name="ticket_empresa_fechado",
                condition=models.Q(fechado_em__isnull=False),
            ),
            models.Index(
                fields=["canal", "conversa_id_externo", "-fechado_em"], name="ticket_conversa"
            ),
            # distribution: the waiting tickets of a queue, in arrival order
            models.Index(
                fields=["fila", "criado_em"],
                condition=models.Q(atendente__isnull=True) & ~models.Q(status="fechado"),
                name="ticket_espera_fila",
            ),
            # first-contact menu timeout sweep: only tickets waiting on the menu
            models.Index(
                fields=["automacao_desde"],
                condition=models.Q(automacao="menu"),
                name="ticket_menu_espera",
            ),
            # SLA sweep: only tickets that are not closed have running clocks
            models.Index(
                fields=["empresa", "sla_resolucao_em"],
                condition=~models.Q(status="fechado"),
                name="ticket_sla_aberto",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.numero} {self.assunto or self.contato}"

    #: attribute the lists prefetch the tags into (a plain list, see ``tags_lista``)
    ATRIBUTO_TAGS = "_tags_lista"

    @property
    def tags_lista(self) -> list:
        """The ticket's tags by name: the list prefetched by the lists' selectors, else one
        query.  A ``Prefetch`` into a plain list costs nothing per row, where one into the
        ``tags`` manager builds a queryset per ticket (~0.3 ms each on a 50-row page)."""
        if self.ATRIBUTO_TAGS in self.__dict__:
            return self.__dict__[self.ATRIBUTO_TAGS]
        return list(self.tags.order_by("nome"))


class Historico(ModeloEmpresa):
    """Audit trail of a ticket: every change, who made it, before and after."""

    class Acao(models.TextChoices):
        CRIADO = "criado", _("Criado")
        ATRIBUIDO = "atribuido", _("Atribuído")
        TRANSFERIDO = "transferido", _("Transferido")
        STATUS = "status", _("Status alterado")
        PRIORIDADE = "prioridade", _("Prioridade alterada")
        FECHADO = "fechado", _("Fechado")
        REABERTO = "reaberto", _("Reaberto")
        TAGS = "tags", _("Tags alteradas")
        MENSAGEM_EDITADA = "mensagem_editada", _("Mensagem editada")
        SLA_VIOLADO = "sla_violado", _("SLA violado")
        MENSAGEM_AUTOMATICA = "mensagem_automatica", _("Mensagem automática")
        ATUALIZADO = "atualizado", _("Atualizado")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="historico", verbose_name=_("ticket")
    )
    acao = models.CharField(_("ação"), max_length=30, choices=Acao.choices)
    descricao = models.TextField(_("descrição"), blank=True)
    dados = models.JSONField(default=dict, blank=True, verbose_name=_("dados"))
    atendente = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("atendente"),
    )
    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("usuário"),
    )

    class Meta:
        db_table = "atendimento_historico"
        verbose_name = _("histórico")
        verbose_name_plural = _("históricos")
        ordering = ["criado_em"]
        indexes = [models.Index(fields=["ticket", "criado_em"], name="historico_ticket")]

    def __str__(self) -> str:
        return f"{self.get_acao_display()} em {self.criado_em:%d/%m/%Y %H:%M}"
