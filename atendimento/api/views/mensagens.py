from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from atendimento.api.filters import MensagemFiltro
from atendimento.api.serializers.comum import ErroSerializer
from atendimento.api.serializers.lotes import EnviarLoteSerializer, EnvioLoteSerializer
from atendimento.api.serializers.mensagens import (
    EnviarMidiaSerializer,
    EnviarSerializer,
    MarcadasSerializer,
    MarcarLidaSerializer,
    MensagemSerializer,
)
from atendimento.api.views.base import BaseViewSet
from atendimento.models import Mensagem
from atendimento.selectors import cadastros as sel_cadastros
from atendimento.selectors import mensagens as sel_mensagens
from atendimento.selectors.acesso import ticket_obter
from atendimento.selectors.inbox import sugestao_ia_obter
from atendimento.services import lote as servico_lote
from atendimento.services import saida
from ia.services.desfecho import sugestao_registrar_envio


@extend_schema(tags=["mensagens"])
class MensagemViewSet(BaseViewSet):
    """Messages of the tickets the user may see (``?ticket=`` for one conversation,
    oldest→newest)."""

    queryset = Mensagem.objects.none()
    serializer_class = MensagemSerializer
    filterset_class = MensagemFiltro
    ordering_fields = ["data", "criado_em"]
    ordering = ["data", "ordem", "criado_em", "id"]
    acoes_gestao = frozenset({"enviar_lote"})

    def get_queryset(self):
        if self.fake():
            return Mensagem.objects.none()
        ticket_id = self.request.query_params.get("ticket")
        ticket = ticket_obter(atendente=self.atendente, ticket_id=ticket_id) if ticket_id else None
        return sel_mensagens.mensagens_listar(atendente=self.atendente, ticket=ticket)

    def list(self, request):
        return self.paginado(self.filter_queryset(self.get_queryset()), MensagemSerializer)

    def retrieve(self, request, pk=None):
        mensagem = sel_mensagens.mensagem_obter(atendente=self.atendente, mensagem_id=pk)
        return self.responder(MensagemSerializer, mensagem)

    @extend_schema(request=EnviarSerializer, responses={201: MensagemSerializer})
    @action(detail=False, methods=["post"])
    @transaction.atomic
    def enviar(self, request):
        dados = self.validado(EnviarSerializer, request.data)
        ticket = ticket_obter(atendente=self.atendente, ticket_id=dados["ticket_id"])
        template = dados["template_id"] and sel_cadastros.template_obter(
            atendente=self.atendente, template_id=dados["template_id"]
        )
        responder_a = dados["responder_a"] and sel_mensagens.mensagem_da_conversa(
            ticket=ticket, mensagem_id=dados["responder_a"]
        )
        sugestao = dados["sugestao_id"] and sugestao_ia_obter(
            atendente=self.atendente, ticket=ticket, resposta_id=dados["sugestao_id"]
        )
        mensagem = saida.mensagem_enviar(
            atendente=self.atendente,
            ticket=ticket,
            conteudo=dados["conteudo"],
            template=template or None,
            responder_a=responder_a or None,
        )
        if sugestao:
            sugestao_registrar_envio(sugestao=sugestao, mensagem=mensagem)
        return self.responder(MensagemSerializer, mensagem, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": EnviarMidiaSerializer},
        responses={
            201: MensagemSerializer,
            413: OpenApiResponse(ErroSerializer, description="Maior que o limite do canal."),
            415: OpenApiResponse(ErroSerializer, description="Tipo não aceito pelo canal."),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="enviar-midia",
        parser_classes=[MultiPartParser, FormParser],
    )
    def enviar_midia(self, request):
        dados = self.validado(EnviarMidiaSerializer, request.data)
        ticket = ticket_obter(atendente=self.atendente, ticket_id=dados["ticket_id"])
        mensagem = saida.mensagem_enviar_midia(
            atendente=self.atendente,
            ticket=ticket,
            arquivo=dados["arquivo"],
            legenda=dados["legenda"],
        )
        return self.responder(MensagemSerializer, mensagem, status.HTTP_201_CREATED)

    @extend_schema(request=MarcarLidaSerializer, responses=MarcadasSerializer)
    @action(detail=False, methods=["post"], url_path="marcar-lida")
    def marcar_lida(self, request):
        dados = self.validado(MarcarLidaSerializer, request.data)
        if "ticket_id" in dados:
            ticket = ticket_obter(atendente=self.atendente, ticket_id=dados["ticket_id"])
            marcadas = saida.mensagens_marcar_lidas(atendente=self.atendente, ticket=ticket)
        else:
            mensagens = sel_mensagens.mensagens_obter(
                atendente=self.atendente, ids=dados["mensagem_ids"]
            )
            marcadas = saida.mensagens_marcar_lidas(atendente=self.atendente, mensagens=mensagens)
        return Response({"marcadas": marcadas})

    @extend_schema(
        request=EnviarLoteSerializer,
        responses={
            202: EnvioLoteSerializer,
            404: OpenApiResponse(ErroSerializer, description="Canal, template ou contato."),
            422: OpenApiResponse(ErroSerializer, description="Canal inativo, lote vazio…"),
        },
        description=(
            "Envia um template (ou texto) a uma lista de contatos, no ritmo do canal "
            "(WhatsApp 80 msg/s por número, Twilio 1 msg/s por número longo, ou "
            "`mensagens_por_segundo` do canal). Contatos descadastrados (STOP) são pulados com o "
            "motivo. Acompanhe em `GET lotes/{id}/` e `GET lotes/{id}/destinatarios/`."
        ),
    )
    @action(detail=False, methods=["post"], url_path="enviar-lote")
    def enviar_lote(self, request):
        dados = self.validado(EnviarLoteSerializer, request.data)
        lote = servico_lote.lote_criar(
            atendente=self.atendente,
            canal=dados["canal"],
            contatos=dados["contatos"],
            template=dados["template_id"],
            conteudo=dados["conteudo"],
            variaveis=dados["variaveis"],
        )
        return self.responder(EnvioLoteSerializer, lote, status.HTTP_202_ACCEPTED)
