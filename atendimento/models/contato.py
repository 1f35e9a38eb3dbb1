from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from canais.adapters.base import TipoIdentidade

from .base import ModeloEmpresa, chave_empresa


class Contato(ModeloEmpresa):
    """A customer: one person across channels (identities in IdentidadeContato)."""

    nome = models.CharField(max_length=200, blank=True, verbose_name=_("nome"))
    telefone = models.CharField(
        max_length=20,
        blank=True,
        db_index=True,
        help_text=_("E.164, dígitos"),
        verbose_name=_("telefone"),
    )
    email = models.EmailField(blank=True, db_index=True, verbose_name=_("e-mail"))
    observacoes = models.TextField(_("observações"), blank=True)
    metadados = models.JSONField(default=dict, blank=True, verbose_name=_("metadados"))
    # the contact asked not to receive campaigns (STOP, Twilio 21610): bulk sends skip them
    opt_out_em = models.DateTimeField(_("descadastrado em"), null=True, blank=True)
    opt_out_motivo = models.CharField(_("motivo do descadastro"), max_length=255, blank=True)

    class Meta:
        db_table = "atendimento_contatos"
        verbose_name = _("contato")
        verbose_name_plural = _("contatos")
        ordering = ["nome"]
        constraints = [chave_empresa("atendimento_contatos")]

    def __str__(self) -> str:
        return self.nome or self.telefone or self.email or str(self.id)


def tipos_de_identidade() -> list[tuple[str, Any]]:
    """``IdentidadeContato.tipo``'s choices: each channel's identities plus phone and e-mail."""
    from canais.registry import escolhas_identidade

    return escolhas_identidade()


class IdentidadeContato(ModeloEmpresa):
    """How a contact is known on one channel: WhatsApp wa_id or business-scoped user id,
    Telegram user id (64-bit), phone (E.164 digits, Brazilian mobiles with the ninth digit),
    e-mail address."""

    #: names of the built-in identity types; the choices (labels included) come from the
    #: channels' adapters (:func:`tipos_de_identidade`)
    Tipo = TipoIdentidade

    contato = models.ForeignKey(
        Contato, on_delete=models.CASCADE, related_name="identidades", verbose_name=_("contato")
    )
    tipo = models.CharField(max_length=20, choices=tipos_de_identidade, verbose_name=_("tipo"))
    valor = models.CharField(max_length=255, verbose_name=_("valor"))
    nome_exibicao = models.CharField(_("nome de exibição"), max_length=200, blank=True)
    username = models.CharField(max_length=100, blank=True, verbose_name=_("username"))

    class Meta:
        db_table = "atendimento_contato_identidades"
        verbose_name = _("identidade do contato")
        verbose_name_plural = _("identidades do contato")
        constraints = [
            models.UniqueConstraint(
                fields=["empresa", "tipo", "valor"], name="identidade_empresa_tipo_valor_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tipo_display()}: {self.valor}"
