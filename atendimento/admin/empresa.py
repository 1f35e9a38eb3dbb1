from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from atendimento.models import Empresa
from atendimento.services import email_layout

from .base import pode_administrar


class EmpresaForm(forms.ModelForm):
    """The e-mail layout and signature live in ``configuracoes["email"]``: two plain fields."""

    layout_email = forms.CharField(
        label=_("Layout do e-mail (HTML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90}),
        help_text=_(
            "HTML das respostas por e-mail, com {{conteudo}} onde entra a mensagem e "
            "{{assinatura}} onde entra a assinatura; aceita {{empresa.nome}}, "
            "{{atendente.nome}}, {{contato.nome}}, {{ticket.numero}}. Vazio: o layout padrão."
        ),
    )
    assinatura_email = forms.CharField(
        label=_("Assinatura do e-mail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90}),
        help_text=_("Texto ao fim de cada resposta; aceita as mesmas variáveis."),
    )

    class Meta:
        model = Empresa
        fields = ["nome", "slug", "ativo", "fuso_horario", "configuracoes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = email_layout.configuracao(self.instance) if self.instance.pk else {}
        self.fields["layout_email"].initial = config.get("layout_html", "")
        self.fields["assinatura_email"].initial = config.get(
            "assinatura", email_layout.ASSINATURA_PADRAO
        )

    def clean_layout_email(self) -> str:
        layout = self.cleaned_data["layout_email"].strip()
        if layout and "{{conteudo}}" not in layout.replace(" ", ""):
            raise forms.ValidationError(_("O layout precisa de {{conteudo}}."))
        return layout

    def save(self, commit=True):
        empresa = super().save(commit=False)
        configuracoes = dict(empresa.configuracoes or {})
        configuracoes["email"] = {
            **email_layout.configuracao(empresa),
            "layout_html": self.cleaned_data["layout_email"],
            "assinatura": self.cleaned_data["assinatura_email"].strip(),
        }
        empresa.configuracoes = configuracoes
        if commit:
            empresa.save()
        return empresa


@admin.register(Empresa)
class EmpresaAdmin(admin.ModelAdmin):
    """Platform superusers manage every empresa; a tenant's admin sees only their own."""

    form = EmpresaForm
    list_display = ["nome", "slug", "ativo", "criado_em"]
    search_fields = ["nome", "slug"]
    readonly_fields = ["ultimo_numero_ticket"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        atendente = getattr(request.user, "atendente", None)
        return qs.filter(pk=atendente.empresa_id) if atendente else qs.none()

    def has_module_permission(self, request):
        return pode_administrar(request)

    def has_view_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_change_permission(self, request, obj=None):
        return pode_administrar(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
