from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from atendimento.api.filters import TicketFiltro
from atendimento.api.paginacao import PaginacaoMensagens
from atendimento.api.serializers.comum import ErroSerializer, PeriodoSerializer
from atendimento.api.serializers.mensagens import MensagemSerializer, MensagensAntesSerializer
from atendimento.api.serializers.tickets import (
    AnaliseAgendadaSerializer,
    AtribuirSerializer,
    DescartarSugestaoSerializer,
    DesfechoSugestaoSerializer,
    EstatisticasSerializer,
    FecharSerializer,
    HistoricoSerializer,
    SugestaoRespostaSerializer,
    TagsAlterarSerializer,
    TicketAtualizarSerializer,
    TicketCriarSerializer,
    TicketDetalheSerializer,
    TicketSerializer,
    TransferirSerializer,
)
from atendimento.api.views.base import BaseViewSet
from atendimento.exceptions import ServicoIndisponivel
from atendimento.models import Ticket
from atendimento.selectors import cadastros as sel_cadastros
from atendimento.selectors import estatisticas as sel_estatisticas
from atendimento.selectors import mensagens as sel_mensagens
from atendimento.selectors import tickets as sel_tickets
from atendimento.services import tickets as servicos


@extend_schema(tags=["tickets"])
class TicketViewSet(BaseViewSet):
    """Tickets the user may see: the whole empresa for admins and supervisors; the tickets of
    their queues and those assigned to them for an atendente."""

    queryset = Ticket.objects.none()
    serializer_class = TicketSerializer
    filterset_class = TicketFiltro
    ordering_fields = [
        "numero",
        "criado_em",
        "atualizado_em",
        "ultima_mensagem_em",
        "sla_primeira_resposta_em",
        "sla_proxima_resposta_em",
        "sla_resolucao_em",
        "nao_lidas",
        "prioridade",
        "status",
    ]
    # newest activity first, tickets without messages last: the order of the index
    # ``ticket_lista`` (the inbox's order too)
    ordering = [F("ultima_mensagem_em").desc(nulls_last=True), "-criado_em", "-id"]
    acoes_gestao = frozenset({"destroy"})

    def get_queryset(self):
        if self.fake():
            return Ticket.objects.none()
        return sel_tickets.tickets_visiveis(self.atendente)

    def _ticket(self, pk) -> Ticket:
        return self.conferir(sel_tickets.ticket_obter(atendente=self.atendente, ticket_id=pk))

    def recarregar(self, objeto: Ticket) -> Ticket:
        return sel_tickets.ticket_recarregar(ticket=objeto)

    # ---------------------------------------------------------------------------- CRUD
    def list(self, request):
        return self.paginado(
            self.filter_queryset(self.get_queryset()),
            TicketSerializer,
            carregar=sel_tickets.tickets_para_lista,
        )

    @extend_schema(responses=TicketDetalheSerializer)
    def retrieve(self, request, pk=None):
        ticket = sel_tickets.ticket_detalhe(atendente=self.atendente, ticket_id=pk)
        return self.responder(TicketDetalheSerializer, ticket)

    @extend_schema(request=TicketCriarSerializer, responses={201: TicketSerializer})
    def create(self, request):
        dados = self.validado(TicketCriarSerializer, request.data)
        canal = sel_cadastros.canal_obter(atendente=self.atendente, canal_id=dados["canal"])
        fila = dados["fila"] and sel_cadastros.fila_obter(
            atendente=self.atendente, fila_id=dados["fila"]
        )
        contato, novo_contato = dados["contato"], None
        if isinstance(contato, dict):
            contato, novo_contato = None, contato
        else:
            contato = sel_cadastros.contato_obter(atendente=self.atendente, contato_id=contato)
        ticket = servicos.ticket_criar(
            empresa=self.empresa,
            canal=canal,
            contato=contato,
            novo_contato=novo_contato,
            assunto=dados["assunto"],
            fila=fila or None,
            prioridade=dados["prioridade"],
            por=self.atendente,
        )
        return self.resposta(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=TicketAtualizarSerializer, responses=TicketSerializer)
    def update(self, request, pk=None):
        ticket = self._ticket(pk)
        dados = self.validado(TicketAtualizarSerializer, request.data)
        ticket = servicos.ticket_atualizar(ticket=ticket, por=self.atendente, **dados)
        return self.resposta(ticket)

    @extend_schema(request=TicketAtualizarSerializer, responses=TicketSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    def destroy(self, request, pk=None):
        servicos.ticket_excluir(ticket=self._ticket(pk), por=self.atendente)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ---------------------------------------------------------------------------- actions
    @extend_schema(request=AtribuirSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def atribuir(self, request, pk=None):
        ticket = self._ticket(pk)
        dados = self.validado(AtribuirSerializer, request.data)
        destino = dados["atendente_id"] and sel_tickets.atendente_obter(
            atendente=self.atendente, atendente_id=dados["atendente_id"]
        )
        ticket = servicos.ticket_atribuir(
            ticket=ticket, atendente_destino=destino or None, por=self.atendente
        )
        return self.resposta(ticket)

    @extend_schema(request=TransferirSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def transferir(self, request, pk=None):
        ticket = self._ticket(pk)
        dados = self.validado(TransferirSerializer, request.data)
        fila = sel_cadastros.fila_obter(atendente=self.atendente, fila_id=dados["fila_id"])
        destino = dados["atendente_id"] and sel_tickets.atendente_obter(
            atendente=self.atendente, atendente_id=dados["atendente_id"]
        )
        ticket = servicos.ticket_transferir(
            ticket=ticket,
            fila=fila,
            atendente_destino=destino or None,
            motivo=dados["motivo"],
            por=self.atendente,
        )
        return self.resposta(ticket)

    @extend_schema(request=FecharSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def fechar(self, request, pk=None):
        ticket = self._ticket(pk)
        dados = self.validado(FecharSerializer, request.data)
        ticket = servicos.ticket_fechar(ticket=ticket, motivo=dados["motivo"], por=self.atendente)
        return self.resposta(ticket)

    @extend_schema(request=None, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def reabrir(self, request, pk=None):
        ticket = servicos.ticket_reabrir(ticket=self._ticket(pk), por=self.atendente)
        return self.resposta(ticket)

    @extend_schema(request=TagsAlterarSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], url_path="tags")
    def tags(self, request, pk=None):
        ticket = self._ticket(pk)
        dados = self.validado(TagsAlterarSerializer, request.data)
        ticket = servicos.ticket_alterar_tags(
            ticket=ticket,
            adicionar=sel_tickets.tags_obter(atendente=self.atendente, ids=dados["adicionar"]),
            remover=sel_tickets.tags_obter(atendente=self.atendente, ids=dados["remover"]),
            por=self.atendente,
        )
        return self.resposta(ticket)

    @extend_schema(
        parameters=[MensagensAntesSerializer],
        responses=MensagemSerializer(many=True),
        filters=False,
        description="Página 1 = as mensagens mais recentes; cada página vem da mais antiga para "
        "a mais nova; `next` leva para mais atrás no histórico. `antes=<mensagem_id>` "
        "ancora a janela antes de uma mensagem conhecida.",
    )
    @action(detail=True, methods=["get"], pagination_class=PaginacaoMensagens)
    def mensagens(self, request, pk=None):
        ticket = self._ticket(pk)
        antes = self.validado(MensagensAntesSerializer, request.query_params).get("antes")
        antes = antes and sel_mensagens.mensagem_da_conversa(ticket=ticket, mensagem_id=antes)
        conversa = sel_mensagens.mensagens_da_conversa(ticket=ticket, antes=antes or None)
        return self.paginado(conversa, MensagemSerializer, PaginacaoMensagens)

    @extend_schema(responses=HistoricoSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def historico(self, request, pk=None):
        historico = sel_tickets.ticket_historico(ticket=self._ticket(pk))
        return self.paginado(historico, HistoricoSerializer)

    @extend_schema(
        request=None,
        responses={
            202: AnaliseAgendadaSerializer,
            503: OpenApiResponse(ErroSerializer, description="Módulo de IA indisponível."),
        },
    )
    @action(detail=True, methods=["post"])
    def analisar(self, request, pk=None):
        from ia.tasks import agendar_analise

        ticket = self._ticket(pk)
        if not agendar_analise(ticket.pk, espera=0):
            raise ServicoIndisponivel(_("A fila de análise está indisponível; tente de novo."))
        return Response(
            {"detail": _("Análise agendada."), "ticket_id": str(ticket.pk)},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        responses={
            200: SugestaoRespostaSerializer,
            503: OpenApiResponse(ErroSerializer, description="Módulo de IA indisponível."),
        },
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="sugestao-resposta")
    def sugestao_resposta(self, request, pk=None):
        from ia.services.sugestao import sugerir

        return Response(sugerir(self._ticket(pk), interativo=True))

    @extend_schema(
        request=DescartarSugestaoSerializer,
        responses={
            200: DesfechoSugestaoSerializer,
            409: OpenApiResponse(ErroSerializer, description="A sugestão já foi usada."),
        },
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="sugestao-resposta/descartar")
    def descartar_sugestao(self, request, pk=None):
        from atendimento.selectors.inbox import sugestao_ia_obter
        from ia.services.desfecho import sugestao_descartar

        dados = self.validado(DescartarSugestaoSerializer, request.data)
        sugestao = sugestao_ia_obter(
            atendente=self.atendente, ticket=self._ticket(pk), resposta_id=dados["sugestao_id"]
        )
        return Response(DesfechoSugestaoSerializer(sugestao_descartar(sugestao=sugestao)).data)

    @extend_schema(
        parameters=[PeriodoSerializer],
        responses=EstatisticasSerializer,
        filters=False,
        description="Tickets criados no período (padrão: últimos 30 dias) que o usuário vê.",
    )
    @action(detail=False, methods=["get"], url_path="estatisticas/geral")
    def estatisticas(self, request):
        periodo = self.validado(PeriodoSerializer, request.query_params)
        de, ate = sel_estatisticas.periodo(self.atendente, periodo.get("de"), periodo.get("ate"))
        dados = sel_estatisticas.estatisticas_gerais(atendente=self.atendente, de=de, ate=ate)
        return Response(EstatisticasSerializer(dados).data)
