from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from atendimento.exceptions import ErroDominio
from atendimento.services.empresas import empresa_criar


class Command(BaseCommand):
    help = "Cria uma empresa (tenant) com a conta do seu administrador e imprime uma linha JSON."

    def add_arguments(self, parser):
        parser.add_argument("nome")
        parser.add_argument("--admin", required=True, help="nome de usuário do administrador")
        parser.add_argument("--password", required=True, help="senha do administrador")
        parser.add_argument("--email", default="")

    def handle(self, *args, nome, admin, password, email, **options):
        try:
            empresa, _ = empresa_criar(
                nome=nome, admin_username=admin, admin_password=password, admin_email=email
            )
        except ErroDominio as erro:
            raise CommandError(erro.detalhe) from None
        self.stdout.write(json.dumps({"empresa_id": str(empresa.id), "usuario": admin}))
