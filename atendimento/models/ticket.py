from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import ModeloEmpresa, chave_empresa


class NumeroTicketField(models.PositiveIntegerField):
    """Filled by the database on INSERT (trigger, migration 0002) and read back with RETURNING,
    so concurrent creations in separate connections get distinct, gap-free numbers."""

    db_returning = True


class Tag(ModeloEmpresa):
    nome = models.CharField(max_length=60)
    cor = models.CharField(max_length=7, default="#64748b")
    descricao = models.CharField("descrição", max_length=200, blank=True)

    class Meta:
        db_table = "atendimento_tags"
        verbose_name = "tag"
        verbose_name_plural = "tags"
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
        ABERTO = "aberto", "Aberto"
        EM_ATENDIMENTO = "em_atendimento", "Em atendimento"
        AGUARDANDO = "aguardando", "Aguardando cliente"
        FECHADO = "fechado", "Fechado"

    class Prioridade(models.TextChoices):
        BAIXA = "baixa", "Baixa"
        MEDIA = "media", "Média"
        ALTA = "alta", "Alta"
        URGENTE = "urgente", "Urgente"

    numero = NumeroTicketField("número", null=True, blank=True, editable=False)
    canal = models.ForeignKey("atendimento.Canal", on_delete=models.PROTECT, related_name="tickets")
    fila = models.ForeignKey(
        "atendimento.Fila", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    atendente = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    contato = models.ForeignKey(
        "atendimento.Contato", on_delete=models.PROTECT, related_name="tickets"
    )
    assunto = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ABERTO)
    prioridade = models.CharField(
        max_length=10, choices=Prioridade.choices, default=Prioridade.MEDIA
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="tickets", db_table="atendimento_ticket_tags"
    )
    # The provider-side conversation (WhatsApp wa_id, Telegram chat id, e-mail thread root):
    # at most one open ticket per (canal, conversa), enforced by a partial unique index.
    conversa_id_externo = models.CharField(max_length=255, blank=True, default="")
    grupo = models.BooleanField(default=False, help_text="Conversa de grupo (Telegram).")
    titulo_conversa = models.CharField(max_length=255, blank=True)
    # SLA
    sla_primeira_resposta_em = models.DateTimeField(
        "prazo de primeira resposta", null=True, blank=True
    )
    sla_proxima_resposta_em = models.DateTimeField(
        "prazo de próxima resposta",
        null=True,
        blank=True,
        help_text="Para a mensagem mais antiga do cliente ainda sem resposta.",
    )
    sla_resolucao_em = models.DateTimeField("prazo de resolução", null=True, blank=True)
    sla_violado = models.BooleanField("SLA violado", default=False)
    aguardando_desde = models.DateTimeField(
        "aguardando o cliente desde",
        null=True,
        blank=True,
        help_text="O relógio do SLA fica parado enquanto o ticket aguarda o cliente.",
    )
    sla_pausa_segundos = models.PositiveIntegerField(
        "pausa do SLA (s)",
        default=0,
        help_text="Tempo útil aguardando o cliente; estende os prazos de resolução.",
    )
    primeira_resposta_em = models.DateTimeField("primeira resposta em", null=True, blank=True)
    fechado_em = models.DateTimeField("fechado em", null=True, blank=True)
    reaberto_em = models.DateTimeField("reaberto em", null=True, blank=True)
    motivo_fechamento = models.TextField("motivo do fechamento", blank=True)
    # Denormalised for the inbox list (kept by the services)
    ultima_mensagem_em = models.DateTimeField("última mensagem em", null=True, blank=True)
    ultima_mensagem_resumo = models.CharField("última mensagem", max_length=200, blank=True)
    ultima_entrada_em = models.DateTimeField(
        "última mensagem do cliente em",
        null=True,
        blank=True,
        help_text="Abre a janela de 24 h do WhatsApp.",
    )
    nao_lidas = models.PositiveIntegerField("não lidas", default=0)
    total_mensagens = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "atendimento_tickets"
        verbose_name = "ticket"
        verbose_name_plural = "tickets"
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
        CRIADO = "criado", "Criado"
        ATRIBUIDO = "atribuido", "Atribuído"
        TRANSFERIDO = "transferido", "Transferido"
        STATUS = "status", "Status alterado"
        PRIORIDADE = "prioridade", "Prioridade alterada"
        FECHADO = "fechado", "Fechado"
        REABERTO = "reaberto", "Reaberto"
        TAGS = "tags", "Tags alteradas"
        MENSAGEM_EDITADA = "mensagem_editada", "Mensagem editada"
        SLA_VIOLADO = "sla_violado", "SLA violado"
        MENSAGEM_AUTOMATICA = "mensagem_automatica", "Mensagem automática"
        ATUALIZADO = "atualizado", "Atualizado"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="historico")
    acao = models.CharField("ação", max_length=30, choices=Acao.choices)
    descricao = models.TextField("descrição", blank=True)
    dados = models.JSONField(default=dict, blank=True)
    atendente = models.ForeignKey(
        "atendimento.Atendente", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "atendimento_historico"
        verbose_name = "histórico"
        verbose_name_plural = "históricos"
        ordering = ["criado_em"]
        indexes = [models.Index(fields=["ticket", "criado_em"], name="historico_ticket")]

    def __str__(self) -> str:
        return f"{self.get_acao_display()} em {self.criado_em:%d/%m/%Y %H:%M}"
