"""Bulk sends in the admin: created from the contact list ("Enviar em lote"), followed with
progress and one row per recipient, cancelled while running."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from atendimento.exceptions import ErroDominio
from atendimento.models import Atendente, Canal, DestinatarioLote, EnvioLote, Template

from .base import AdminEmpresa, InlineSomenteLeitura, empresa_do_usuario


class DestinatarioInline(InlineSomenteLeitura):
    model = DestinatarioLote
    fields = ["posicao", "contato", "status", "motivo", "mensagem", "entrega", "processado_em"]
    readonly_fields = fields
    ordering = ["posicao"]
    show_change_link = False

    @admin.display(description=_("entrega"))
    def entrega(self, obj: DestinatarioLote) -> str:
        if obj.mensagem_id is None:
            return "—"
        detalhe = f" ({obj.mensagem.erro_detalhe})" if obj.mensagem.erro_detalhe else ""
        return f"{obj.mensagem.get_status_display()}{detalhe}"

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(EnvioLote)
class EnvioLoteAdmin(AdminEmpresa):
    list_display = ["criado_em", "canal", "template", "status", "total", "progresso"]
    list_filter = ["status", "canal"]
    readonly_fields = [
        "canal", "template", "conteudo", "variaveis", "criado_por", "status", "taxa_por_segundo",
        "total", "progresso", "iniciado_em", "concluido_em",
    ]  # fmt: skip
    exclude = []
    inlines = [DestinatarioInline]
    actions = ["acao_cancelar"]

    @admin.display(description=_("progresso"))
    def progresso(self, obj: EnvioLote) -> str:
        from atendimento.services.lote import lote_progresso

        p = lote_progresso(obj)
        return (
            _(
                "%(percentual)s%% — %(enfileirados)d enviados, %(ignorados)d ignorados, "
                "%(erros)d com erro, %(pendentes)d aguardando"
            )
            % p
        )

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancelar lotes selecionados"))
    def acao_cancelar(self, request, queryset):
        from atendimento.services.lote import lote_cancelar

        for lote in queryset:
            try:
                lote_cancelar(atendente=_atendente(request, lote.empresa_id), lote=lote)
            except ErroDominio as erro:
                self.message_user(request, f"{lote}: {erro.detalhe}", messages.ERROR)


def _atendente(request, empresa_id) -> Atendente:
    atendente = getattr(request.user, "atendente", None)
    if atendente is None or atendente.empresa_id != empresa_id:
        raise ErroDominio(str(_("Só um atendente da empresa pode enviar em lote.")))
    return atendente


class LoteForm(forms.Form):
    canal = forms.ModelChoiceField(queryset=Canal.objects.none(), label=_("canal"))
    template = forms.ModelChoiceField(
        queryset=Template.objects.none(), required=False, label=_("template")
    )
    conteudo = forms.CharField(
        label=_("texto (sem template)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, empresa, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canal"].queryset = Canal.objects.filter(empresa=empresa, ativo=True)
        self.fields["template"].queryset = Template.objects.filter(
            empresa=empresa, ativo=True
        ).exclude(status__in=("PENDING", "REJECTED", "PAUSED", "DISABLED", "DELETED"))


def enviar_em_lote(modeladmin, request, queryset):
    """Admin action of the contact list: a template (or text) to the selected contacts."""
    from atendimento.services.lote import lote_criar

    empresa = empresa_do_usuario(request)
    if empresa is None:
        modeladmin.message_user(
            request, _("Só um atendente da empresa pode enviar em lote."), messages.ERROR
        )
        return None
    form = LoteForm(request.POST if "confirmar" in request.POST else None, empresa=empresa)
    if form.is_bound and form.is_valid():
        try:
            lote = lote_criar(
                atendente=request.user.atendente,
                canal=form.cleaned_data["canal"],
                contatos=list(queryset.values_list("pk", flat=True)),
                template=form.cleaned_data["template"],
                conteudo=form.cleaned_data["conteudo"],
            )
        except ErroDominio as erro:
            form.add_error(None, erro.detalhe)
        else:
            modeladmin.message_user(
                request,
                _("Lote criado para %(n)d contatos: acompanhe em Envios em lote.")
                % {"n": lote.total},
                messages.SUCCESS,
            )
            return None
    return TemplateResponse(
        request,
        "admin/atendimento/enviar_lote.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Enviar em lote"),
            "form": form,
            "contatos": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


enviar_em_lote.short_description = _("Enviar template em lote para os contatos selecionados")
