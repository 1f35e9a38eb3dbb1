"""LGPD erasure request: a contact's personal data erased across tickets and channels."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from atendimento.seguranca.contexto import agindo_como
from atendimento.services.retencao import contato_apagar_dados

from ._contato import contato_do_comando


class Command(BaseCommand):
    help = (
        "Apaga os dados pessoais de um contato (nome, telefone, e-mail, identidades, conteúdo "
        "e mídia das mensagens, payloads de webhook). Tickets, números e tempos ficam para as "
        "métricas."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("empresa_id")
        parser.add_argument("contato_id")
        parser.add_argument("--confirmar", action="store_true", help="sem isto, nada é apagado")
        parser.add_argument("--solicitante", default="comando", help="quem pediu (auditoria)")

    def handle(self, *args, empresa_id, contato_id, confirmar=False, solicitante="comando", **op):
        contato = contato_do_comando(empresa_id, contato_id)
        if not confirmar:
            raise CommandError("nada foi apagado: repita com --confirmar")
        with agindo_como(solicitante):
            feito = contato_apagar_dados(contato)
        self.stdout.write(
            f"apagado: {feito['mensagens']} mensagem(ns), {feito['identidades']} "
            f"identidade(s), {feito['eventos']} evento(s) de webhook."
        )
