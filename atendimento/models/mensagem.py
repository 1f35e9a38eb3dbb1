from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _

from .base import ModeloEmpresa, chave_empresa
from .busca import LexemaEmpresa

CONFIG_BUSCA = "portuguese"


def vetor_busca() -> SearchVector:
    """The indexed full-text vector of a message (``mensagem_busca_empresa``): its Portuguese
    text plus its empresa's lexeme; a search ANDs ``ConsultaEmpresa`` (``tickets_buscar``)."""
    return SearchVector("conteudo", config=CONFIG_BUSCA) + LexemaEmpresa(models.F("empresa_id"))


def caminho_midia(instancia: Mensagem, nome: str) -> str:
    return f"midia/{instancia.empresa_id}/{instancia.ticket_id}/{instancia.id}/{nome}"


class Mensagem(ModeloEmpresa):
    class Direcao(models.TextChoices):
        ENTRADA = "entrada", _("Entrada")
        SAIDA = "saida", _("Saída")

    class Remetente(models.TextChoices):
        CONTATO = "contato", _("Contato")
        ATENDENTE = "atendente", _("Atendente")
        BOT = "bot", _("Bot")
        SISTEMA = "sistema", _("Sistema")

    class Tipo(models.TextChoices):
        TEXTO = "texto", _("Texto")
        IMAGEM = "imagem", _("Imagem")
        AUDIO = "audio", _("Áudio")
        VIDEO = "video", _("Vídeo")
        DOCUMENTO = "documento", _("Documento")
        LOCALIZACAO = "localizacao", _("Localização")
        CONTATO = "contato", _("Contato")
        INTERATIVO = "interativo", _("Interativo")
        REACAO = "reacao", _("Reação")
        STICKER = "sticker", _("Figurinha")
        SISTEMA = "sistema", _("Sistema")
        DESCONHECIDO = "desconhecido", _("Desconhecido")

    class Status(models.TextChoices):
        # inbound messages are "recebida"; outbound move pendente -> enviada -> entregue -> lida
        RECEBIDA = "recebida", _("Recebida")
        PENDENTE = "pendente", _("Pendente")
        ENVIADA = "enviada", _("Enviada")
        ENTREGUE = "entregue", _("Entregue")
        LIDA = "lida", _("Lida")
        ERRO = "erro", _("Erro")

    class StatusMidia(models.TextChoices):
        NENHUMA = "", _("Sem mídia")
        PENDENTE = "pendente", _("Baixando")
        DISPONIVEL = "disponivel", _("Disponível")
        ERRO = "erro", _("Erro")

    ticket = models.ForeignKey(
        "atendimento.Ticket",
        on_delete=models.CASCADE,
        related_name="mensagens",
        verbose_name=_("ticket"),
    )
    canal = models.ForeignKey(
        "atendimento.Canal", on_delete=models.PROTECT, related_name="+", verbose_name=_("canal")
    )
    direcao = models.CharField(_("direção"), max_length=10, choices=Direcao.choices)
    remetente_tipo = models.CharField(
        max_length=10, choices=Remetente.choices, verbose_name=_("tipo de remetente")
    )
    atendente = models.ForeignKey(
        "atendimento.Atendente",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("atendente"),
    )
    remetente_nome = models.CharField(
        max_length=200, blank=True, verbose_name=_("nome do remetente")
    )
    remetente_id_externo = models.CharField(
        max_length=255, blank=True, verbose_name=_("ID externo do remetente")
    )
    tipo = models.CharField(
        max_length=15, choices=Tipo.choices, default=Tipo.TEXTO, verbose_name=_("tipo")
    )
    tipo_original = models.CharField(max_length=50, blank=True, verbose_name=_("tipo original"))
    conteudo = models.TextField(_("conteúdo"), blank=True)
    dados = models.JSONField(default=dict, blank=True, verbose_name=_("dados"))
    status = models.CharField(max_length=10, choices=Status.choices, verbose_name=_("status"))
    erro_codigo = models.CharField(_("código do erro"), max_length=50, blank=True)
    erro_detalhe = models.TextField(_("detalhe do erro"), blank=True)
    tentativas = models.PositiveSmallIntegerField(default=0, verbose_name=_("tentativas"))
    id_externo = models.CharField(
        max_length=255, null=True, blank=True, verbose_name=_("ID externo")
    )
    responder_a = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="respostas",
        verbose_name=_("em resposta a"),
    )
    responde_a_id_externo = models.CharField(
        max_length=255, blank=True, verbose_name=_("ID externo respondido")
    )
    template = models.ForeignKey(
        "atendimento.Template",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    # time and order in the conversation: provider timestamp (inbound) and ordering hint
    data = models.DateTimeField(verbose_name=_("data"))
    ordem = models.BigIntegerField(null=True, blank=True, verbose_name=_("ordem"))
    enviada_em = models.DateTimeField(null=True, blank=True, verbose_name=_("enviada em"))
    entregue_em = models.DateTimeField(null=True, blank=True, verbose_name=_("entregue em"))
    lida_em = models.DateTimeField(null=True, blank=True, verbose_name=_("lida em"))
    lida_pelo_atendente = models.BooleanField(default=False, verbose_name=_("lida pelo atendente"))
    editada_em = models.DateTimeField(null=True, blank=True, verbose_name=_("editada em"))
    historico_edicoes = models.JSONField(_("edições anteriores"), default=list, blank=True)
    # media (downloaded by a task into Django storage, served only through a checked view)
    midia_arquivo = models.FileField(
        upload_to=caminho_midia, max_length=500, blank=True, verbose_name=_("arquivo de mídia")
    )
    midia_ref = models.CharField(max_length=500, blank=True, verbose_name=_("referência da mídia"))
    midia_mime = models.CharField(max_length=150, blank=True, verbose_name=_("tipo MIME da mídia"))
    midia_nome = models.CharField(max_length=255, blank=True, verbose_name=_("nome da mídia"))
    midia_tamanho = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("tamanho da mídia")
    )
    midia_status = models.CharField(
        max_length=12,
        choices=StatusMidia.choices,
        default=StatusMidia.NENHUMA,
        blank=True,
        verbose_name=_("status da mídia"),
    )

    class Meta:
        db_table = "atendimento_mensagens"
        verbose_name = _("mensagem")
        verbose_name_plural = _("mensagens")
        ordering = ["data", "ordem", "criado_em"]
        constraints = [
            chave_empresa("atendimento_mensagens"),
            models.UniqueConstraint(
                fields=["canal", "id_externo"],
                condition=models.Q(id_externo__isnull=False),
                name="mensagem_canal_id_externo_uniq",
            ),
        ]
        indexes = [
            models.Index(
                fields=["ticket", "data", "ordem", "criado_em"], name="mensagem_ticket_ordem"
            ),
            GinIndex(vetor_busca(), name="mensagem_busca_empresa"),
            # the dashboard's volume per day (atendimento/selectors/painel.py)
            models.Index(
                fields=["empresa", "data"], include=["direcao"], name="mensagem_empresa_data"
            ),
            # a provider's own id of an outbound message whose id_externo is ours (Amazon SES's
            # message id of an e-mail): its delivery notifications are matched by it
            models.Index(
                models.F("canal"),
                KeyTextTransform("id_provedor", "dados"),
                name="mensagem_id_provedor",
                condition=models.Q(dados__has_key="id_provedor"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direcao_display()} {self.tipo}: {self.conteudo[:40]}"
