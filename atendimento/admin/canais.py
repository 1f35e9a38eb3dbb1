from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from atendimento.models import Canal, EventoWebhook, IntegracaoConfig, OpcaoMenu

from .base import AdminEmpresa, InlineEmpresa, empresa_do_usuario


def mascarar(segredos: dict | None) -> str:
    if not segredos:
        return "—"
    return ", ".join(f"{chave}: ••••{str(valor)[-4:]}" for chave, valor in sorted(segredos.items()))


class FormularioSegredos(forms.ModelForm):
    """Secrets are write-only: the form never shows them; what is typed replaces them."""

    novos_segredos = forms.JSONField(
        label=_("definir segredos"),
        required=False,
        help_text=_(
            'JSON com os segredos a definir ou substituir, ex. {"access_token": "..."}. '
            "Em branco mantém os atuais. Nunca são exibidos."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )

    def clean_novos_segredos(self):
        valor = self.cleaned_data.get("novos_segredos") or {}
        if not isinstance(valor, dict):
            raise forms.ValidationError(_("Informe um objeto JSON."))
        return {str(k): str(v) for k, v in valor.items() if v not in (None, "")}


#: the channel's automation settings (first-contact menu, bot policy), saved as they are
CAMPOS_AUTOMACAO = [
    "menu_ativo",
    "menu_saudacao",
    "menu_opcao_invalida",
    "menu_tentativas",
    "menu_espera_min",
    "resposta_automatica",
]


class CanalForm(FormularioSegredos):
    class Meta:
        model = Canal
        fields = ["tipo", "nome", "config", "fila_padrao", "empresa", *CAMPOS_AUTOMACAO]


class OpcaoMenuForm(forms.ModelForm):
    class Meta:
        model = OpcaoMenu
        fields = ["numero", "rotulo", "fila", "sinonimos"]

    def clean(self):
        dados = super().clean()
        fila = dados.get("fila")
        canal = self.instance.canal if self.instance.canal_id else None
        if fila is not None and canal is not None and fila.empresa_id != canal.empresa_id:
            raise forms.ValidationError(_("Escolha uma fila da empresa do canal."))
        return dados


class OpcaoMenuInline(InlineEmpresa):
    model = OpcaoMenu
    form = OpcaoMenuForm
    verbose_name = _("opção do menu")
    verbose_name_plural = _("opções do menu de primeiro contato")


@admin.register(Canal)
class CanalAdmin(AdminEmpresa):
    form = CanalForm
    list_display = ["nome", "tipo", "ativo", "identificador", "fila_padrao", "ultimo_teste_ok"]
    list_filter = ["tipo", "ativo"]
    search_fields = ["nome", "identificador"]
    inlines = [OpcaoMenuInline]
    readonly_fields = [
        "ativo",
        "identificador",
        "segredos_mascarados",
        "webhook_registrado_em",
        "ultimo_teste_em",
        "ultimo_teste_ok",
        "ultimo_teste_detalhe",
    ]
    actions = ["acao_ativar", "acao_desativar", "acao_testar", "acao_sincronizar_templates"]

    @admin.display(description=_("segredos"))
    def segredos_mascarados(self, obj: Canal) -> str:
        return mascarar(obj.segredos)

    def save_model(self, request, obj, form, change):
        from canais.services import canal_atualizar, canal_criar

        config = {**(form.cleaned_data.get("config") or {}), **form.cleaned_data["novos_segredos"]}
        empresa = empresa_do_usuario(request) or form.cleaned_data.get("empresa")
        if change:
            atualizado = canal_atualizar(
                canal=Canal.objects.get(pk=obj.pk),
                nome=obj.nome,
                config=config,
                fila_padrao=obj.fila_padrao,
            )
        else:
            atualizado = canal_criar(
                empresa=empresa,
                tipo=obj.tipo,
                nome=obj.nome,
                config=config,
                fila_padrao=obj.fila_padrao,
            )
        from atendimento.services.menu_inicial import canal_configurar_automacao

        atualizado = canal_configurar_automacao(
            canal=atualizado, **{c: form.cleaned_data[c] for c in CAMPOS_AUTOMACAO}
        )
        obj.pk = atualizado.pk
        obj.__dict__.update(atualizado.__dict__)

    @admin.action(description=_("Ativar canais selecionados (registra o webhook)"))
    def acao_ativar(self, request, queryset):
        from canais.services import canal_ativar

        for canal in queryset:
            url = request.build_absolute_uri(
                f"/api/atendimento/webhooks/{canal.tipo}/{canal.empresa_id}/"
            )
            try:
                canal_ativar(canal=canal, url_webhook=url)
            except Exception as erro:  # shown to the supervisor, nothing half-done
                self.message_user(request, f"{canal}: {erro}", messages.ERROR)
            else:
                self.message_user(request, f"{canal}: ativado.", messages.SUCCESS)

    @admin.action(description=_("Desativar canais selecionados"))
    def acao_desativar(self, request, queryset):
        from canais.services import canal_desativar

        for canal in queryset:
            url = request.build_absolute_uri(
                f"/api/atendimento/webhooks/{canal.tipo}/{canal.empresa_id}/"
            )
            desativado = canal_desativar(canal=canal, url_webhook=url)
            if desativado.webhook_registrado_em is not None:  # provider not reached
                self.message_user(
                    request, f"{canal}: {desativado.ultimo_teste_detalhe}", messages.WARNING
                )
        self.message_user(request, _("Canais desativados."), messages.SUCCESS)

    @admin.action(description=_("Sincronizar templates (WhatsApp)"))
    def acao_sincronizar_templates(self, request, queryset):
        from atendimento.exceptions import ErroDominio
        from atendimento.services.templates_whatsapp import templates_sincronizar

        for canal in queryset:
            try:
                contagem = templates_sincronizar(canal=canal)
            except ErroDominio as erro:
                self.message_user(request, f"{canal}: {erro.detalhe}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(canal)s: %(criados)d novos, %(atualizados)d atualizados, "
                      "%(removidos)d removidos.")
                    % {"canal": canal, **contagem},
                    messages.SUCCESS,
                )  # fmt: skip

    @admin.action(description=_("Testar conexão com o provedor"))
    def acao_testar(self, request, queryset):
        from canais.services import canal_testar

        for canal in queryset:
            resultado = canal_testar(canal=canal)
            nivel = messages.SUCCESS if resultado.ok else messages.ERROR
            self.message_user(request, f"{canal}: {resultado.detalhe}", nivel)


@admin.register(EventoWebhook)
class EventoWebhookAdmin(AdminEmpresa):
    """The inbound log.  Events that arrived while their channel was inactive are kept as
    ``ignorado``: filter by that status and "processar agora" once the channel is active."""

    list_display = ["recebido_em", "canal", "status", "tentativas", "id_evento_externo", "erro"]
    list_filter = ["status", "canal__tipo", "canal"]
    search_fields = ["id_evento_externo", "erro"]
    date_hierarchy = "recebido_em"
    exclude = ["corpo"]
    readonly_fields = ["corpo_texto"]
    actions = ["acao_processar_agora"]

    @admin.display(description=_("corpo"))
    def corpo_texto(self, obj: EventoWebhook) -> str:
        return bytes(obj.corpo or b"").decode("utf-8", errors="replace")[:20000]

    @admin.action(description=_("Processar agora (eventos ignorados com o canal inativo)"))
    def acao_processar_agora(self, request, queryset):
        from canais.webhooks_guardados import eventos_ignorados_reprocessar

        empresas = {e.empresa_id for e in queryset.only("empresa_id")}
        enfileirados = inativos = 0
        for empresa_id in empresas:
            feitos, parados = eventos_ignorados_reprocessar(
                empresa_id=empresa_id,
                ids=list(queryset.filter(empresa_id=empresa_id).values_list("pk", flat=True)),
            )
            enfileirados += feitos
            inativos += parados
        self.message_user(
            request,
            _("%(n)d eventos enviados para processamento.") % {"n": enfileirados},
            messages.SUCCESS,
        )
        if inativos:
            self.message_user(
                request,
                _("%(n)d eventos continuam ignorados: ative o canal antes.") % {"n": inativos},
                messages.WARNING,
            )

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IntegracaoForm(FormularioSegredos):
    class Meta:
        model = IntegracaoConfig
        fields = ["tipo", "ativo", "configuracao", "empresa"]

    def clean(self):
        from ia.provedores.selecao import erros_configuracao

        dados = super().clean()
        erros = erros_configuracao(dados.get("tipo", ""), dados.get("configuracao"))
        if erros:
            self.add_error("configuracao", erros)
        return dados


@admin.register(IntegracaoConfig)
class IntegracaoConfigAdmin(AdminEmpresa):
    form = IntegracaoForm
    list_display = ["tipo", "ativo", "atualizado_em"]
    list_filter = ["tipo", "ativo"]
    readonly_fields = ["segredos_mascarados"]

    @admin.display(description=_("segredos"))
    def segredos_mascarados(self, obj: IntegracaoConfig) -> str:
        return mascarar(obj.segredos)

    def save_model(self, request, obj, form, change):
        novos = form.cleaned_data["novos_segredos"]
        if novos:
            obj.segredos = {**(obj.segredos or {}), **novos}
        super().save_model(request, obj, form, change)
