"""A `make run` stack on its own data folder for the fault-injection scenarios, and what they
share: signed WhatsApp webhooks, a burst sender, counts read straight from its PostgreSQL.

Run as a script with the stack's environment (``python -m tests.falhas.apoio preparar``) it
creates an empresa with a WhatsApp channel and prints their ids (JSON)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.processos import RAIZ, Processo, porta_livre

PNID = "990000000000777"
PNID_SAIDA = "990000000000888"
SEGREDO = "segredo-das-falhas"
#: outbound calls of the stack: a short provider timeout and retry backoff (1, 2, 4, 8, 16 s),
#: so the outbound scenario ends in bounded time (defaults: 10 s and 5 s)
TIMEOUT_PROVEDOR_S = 2.0
BACKOFF_BASE_S = 1.0
#: attempts of one outbound message before it ends ``erro`` (the first + canais.tasks.envio's
#: MAX_TENTATIVAS retries)
MAX_TENTATIVAS_SAIDA = 6


def corpo_whatsapp(wamid: str, wa_id: str, texto: str = "Olá") -> bytes:
    mensagem = {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text"}
    mensagem["text"] = {"body": texto}
    valor = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": f"Cliente {wa_id[-4:]}"}, "wa_id": wa_id}],
        "messages": [mensagem],
    }
    dados = {"object": "whatsapp_business_account"}
    dados["entry"] = [{"id": "1", "changes": [{"field": "messages", "value": valor}]}]
    return json.dumps(dados).encode()


def assinatura(corpo: bytes) -> str:
    return "sha256=" + hmac.new(SEGREDO.encode(), corpo, hashlib.sha256).hexdigest()


@dataclass
class Pilha:
    """``python -m conectcrm.executar`` (what `make run` runs) on ``pasta``."""

    pasta: Path
    porta: int
    processo: Processo
    env: dict[str, str] = field(default_factory=dict)
    empresa_id: str = ""
    canal_id: str = ""
    enviados: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.porta}"

    @property
    def dados(self) -> Path:
        return self.pasta / "run"

    def dsn(self) -> str:
        from conectcrm import embedded

        rodando = embedded._postmaster(self.dados / "pg")
        assert rodando is not None, "PostgreSQL da pilha fora do ar"
        return f"postgresql://postgres@/postgres?host={rodando[1]}"

    def sql(self, consulta: str, *parametros) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as conexao:
            return conexao.execute(consulta, parametros).fetchall()

    def filho(self, trecho: str) -> psutil.Process | None:
        for proc in psutil.Process(self.processo.proc.pid).children(recursive=True):
            try:
                if trecho in " ".join(proc.cmdline()):
                    return proc
            except psutil.NoSuchProcess:
                continue
        return None

    def worker_pronto(self, limite: float = 120) -> psutil.Process:
        """The Celery worker once it consumes: its process is up AND it printed "ready." since
        the supervisor last started it.  A scenario must start from a healthy desk: the one
        before may have left the worker restarting (the supervisor waits a backoff of 1-30 s
        before a restart, and a worker takes seconds to import and connect on a busy
        machine); looking it up in that window found no process, or one that could not take
        a batch yet."""
        fim = time.monotonic() + limite
        while time.monotonic() < fim:
            worker = self.filho("worker -Q webhooks")
            if worker is not None:
                saida = list(self.processo.saida)
                marca = f"worker iniciado (pid {worker.pid})"
                inicio = max((i for i, linha in enumerate(saida) if marca in linha), default=None)
                if inicio is not None and any(
                    " ready." in linha and "| " in linha and " worker " in linha.split("|")[0]
                    for linha in saida[inicio:]
                ):
                    return worker
            time.sleep(0.2)
        raise RuntimeError(f"worker não ficou pronto:\n{''.join(self.processo.saida)[-4000:]}")

    def reinicios(self, desde: int) -> list[str]:
        """The supervisor's lines (children that exited, servers restarted) after line
        ``desde`` of the stack's output."""
        return [linha.strip() for linha in self.processo.saida[desde:] if "supervisor|" in linha]

    def postar(self, cliente: httpx.Client, wamid: str, wa_id: str) -> int:
        corpo = corpo_whatsapp(wamid, wa_id)
        cabecalhos = {"Content-Type": "application/json", "X-Hub-Signature-256": assinatura(corpo)}
        try:
            resposta = cliente.post(
                f"/api/atendimento/webhooks/whatsapp/{self.empresa_id}/",
                content=corpo,
                headers=cabecalhos,
            )
        except httpx.HTTPError:
            return 0
        return resposta.status_code

    def rajada(self, prefixo: str, n: int, *, conexoes: int = 8, durante=None) -> dict[str, int]:
        """Post ``n`` distinct webhooks over ``conexoes`` connections; ``durante(i)`` is called
        by the sender of webhook ``i`` (fault injection at a chosen point).  Returns
        {wamid: last HTTP status}; a webhook answered 503 is retried (as providers do) until
        it is acknowledged or 60 s passed."""
        status: dict[str, int] = {}

        def enviar(parte: list[int]) -> None:
            with httpx.Client(base_url=self.base, timeout=15) as cliente:
                for i in parte:
                    if durante is not None:
                        durante(i)
                    wamid = f"wamid.{prefixo}.{i:05d}"
                    fim = time.monotonic() + 60
                    while True:
                        status[wamid] = self.postar(cliente, wamid, f"55119{i % 50:08d}")
                        if status[wamid] == 200 or time.monotonic() > fim:
                            break
                        time.sleep(0.2)

        partes = [list(range(k, n, conexoes)) for k in range(conexoes)]
        with ThreadPoolExecutor(conexoes) as executor:
            list(executor.map(enviar, partes))
        return status

    def preparar_saida(self, api_base_url: str, n: int) -> dict:
        """A WhatsApp channel of the stack's empresa sending to ``api_base_url``, a supervisor's
        access token, ``n`` open conversations (customer window open) and one more whose
        recipient the provider always refuses (``veneno``)."""
        saida = _rodar_com_env(self.env, "preparar_saida", api_base_url, str(n))
        return json.loads(saida.strip().splitlines()[-1])

    def contagens(self, prefixo: str) -> dict[str, int]:
        """Messages stored, distinct, and events not finished for ``prefixo``'s webhooks."""
        guardadas, distintas = self.sql(
            "SELECT count(*), count(DISTINCT id_externo) FROM atendimento_mensagens "
            "WHERE canal_id = %s AND id_externo LIKE %s",
            self.canal_id,
            f"wamid.{prefixo}.%",
        )[0]
        (pendentes,) = self.sql(
            "SELECT count(*) FROM atendimento_eventos_webhook WHERE canal_id = %s "
            "AND status = 'recebido' AND convert_from(corpo, 'UTF8') LIKE %s",
            self.canal_id,
            f"%wamid.{prefixo}.%",
        )[0]
        (falhos,) = self.sql(
            "SELECT count(*) FROM atendimento_eventos_webhook WHERE canal_id = %s "
            "AND status = 'falhou' AND convert_from(corpo, 'UTF8') LIKE %s",
            self.canal_id,
            f"%wamid.{prefixo}.%",
        )[0]
        return {"guardadas": guardadas, "distintas": distintas, "pendentes": pendentes + falhos}

    def esperar_recuperacao(self, prefixo: str, aceitos: set[str], limite: float = 90) -> dict:
        """Wait until every acknowledged webhook is stored and nothing is pending; the final
        lost / duplicated / stuck counts and how long it took."""
        inicio = time.monotonic()
        while True:
            try:
                contagem = self.contagens(prefixo)
                ids = {
                    linha[0]
                    for linha in self.sql(
                        "SELECT id_externo FROM atendimento_mensagens WHERE canal_id = %s "
                        "AND id_externo LIKE %s",
                        self.canal_id,
                        f"wamid.{prefixo}.%",
                    )
                }
            except Exception:  # the database is still coming back
                contagem, ids = None, set()
            if contagem is not None:
                perdidas = len(aceitos - ids)
                if (not perdidas and not contagem["pendentes"]) or (
                    time.monotonic() - inicio > limite
                ):
                    return {
                        "perdidas": perdidas,
                        "duplicadas": contagem["guardadas"] - contagem["distintas"],
                        "presas": contagem["pendentes"],
                        "recuperacao_s": round(time.monotonic() - inicio, 1),
                    }
            time.sleep(0.5)


def iniciar_pilha(pasta: Path) -> Pilha:
    porta = porta_livre()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        CONECTCRM_DEVDATA=str(pasta),
        CONECTCRM_PERFIL="run",
        DJANGO_SETTINGS_MODULE="conectcrm.settings",
        PORT=str(porta),
        PYTHONUNBUFFERED="1",
        VARREDURA_WEBHOOKS_SEGUNDOS="3",  # bounded recovery for the suite (default 30 s)
        PROVEDOR_TIMEOUT_SEGUNDOS=str(TIMEOUT_PROVEDOR_S),
        ENVIO_BACKOFF_BASE_SEGUNDOS=str(BACKOFF_BASE_S),
    )
    processo = Processo([sys.executable, "-m", "conectcrm.executar"], env)
    pilha = Pilha(pasta, porta, processo, env)
    # the first start runs initdb and the migrations: ~85 s was seen at load 10-13
    processo.esperar_porta(porta, limite=240)
    processo.esperar_texto("celery@", limite=180)
    saida = _rodar_com_env(env, "preparar")
    dados = json.loads(saida.strip().splitlines()[-1])
    pilha.empresa_id, pilha.canal_id = dados["empresa"], dados["canal"]
    return pilha


def parar_pilha(pilha: Pilha) -> list[psutil.Process]:
    filhos = psutil.Process(pilha.processo.proc.pid).children(recursive=True)
    pilha.processo.proc.send_signal(signal.SIGTERM)
    pilha.processo.proc.wait(90)
    _, vivos = psutil.wait_procs(filhos, timeout=20)
    return vivos


def _rodar_com_env(env: dict[str, str], acao: str, *argumentos: str) -> str:
    import subprocess

    resultado = subprocess.run(  # noqa: S603 - this module
        [sys.executable, "-m", "tests.falhas.apoio", acao, *argumentos],
        env=env,
        cwd=RAIZ,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    return resultado.stdout


def _preparar() -> None:
    import django

    django.setup()
    from atendimento.models import Canal
    from tests.factories import EmpresaFactory, FilaFactory

    empresa = EmpresaFactory(nome="Falhas", slug="falhas")
    fila = FilaFactory(empresa=empresa, nome="Falhas")
    canal = Canal.objects.create(
        empresa=empresa,
        tipo="whatsapp",
        nome="WhatsApp falhas",
        ativo=True,
        config={"phone_number_id": PNID, "api_base_url": "http://127.0.0.1:9"},
        segredos={"app_secret": SEGREDO, "access_token": "x", "verify_token": "y"},
        identificador=PNID,
        fila_padrao=fila,
    )
    print(json.dumps({"empresa": str(empresa.pk), "canal": str(canal.pk)}))  # noqa: T201


def _preparar_saida(api_base_url: str, n: int) -> None:
    import django

    django.setup()
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from atendimento.models import Atendente, Canal, Empresa, Fila, Ticket
    from tests.factories import AtendenteFactory, ContatoFactory, TicketFactory

    empresa = Empresa.objects.get(slug="falhas")
    fila = Fila.objects.get(empresa=empresa, nome="Falhas")
    canal = Canal.objects.create(
        empresa=empresa,
        tipo="whatsapp",
        nome="WhatsApp saída",
        ativo=True,
        config={"phone_number_id": PNID_SAIDA, "api_base_url": api_base_url},
        segredos={"app_secret": SEGREDO, "access_token": "x", "verify_token": "y"},
        identificador=PNID_SAIDA,
        fila_padrao=fila,
    )
    supervisor = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR)
    agora = timezone.now()
    tickets = []
    for i in range(n + 1):
        contato = ContatoFactory(empresa=empresa, telefone=f"5521{i:09d}")
        tickets.append(
            TicketFactory(
                empresa=empresa,
                canal=canal,
                fila=fila,
                contato=contato,
                atendente=supervisor,
                status=Ticket.Status.EM_ATENDIMENTO,
                ultima_entrada_em=agora,
            )
        )
    veneno = tickets.pop()
    print(  # noqa: T201
        json.dumps(
            {
                "token": str(AccessToken.for_user(supervisor.usuario)),
                "tickets": [str(t.pk) for t in tickets],
                "veneno": str(veneno.pk),
                "destino_veneno": veneno.conversa_id_externo,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "preparar":
        _preparar()
    elif sys.argv[1] == "preparar_saida":
        _preparar_saida(sys.argv[2], int(sys.argv[3]))
