"""LGPD access request: everything the desk holds about one contact, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from atendimento.seguranca.contexto import agindo_como
from atendimento.services.retencao import contato_exportar

from ._contato import contato_do_comando


class Command(BaseCommand):
    help = "Exporta em JSON os dados pessoais de um contato (todos os tickets e canais)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("empresa_id")
        parser.add_argument("contato_id")
        parser.add_argument("--saida", help="arquivo JSON (padrão: a saída padrão)")
        parser.add_argument("--solicitante", default="comando", help="quem pediu (auditoria)")

    def handle(self, *args, empresa_id, contato_id, saida=None, solicitante="comando", **op):
        contato = contato_do_comando(empresa_id, contato_id)
        with agindo_como(solicitante):
            dados = contato_exportar(contato)
        texto = json.dumps(dados, ensure_ascii=False, indent=2)
        if saida:
            Path(saida).write_text(texto, encoding="utf-8")
            self.stderr.write(f"dados do contato gravados em {saida}")
        else:
            self.stdout.write(texto)
