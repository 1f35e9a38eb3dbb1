from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from atendimento.models import (
    Atendente,
    AtendenteFila,
    Contato,
    Fila,
    Historico,
    IdentidadeContato,
    Mensagem,
    ModoResposta,
    Tag,
    Template,
    Ticket,
)

from .base import AdminEmpresa, InlineEmpresa, InlineSomenteLeitura
from .lotes import enviar_em_lote


class AtendenteFilaInline(InlineEmpresa):
    model = AtendenteFila
    fields = ["atendente", "prioridade"]
    verbose_name = _("atendente")
    verbose_name_plural = _("atendentes da fila")


class FilaForm(forms.ModelForm):
    """The bot's settings may be left out of a post (their defaults apply)."""

    class Meta:
        model = Fila
        exclude = ["ultimo_atendente_distribuido"]  # noqa: DJ006 - every other field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for campo in ("resposta_automatica", "confianca_minima"):
            if campo in self.fields:
                self.fields[campo].required = False

    def clean_resposta_automatica(self):
        return self.cleaned_data.get("resposta_automatica") or ModoResposta.DESLIGADA

    def clean_confianca_minima(self):
        valor = self.cleaned_data.get("confianca_minima")
        return Fila._meta.get_field("confianca_minima").default if valor is None else valor


@admin.register(Fila)
class FilaAdmin(AdminEmpresa):
    form = FilaForm
    list_display = [
        "nome",
        "distribuicao",
        "sla_primeira_resposta_min",
        "sla_resolucao_min",
        "ativo",
        "ordem",
    ]
    list_filter = ["distribuicao", "ativo"]
    search_fields = ["nome"]
    inlines = [AtendenteFilaInline]
    exclude = ["ultimo_atendente_distribuido"]


class AtendenteForm(forms.ModelForm):
    """Creating an agent creates their login too (a supervisor cannot pick other users)."""

    username = forms.CharField(label=_("usuário"), required=False, max_length=150)
    senha = forms.CharField(
        label=_("senha"), required=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = Atendente
        fields = ["nome", "email", "papel", "status", "capacidade", "ativo", "idioma", "empresa"]

    def clean(self):
        dados = super().clean()
        if self.instance.pk is None:
            if not dados.get("username") or not dados.get("senha"):
                raise forms.ValidationError(_("Informe usuário e senha do novo atendente."))
            if get_user_model().objects.filter(username=dados["username"]).exists():
                raise forms.ValidationError(_("Este nome de usuário já existe."))
        return dados


@admin.register(Atendente)
class AtendenteAdmin(AdminEmpresa):
    form = AtendenteForm
    list_display = ["nome", "papel", "status", "capacidade", "ativo", "usuario"]
    list_filter = ["papel", "status", "ativo"]
    search_fields = ["nome", "email", "usuario__username"]
    readonly_fields = ["usuario", "status_alterado_em"]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            usuario = get_user_model().objects.create_user(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["senha"],
                email=obj.email,
                is_staff=obj.papel in (Atendente.Papel.ADMIN, Atendente.Papel.SUPERVISOR),
            )
            obj.usuario = usuario
        elif form.cleaned_data.get("senha"):
            obj.usuario.set_password(form.cleaned_data["senha"])
            obj.usuario.save(update_fields=["password"])
        super().save_model(request, obj, form, change)
        staff = obj.papel in (Atendente.Papel.ADMIN, Atendente.Papel.SUPERVISOR) and obj.ativo
        if obj.usuario.is_staff != staff and not obj.usuario.is_superuser:
            obj.usuario.is_staff = staff
            obj.usuario.save(update_fields=["is_staff"])


class IdentidadeInline(InlineEmpresa):
    model = IdentidadeContato
    fields = ["tipo", "valor", "nome_exibicao", "username"]


@admin.register(Contato)
class ContatoAdmin(AdminEmpresa):
    list_display = ["nome", "telefone", "email", "opt_out_em", "criado_em"]
    list_filter = [("opt_out_em", admin.EmptyFieldListFilter)]
    search_fields = ["nome", "telefone", "email", "identidades__valor"]
    inlines = [IdentidadeInline]
    actions = [enviar_em_lote]


class MensagemInline(InlineSomenteLeitura):
    model = Mensagem
    fields = ["data", "direcao", "remetente_nome", "tipo", "conteudo", "status", "erro_detalhe"]
    ordering = ["data", "ordem", "criado_em"]


class HistoricoInline(InlineSomenteLeitura):
    model = Historico
    fields = ["criado_em", "acao", "descricao", "atendente"]


@admin.register(Ticket)
class TicketAdmin(AdminEmpresa):
    list_display = [
        "numero",
        "contato",
        "canal",
        "fila",
        "atendente",
        "status",
        "prioridade",
        "sla_violado",
        "ultima_mensagem_em",
    ]
    list_display_links = ["numero", "contato"]
    list_filter = [
        "status",
        "prioridade",
        "sla_violado",
        ("canal", admin.RelatedOnlyFieldListFilter),
        ("fila", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=numero", "assunto", "contato__nome", "contato__telefone"]
    list_select_related = ["contato", "canal", "fila", "atendente"]
    date_hierarchy = "criado_em"
    readonly_fields = [
        "numero",
        "canal",
        "contato",
        "conversa_id_externo",
        "primeira_resposta_em",
        "fechado_em",
        "ultima_mensagem_em",
        "nao_lidas",
        "total_mensagens",
    ]
    exclude = ["ultima_mensagem_resumo", "ultima_entrada_em"]
    filter_horizontal = ["tags"]
    inlines = [MensagemInline, HistoricoInline]

    def has_add_permission(self, request, *args):
        return False  # tickets are opened by channels, the API or the inbox


@admin.register(Tag)
class TagAdmin(AdminEmpresa):
    list_display = ["nome", "cor", "descricao"]
    search_fields = ["nome"]


@admin.register(Template)
class TemplateAdmin(AdminEmpresa):
    """Quick replies and WhatsApp templates.  Synced templates (``canal`` set) come from Meta:
    only ``variaveis`` (what fills each placeholder, e.g. ``{"1": "{{contato.nome}}"}``) and
    ``ativo`` are edited here; "Sincronizar templates" is an action of the channel list."""

    list_display = ["nome", "atalho", "tipo", "canal", "idioma", "status", "categoria", "ativo"]
    list_filter = ["tipo", "status", "ativo", "categoria", "canal"]
    search_fields = ["nome", "atalho", "conteudo", "nome_whatsapp"]
    readonly_fields = ["canal", "id_externo", "status", "motivo_status", "sincronizado_em"]
