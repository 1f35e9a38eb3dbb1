from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models.fields.json import KeyTextTransform

from .base import ModeloEmpresa, chave_empresa

CONFIG_BUSCA = "portuguese"


def caminho_midia(instancia: Mensagem, nome: str) -> str:
    return f"midia/{instancia.empresa_id}/{instancia.ticket_id}/{instancia.id}/{nome}"


class Mensagem(ModeloEmpresa):
    class Direcao(models.TextChoices):
        ENTRADA = "entrada", "Entrada"
        SAIDA = "saida", "Saída"

    class Remetente(models.TextChoices):
        CONTATO = "contato", "Contato"
        ATENDENTE = "atendente", "Atendente"
        BOT = "bot", "Bot"
        SISTEMA = "sistema", "Sistema"

    class Tipo(models.TextChoices):
        TEXTO = "texto", "Texto"
        IMAGEM = "imagem", "Imagem"
        AUDIO = "audio", "Áudio"
        VIDEO = "video", "Vídeo"
        DOCUMENTO = "documento", "Documento"
        LOCALIZACAO = "localizacao", "Localização"
        CONTATO = "contato", "Contato"
        INTERATIVO = "interativo", "Interativo"
        REACAO = "reacao", "Reação"
        STICKER = "sticker", "Figurinha"
        SISTEMA = "sistema", "Sistema"
        DESCONHECIDO = "desconhecido", "Desconhecido"

    class Status(models.TextChoices):
        # inbound messages are "recebida"; outbound move pendente -> enviada -> entregue -> lida
        RECEBIDA = "recebida", "Recebida"
        PENDENTE = "pendente", "Pendente"
        ENVIADA = "enviada", "Enviada"
        ENTREGUE = "entregue", "Entregue"
        LIDA = "lida", "Lida"
        ERRO = "erro", "Erro"

    class StatusMidia(models.TextChoices):
        NENHUMA = "", "Sem mídia"
        PENDENTE = "pendente", "Baixando"
        DISPONIVEL = "disponivel", "Disponível"
        ERRO = "erro", "Erro"

    ticket = models.ForeignKey(
        "atendimento.Ticket", on_delete=models.CASCADE, related_name="mensagens"
    )
    canal = models.ForeignKey("atendimento.Canal", on_delete=models.PROTECT, related_name="+")
    direcao = models.CharField("direção", max_length=10, choices=Direcao.choices)
    remetente_tipo = models.CharField(max_length=10, choices=Remetente.choices)
    atendente = models.ForeignKey(
        "atendimento.Atendente", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    remetente_nome = models.CharField(max_length=200, blank=True)
    remetente_id_externo = models.CharField(max_length=255, blank=True)
    tipo = models.CharField(max_length=15, choices=Tipo.choices, default=Tipo.TEXTO)
    tipo_original = models.CharField(max_length=50, blank=True)
    conteudo = models.TextField("conteúdo", blank=True)
    dados = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    erro_codigo = models.CharField("código do erro", max_length=50, blank=True)
    erro_detalhe = models.TextField("detalhe do erro", blank=True)
    tentativas = models.PositiveSmallIntegerField(default=0)
    id_externo = models.CharField(max_length=255, null=True, blank=True)
    responder_a = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="respostas"
    )
    responde_a_id_externo = models.CharField(max_length=255, blank=True)
    template = models.ForeignKey(
        "atendimento.Template", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # time and order in the conversation: provider timestamp (inbound) and ordering hint
    data = models.DateTimeField()
    ordem = models.BigIntegerField(null=True, blank=True)
    enviada_em = models.DateTimeField(null=True, blank=True)
    entregue_em = models.DateTimeField(null=True, blank=True)
    lida_em = models.DateTimeField(null=True, blank=True)
    lida_pelo_atendente = models.BooleanField(default=False)
    editada_em = models.DateTimeField(null=True, blank=True)
    historico_edicoes = models.JSONField("edições anteriores", default=list, blank=True)
    # media (downloaded by a task into Django storage, served only through a checked view)
    midia_arquivo = models.FileField(upload_to=caminho_midia, max_length=500, blank=True)
    midia_ref = models.CharField(max_length=500, blank=True)
    midia_mime = models.CharField(max_length=150, blank=True)
    midia_nome = models.CharField(max_length=255, blank=True)
    midia_tamanho = models.BigIntegerField(null=True, blank=True)
    midia_status = models.CharField(
        max_length=12, choices=StatusMidia.choices, default=StatusMidia.NENHUMA, blank=True
    )

    class Meta:
        db_table = "atendimento_mensagens"
        verbose_name = "mensagem"
        verbose_name_plural = "mensagens"
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
            GinIndex(SearchVector("conteudo", config=CONFIG_BUSCA), name="mensagem_conteudo_busca"),
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
