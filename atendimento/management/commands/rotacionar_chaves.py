"""Re-encrypt every secret at rest with the newest FIELD_ENCRYPTION_KEY (with a progress bar)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from atendimento.services import chaves


class Command(BaseCommand):
    help = (
        "Reescreve todos os segredos cifrados (credenciais de canais e integrações) com a "
        "primeira chave de FIELD_ENCRYPTION_KEY. Rode depois de acrescentar uma chave nova "
        "no início da lista; em seguida a chave antiga pode ser removida."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sem-barra", action="store_true", help="sem barra de progresso")

    def handle(self, *args, sem_barra: bool = False, **opcoes) -> None:
        total = chaves.total_de_linhas()
        with tqdm(
            total=total, unit="linha", desc="segredos", disable=sem_barra, file=self.stderr
        ) as barra:
            feitas = chaves.reencriptar(barra.update)
        self.stdout.write(f"{feitas} linha(s) com segredos recifradas com a chave mais nova.")
