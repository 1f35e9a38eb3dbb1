from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa
from .validacao import validar_horario, validar_sla_prioridades


class ModoResposta(models.TextChoices):
    """When the bot answers the customer by itself (ia.services.resposta_automatica)."""

    DESLIGADA = "desligada", _("Desligada")
    SUGERIR = "sugerir", _("Só sugerir ao atendente")
    CONFIANTE = "confiante", _("Responder quando confiante")
    FORA_HORARIO = "fora_horario", _("Responder só fora do horário")


MENSAGEM_TRANSFERENCIA = (
    "Vou transferir você para um de nossos atendentes. Aguarde um momento, por favor."
)


class Fila(ModeloEmpresa):
    """A queue: routes, distributes and times (SLA) the work."""

    class Distribuicao(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Rodízio (round robin)")
        MENOS_OCUPADO = "menos_ocupado", _("Menos ocupado")
        MANUAL = "manual", _("Manual")

    class Reabertura(models.TextChoices):
        REABRIR = "reabrir", _("Reabrir o último ticket dentro da janela")
        NOVO = "novo", _("Sempre abrir um novo ticket")

    nome = models.CharField(max_length=120, verbose_name=_("nome"))
    descricao = models.TextField(_("descrição"), blank=True)
    cor = models.CharField(max_length=7, default="#2563eb", verbose_name=_("cor"))
    ordem = models.PositiveSmallIntegerField(default=0, verbose_name=_("ordem"))
    ativo = models.BooleanField(default=True, verbose_name=_("ativo"))
    distribuicao = models.CharField(
        _("distribuição"), max_length=20, choices=Distribuicao.choices, default=Distribuicao.MANUAL
    )
    sla_primeira_resposta_min = models.PositiveIntegerField(
        _("SLA de primeira resposta (min)"), null=True, blank=True
    )
    sla_proxima_resposta_min = models.PositiveIntegerField(
        _("SLA de próxima resposta (min)"),
        null=True,
        blank=True,
        help_text=_("Prazo para responder a mensagem mais antiga do cliente ainda sem resposta."),
    )
    sla_resolucao_min = models.PositiveIntegerField(
        _("SLA de resolução (min)"), null=True, blank=True
    )
    sla_prioridades = models.JSONField(
        _("SLA por prioridade"),
        default=dict,
        blank=True,
        validators=[validar_sla_prioridades],
        help_text=_(
            'Substitui os prazos da fila por prioridade. Ex.: {"urgente": '
            '{"primeira_resposta_min": 10, "proxima_resposta_min": 15, "resolucao_min": 120}}'
        ),
    )
    alerta_sem_resposta_min = models.PositiveIntegerField(
        _("alerta de cliente sem resposta (min)"),
        null=True,
        blank=True,
        help_text=_(
            "Avisa os atendentes quando o cliente espera mais que isso. Vazio: o padrão da empresa."
        ),
    )
    horario = models.JSONField(
        _("horário de atendimento"),
        default=dict,
        blank=True,
        validators=[validar_horario],
        help_text=_(
            'Ex.: {"seg": ["08:00", "18:00"], ..., "feriados": ["2026-12-25"]}. '
            "Vazio: o horário da empresa (ou 24 horas). Feriados nacionais já são considerados."
        ),
    )
    # automatic distribution
    devolver_se_offline = models.BooleanField(
        _("devolver tickets de atendente offline"),
        default=True,
        help_text=_(
            "Quando o atendente fica offline (após a carência), seus tickets abertos "
            "voltam para a fila."
        ),
    )
    assumir_ao_responder = models.BooleanField(
        _("assumir ao responder"),
        default=True,
        help_text=_("Quem responde a um ticket sem atendente passa a ser o atendente dele."),
    )
    manter_atendente = models.BooleanField(
        _("manter o último atendente"),
        default=True,
        help_text=_(
            "Um cliente que volta é distribuído ao atendente que o atendeu por último, "
            "se ele estiver disponível."
        ),
    )
    # housekeeping
    fechar_aguardando_horas = models.PositiveIntegerField(
        _("fechar após aguardar o cliente (h)"),
        null=True,
        blank=True,
        help_text=_("Tickets aguardando o cliente há N horas são fechados. Vazio: nunca."),
    )
    mensagem_fechamento = models.TextField(
        _("mensagem de fechamento automático"),
        blank=True,
        help_text=_("Enviada ao cliente quando o ticket é fechado por inatividade."),
    )
    mensagem_fora_horario = models.TextField(
        _("mensagem fora do horário"),
        blank=True,
        help_text=_("Enviada uma vez por conversa quando o cliente escreve fora do horário."),
    )
    reabertura = models.CharField(
        max_length=10,
        choices=Reabertura.choices,
        default=Reabertura.REABRIR,
        verbose_name=_("reabertura"),
    )
    janela_reabertura_horas = models.PositiveIntegerField(
        _("janela de reabertura (h)"),
        default=24,
        help_text=_("Mensagem de um contato até N horas após o fechamento reabre o ticket."),
    )
    # automatic replies (the bot)
    resposta_automatica = models.CharField(
        _("resposta automática"),
        max_length=20,
        choices=ModoResposta.choices,
        default=ModoResposta.DESLIGADA,
        help_text=_(
            "O robô responde com a base de conhecimento. Respostas do provedor local "
            "são só sugestões, nunca enviadas sozinhas."
        ),
    )
    confianca_minima = models.FloatField(
        _("confiança mínima"),
        default=0.75,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Abaixo disso (0 a 1) o robô transfere para um atendente."),
    )
    mensagem_transferencia = models.TextField(
        _("mensagem de transferência"),
        blank=True,
        default=MENSAGEM_TRANSFERENCIA,
        help_text=_(
            "Enviada quando o robô passa a conversa para um atendente. Aceita {{contato.nome}}."
        ),
    )
    ultimo_atendente_distribuido = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("último atendente distribuído"),
    )

    class Meta:
        db_table = "atendimento_filas"
        verbose_name = _("fila")
        verbose_name_plural = _("filas")
        ordering = ["ordem", "nome"]
        constraints = [
            chave_empresa("atendimento_filas"),
            models.UniqueConstraint(fields=["empresa", "nome"], name="fila_empresa_nome_uniq"),
        ]

    def __str__(self) -> str:
        return self.nome
