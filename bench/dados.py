"""A realistic pt-BR data set for benchmarks: empresas with agents, queues, channels, contacts,
tickets over the last days and their messages, AI sentiment and AI cost — loaded with COPY.

    .venv/bin/python bench/dados.py                          # 20 empresas, 100k tickets, 1M msgs
    .venv/bin/python bench/dados.py --tickets 2000 --mensagens 20000 --empresas 2
    .venv/bin/python bench/dados.py --limpar                 # drop the data set and exit

From Python (another benchmark)::

    from bench.dados import garantir
    info = garantir(empresas=20, tickets=100_000, mensagens=1_000_000)   # idempotent
    info.empresas[0].supervisor  # username; every generated user's password is SENHA

Runs on the ``bench`` profile's embedded PostgreSQL (``.devdata/bench``) unless DATABASE_URL
is set; migrates first. Deterministic: the same arguments and ``--semente`` give the same rows
(ids included). The set is marked on its empresas (slug ``bench-NN``); calling again with the
same arguments reuses it, with other arguments replaces it.

What it respects: every row carries its empresa and every reference stays inside it (the
composite foreign keys are checked at commit); ticket numbers run 1..n per empresa and each
empresa's counter is set to n, so the numbering trigger continues after them; at most one
open ticket per conversation; messages unique per (canal, id_externo). Each ticket's
denormalised columns (last message, counts, first answer) agree with its messages.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
if str(RAIZ) not in sys.path:
    sys.path.insert(0, str(RAIZ))
os.environ.setdefault("CONECTCRM_PERFIL", "bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectcrm.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from atendimento.models import (  # noqa: E402
    Atendente,
    AtendenteFila,
    Canal,
    Contato,
    Empresa,
    Fila,
    Mensagem,
    Ticket,
)
from ia.models import AIInsight, AIMetrica  # noqa: E402

SENHA = "bench-senha-123"
PREFIXO = "bench-"

NOMES = (
    "Ana", "Bruno", "Camila", "Diego", "Eduarda", "Felipe", "Gabriela", "Heitor", "Isabela",
    "João", "Juliana", "Lucas", "Mariana", "Mateus", "Natália", "Otávio", "Patrícia", "Rafael",
    "Sabrina", "Thiago", "Vitória", "Wellington", "Larissa", "Gustavo", "Beatriz", "Rodrigo",
    "Fernanda", "Leonardo", "Aline", "Carlos", "Daniela", "Marcelo", "Priscila", "Renato",
)  # fmt: skip
SOBRENOMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares",
    "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira",
)  # fmt: skip
EMPRESAS = (
    "Loja Aurora", "Padaria Pão Dourado", "Clínica Bem Viver", "Auto Peças Rodovia",
    "Escola Saber Mais", "Pet Shop Amigo Fiel", "Ótica Visão Clara", "Farmácia Popular Sul",
    "Academia Corpo em Forma", "Imobiliária Lar Doce", "Construtora Alicerce", "Moda Praia Sol",
    "Livraria Página Viva", "Telecom Conecta", "Seguradora Amparo", "Restaurante Sabor Mineiro",
    "Agência Rumo Certo", "Eletrônicos Volt", "Cosméticos Flor de Lis", "Transportadora Veloz",
)  # fmt: skip
FILAS = (("Suporte", 15, 8 * 60), ("Financeiro", 30, 24 * 60), ("Vendas", 10, 4 * 60))
CANAIS = (
    ("whatsapp", "WhatsApp", 0.55),
    ("email", "E-mail", 0.2),
    ("telegram", "Telegram", 0.1),
    ("twilio", "SMS", 0.1),
    ("webchat", "Chat do site", 0.05),
)
ASSUNTOS = (
    "Pedido não chegou", "Troca de produto", "Segunda via do boleto", "Dúvida sobre entrega",
    "Cancelamento", "Produto com defeito", "Alteração de endereço", "Nota fiscal",
    "Orçamento", "Agendamento", "Reembolso", "Problema no acesso", "Cobrança indevida",
)  # fmt: skip
FALAS_CLIENTE = (
    "Olá, bom dia! Meu pedido {n} ainda não chegou, podem verificar?",
    "Oi, preciso da segunda via do boleto que vence amanhã.",
    "Boa tarde, o produto veio com defeito. Como faço a troca?",
    "Vocês entregam em {cidade}? Qual o prazo?",
    "Quero cancelar minha assinatura, por favor.",
    "Fui cobrado duas vezes no cartão, isso é um absurdo!",
    "Obrigado pela ajuda, resolveu sim 😊",
    "Ainda estou aguardando retorno...",
    "Consegue me mandar a nota fiscal por e-mail?",
    "Qual o horário de funcionamento da loja?",
    "Já fiz o pagamento via Pix, segue o comprovante.",
    "Não consigo acessar minha conta, diz que a senha está errada.",
)
FALAS_ATENDENTE = (
    "Olá! Aqui é {agente}, vou verificar para você. Um momento, por favor.",
    "Localizei seu pedido {n}: ele está em rota de entrega e chega até amanhã.",
    "Enviei a segunda via para o seu e-mail cadastrado.",
    "Sinto muito pelo transtorno! Já abri a solicitação de troca.",
    "Pode me informar o CPF do titular, por favor?",
    "O estorno foi solicitado e aparece na próxima fatura.",
    "Prontinho! Posso ajudar em algo mais?",
    "Nosso horário é de segunda a sexta, das 8h às 18h, e sábado até 13h.",
)
CIDADES = ("São Paulo", "Belo Horizonte", "Recife", "Porto Alegre", "Curitiba", "Salvador")
DDDS = ("11", "21", "31", "41", "51", "61", "71", "81", "85", "92")
SENTIMENTOS = (("positivo", 0.35), ("neutro", 0.45), ("negativo", 0.2))
STATUS = (("fechado", 0.8), ("aberto", 0.07), ("em_atendimento", 0.08), ("aguardando", 0.05))


@dataclass
class EmpresaGerada:
    id: uuid.UUID
    nome: str
    supervisor: str
    atendentes: list[str] = field(default_factory=list)
    tickets: int = 0


@dataclass
class Dados:
    empresas: list[EmpresaGerada]
    tickets: int
    mensagens: int
    segundos: float = 0.0


# ----------------------------------------------------------------------------- COPY helper
def _valor(campo, valor):
    if isinstance(valor, dict | list):
        return json.dumps(valor, ensure_ascii=False)
    return valor


def copiar(modelo, linhas: Iterable[dict]) -> int:
    """COPY ``linhas`` into ``modelo``'s table; columns a row leaves out take the field's
    default (Django's defaults live in Python, not in the table)."""
    campos = [f for f in modelo._meta.concrete_fields if not getattr(f, "generated", False)]
    padroes = {}
    for f in campos:
        if f.has_default():
            padroes[f.attname] = f.get_default()
        elif f.null:
            padroes[f.attname] = None
        else:
            padroes[f.attname] = "" if f.empty_strings_allowed else None
    nomes = ", ".join(f'"{f.column}"' for f in campos)
    n = 0
    sql = f'COPY "{modelo._meta.db_table}" ({nomes}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for linha in linhas:
            copy.write_row([_valor(f, linha.get(f.attname, padroes[f.attname])) for f in campos])
            n += 1
    return n


# ----------------------------------------------------------------------------- generator
class Gerador:
    def __init__(self, semente: int, dias: int, agora: datetime):
        self.r = random.Random(semente)
        self.dias = dias
        self.agora = agora

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.r.getrandbits(128), version=4)

    def nome(self) -> str:
        return f"{self.r.choice(NOMES)} {self.r.choice(SOBRENOMES)}"

    def telefone(self) -> str:
        return f"55{self.r.choice(DDDS)}9{self.r.randrange(10**7, 10**8)}"

    def escolher(self, pesos):
        valores, p = zip(*[(v[0], v[-1]) for v in pesos], strict=True)
        return self.r.choices(valores, weights=p)[0]

    def momento(self) -> datetime:
        """A ticket's opening: business hours more likely, more recent days more likely."""
        dia = int(self.r.triangular(0, self.dias, 0))
        hora = self.r.choices(range(24), weights=[1] * 7 + [6] * 11 + [2] * 6)[0]
        return (
            self.agora
            - timedelta(days=dia, hours=self.r.random() * 2)
            - timedelta(hours=(self.agora.hour - hora) % 24, minutes=self.r.randrange(60))
        )


@contextlib.contextmanager
def _sem_indices(tabelas: list[str], verbose: bool):
    """Drop the secondary indexes (not those behind constraints) of ``tabelas`` during the load
    and build them again afterwards: much faster than maintaining them row by row (the
    full-text GIN index above all)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.tablename = ANY(%s) AND NOT EXISTS (
                      SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [tabelas],
        )
        indices = cursor.fetchall()
        for nome, _ in indices:
            cursor.execute(f'DROP INDEX IF EXISTS "{nome}"')
    try:
        yield
    finally:
        inicio = time.perf_counter()
        with connection.cursor() as cursor:
            # inside a caller's transaction the deferred foreign-key checks are still pending,
            # and PostgreSQL builds no index over them: run them now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _, definicao in indices:
                cursor.execute(definicao.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        if verbose:
            print(f"  {len(indices)} índices recriados em {time.perf_counter() - inicio:.1f} s")


def _do_conjunto():
    """The data set's empresas: marked in their settings (other benchmarks also create
    empresas named ``bench-…``; those are neither counted nor removed here)."""
    return Empresa.objects.filter(slug__startswith=PREFIXO, configuracoes__has_key="bench_dados")


def _limpar() -> int:
    ids = list(_do_conjunto().values_list("id", flat=True))
    if not ids:
        return 0
    tabelas = [
        "atendimento_ai_insights", "atendimento_ai_metricas", "atendimento_notificacoes",
        "atendimento_preferencias_notificacao", "atendimento_mensagens", "atendimento_historico",
        "atendimento_tickets", "atendimento_contato_identidades", "atendimento_contatos",
        "atendimento_atendente_fila", "atendimento_canais", "atendimento_filas",
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        existentes = set(connection.introspection.table_names(cursor))
        cursor.execute("UPDATE atendimento_filas SET ultimo_atendente_distribuido_id = NULL "
                       "WHERE empresa_id = ANY(%s)", [ids])  # fmt: skip
        for tabela in tabelas:
            if tabela in existentes:
                cursor.execute(f'DELETE FROM "{tabela}" WHERE empresa_id = ANY(%s)', [ids])
        usuarios = list(
            Atendente.objects.filter(empresa_id__in=ids).values_list("usuario_id", flat=True)
        )
        Atendente.objects.filter(empresa_id__in=ids).delete()
        get_user_model().objects.filter(id__in=usuarios).delete()
        Empresa.objects.filter(id__in=ids).delete()
    return len(ids)


def _marca(empresas: int, tickets: int, mensagens: int, semente: int, dias: int) -> dict:
    return {"empresas": empresas, "tickets": tickets, "mensagens": mensagens,
            "semente": semente, "dias": dias, "versao": 1}  # fmt: skip


def _existente(marca: dict) -> Dados | None:
    empresas = list(_do_conjunto().order_by("slug"))
    if len(empresas) != marca["empresas"] or any(
        (e.configuracoes or {}).get("bench_dados") != marca for e in empresas
    ):
        return None
    geradas = []
    for e in empresas:
        pessoas = Atendente.objects.filter(empresa=e).select_related("usuario")
        geradas.append(
            EmpresaGerada(
                id=e.id,
                nome=e.nome,
                supervisor=next(a.usuario.username for a in pessoas if a.papel == "supervisor"),
                atendentes=[a.usuario.username for a in pessoas if a.papel == "atendente"],
                tickets=e.ultimo_numero_ticket,
            )
        )
    return Dados(geradas, marca["tickets"], marca["mensagens"])


def garantir(
    *, empresas: int = 20, tickets: int = 100_000, mensagens: int = 1_000_000,
    semente: int = 42, dias: int = 90, migrar: bool = True, verbose: bool = False,
) -> Dados:  # fmt: skip
    """The data set with these arguments, generated unless it is already there."""
    if migrar:
        call_command("migrate", verbosity=0)
    marca = _marca(empresas, tickets, mensagens, semente, dias)
    pronto = _existente(marca)
    if pronto is not None:
        return pronto
    _limpar()
    inicio = time.perf_counter()
    g = Gerador(semente, dias, timezone.now().replace(microsecond=0))
    hash_senha = make_password(SENHA, salt="benchsalt")
    por_empresa = [
        tickets // empresas + (1 if i < tickets % empresas else 0) for i in range(empresas)
    ]
    geradas = []
    total_msgs = 0
    with _sem_indices(["atendimento_mensagens", "atendimento_tickets"], verbose):
        for i in range(empresas):
            with transaction.atomic():
                gerada, n_msgs = _empresa(
                    g, i, por_empresa[i], mensagens / tickets, hash_senha, marca
                )
            geradas.append(gerada)
            total_msgs += n_msgs
            if verbose:
                print(f"  {gerada.nome}: {gerada.tickets} tickets, {n_msgs} mensagens", flush=True)
    with connection.cursor() as cursor:
        for tabela in ("atendimento_tickets", "atendimento_mensagens", "atendimento_contatos",
                       "atendimento_ai_insights", "atendimento_ai_metricas"):  # fmt: skip
            cursor.execute(f'ANALYZE "{tabela}"')
    return Dados(geradas, tickets, total_msgs, time.perf_counter() - inicio)


def _empresa(g: Gerador, i: int, n_tickets: int, msgs_por_ticket: float, hash_senha, marca):
    nome = EMPRESAS[i % len(EMPRESAS)] + ("" if i < len(EMPRESAS) else f" {i // len(EMPRESAS) + 1}")
    empresa = Empresa.objects.create(
        id=g.uuid(), nome=nome, slug=f"{PREFIXO}{i + 1:02d}",
        configuracoes={"bench_dados": marca}, ultimo_numero_ticket=n_tickets,
    )  # fmt: skip
    User = get_user_model()
    papeis = [("admin", 1), ("supervisor", 1), ("atendente", 10)]
    usuarios, pessoas = [], []
    for papel, quantos in papeis:
        for k in range(quantos):
            username = f"{PREFIXO}{i + 1:02d}-{papel}{k + 1 if quantos > 1 else ''}"
            u = User(username=username, email=f"{username}@exemplo.com.br", password=hash_senha)
            usuarios.append(u)
            pessoas.append(
                Atendente(
                    id=g.uuid(),
                    empresa=empresa,
                    usuario=u,
                    nome=g.nome(),
                    papel=papel,
                    email=u.email,
                    capacidade=g.r.choice((4, 5, 6, 8)),
                    status=g.escolher((("online", 5), ("ausente", 1), ("offline", 3))),
                )
            )
    User.objects.bulk_create(usuarios)
    for u, a in zip(usuarios, pessoas, strict=True):
        a.usuario_id = u.id
    Atendente.objects.bulk_create(pessoas)
    agentes = [a for a in pessoas if a.papel == "atendente"]
    filas = Fila.objects.bulk_create(
        [Fila(id=g.uuid(), empresa=empresa, nome=n, ordem=k, sla_primeira_resposta_min=pr,
              sla_resolucao_min=res, distribuicao="round_robin")
         for k, (n, pr, res) in enumerate(FILAS)]
    )  # fmt: skip
    membros = []
    for k, a in enumerate(agentes):
        for f in {filas[k % 3], filas[(k * 7) % 3]}:
            membros.append(AtendenteFila(id=g.uuid(), empresa=empresa, atendente=a, fila=f))
    AtendenteFila.objects.bulk_create(membros)
    canais = Canal.objects.bulk_create(
        [Canal(id=g.uuid(), empresa=empresa, tipo=t, nome=f"{n} {nome}", ativo=True,
               identificador=f"{PREFIXO}{i}-{t}", fila_padrao=filas[0])
         for t, n, _ in CANAIS]
    )  # fmt: skip
    pesos_canal = [p for *_, p in CANAIS]
    agora = g.agora

    # contacts
    contatos = []
    for _ in range(max(1, n_tickets // 2)):
        nome_c = g.nome()
        email = f"{nome_c.split()[0].lower()}.{g.r.randrange(10**6)}@exemplo.com.br"
        contatos.append({"id": g.uuid(), "empresa_id": empresa.id, "criado_em": agora,
                         "atualizado_em": agora, "nome": nome_c, "telefone": g.telefone(),
                         "email": email})  # fmt: skip
    copiar(Contato, contatos)

    tickets, msgs, insights = [], [], []
    for numero in range(1, n_tickets + 1):
        t, m, ins = _ticket(g, empresa, numero, contatos, canais, pesos_canal, filas, agentes,
                            msgs_por_ticket)  # fmt: skip
        tickets.append(t)
        msgs.extend(m)
        if ins:
            insights.append(ins)
    copiar(Ticket, tickets)
    n_msgs = copiar(Mensagem, msgs)
    copiar(AIInsight, insights)
    metricas = []
    for d in range(g.dias):
        dia = (agora - timedelta(days=d)).date()
        for func, modelo, custo in (("sentimento", "gpt-4o-mini", 0.00015),
                                    ("sugestao", "gpt-4o-mini", 0.0006)):  # fmt: skip
            chamadas = g.r.randrange(20, 200)
            metricas.append({"id": g.uuid(), "empresa_id": empresa.id, "criado_em": agora,
                             "atualizado_em": agora, "data": dia, "provider": "openai",
                             "modelo": modelo, "funcionalidade": func, "chamadas": chamadas,
                             "erros": g.r.randrange(0, 3), "tokens_entrada": chamadas * 600,
                             "tokens_saida": chamadas * 80,
                             "custo": round(chamadas * custo, 6),
                             "latencia_total_ms": chamadas * 700})  # fmt: skip
    copiar(AIMetrica, metricas)
    return (
        EmpresaGerada(
            id=empresa.id,
            nome=nome,
            supervisor=next(
                u.username
                for u, a in zip(usuarios, pessoas, strict=True)
                if a.papel == "supervisor"
            ),
            atendentes=[
                u.username for u, a in zip(usuarios, pessoas, strict=True) if a.papel == "atendente"
            ],
            tickets=n_tickets,
        ),
        n_msgs,
    )


def _ticket(g, empresa, numero, contatos, canais, pesos_canal, filas, agentes, media):
    r = g.r
    contato = r.choice(contatos)
    canal = r.choices(canais, weights=pesos_canal)[0]
    fila = r.choices(filas, weights=(6, 2, 2))[0]
    criado = min(g.momento(), g.agora - timedelta(minutes=1))
    status = g.escolher(STATUS)
    if (g.agora - criado) > timedelta(days=7):
        status = "fechado"
    atendente = r.choice(agentes) if status != "aberto" else None
    n_msgs = int(r.expovariate(1 / (media - 0.5))) + 1 if media > 1 else 1
    # first answer: lognormal minutes (median ~8 min), slower for Financeiro
    primeira = None
    if atendente is not None and n_msgs > 1:
        minutos = r.lognormvariate(2.1 + (0.6 if fila.nome == "Financeiro" else 0), 0.9)
        primeira = criado + timedelta(minutes=minutos)
    fechado = None
    if status == "fechado":
        base = primeira or criado
        fechado = base + timedelta(minutes=r.lognormvariate(4.0, 1.1))
        fechado = min(fechado, g.agora)
    sla_pr = criado + timedelta(minutes=fila.sla_primeira_resposta_min)
    sla_res = criado + timedelta(minutes=fila.sla_resolucao_min)
    violado = (primeira or g.agora) > sla_pr or (fechado or g.agora) > sla_res
    fim = fechado or (g.agora if status != "aberto" else criado + timedelta(minutes=5))
    fim = max(fim, (primeira or criado) + timedelta(seconds=1))
    # messages between criado and fim: customer first, the first answer at ``primeira``
    datas = sorted(criado + (fim - criado) * r.random() for _ in range(n_msgs - 1))
    mensagens = []
    ultima_entrada = None
    n_pedido = f"#{r.randrange(10000, 99999)}"
    for k in range(n_msgs):
        if k == 0:
            data, entrada = criado, True
        elif k == 1 and primeira is not None:
            data, entrada = primeira, False
        else:
            data = max(datas[k - 1], primeira or criado) if primeira else datas[k - 1]
            entrada = r.random() < 0.5 or atendente is None
        if entrada:
            texto = r.choice(FALAS_CLIENTE).format(n=n_pedido, cidade=r.choice(CIDADES))
            ultima_entrada = data
        else:
            texto = r.choice(FALAS_ATENDENTE).format(n=n_pedido, agente=atendente.nome.split()[0])
        mensagens.append({
            "id": g.uuid(), "empresa_id": empresa.id, "criado_em": data, "atualizado_em": data,
            "canal_id": canal.id, "direcao": "entrada" if entrada else "saida",
            "remetente_tipo": "contato" if entrada else "atendente",
            "atendente_id": None if entrada else atendente.id,
            "remetente_nome": contato["nome"] if entrada else atendente.nome,
            "tipo": "texto", "conteudo": texto,
            "status": "recebida" if entrada else r.choice(("entregue", "lida", "lida")),
            "id_externo": f"b{numero}.{k}.{empresa.slug}", "data": data, "ordem": k,
            "lida_pelo_atendente": True,
        })  # fmt: skip
    tid = g.uuid()
    for m in mensagens:
        m["ticket_id"] = tid
    ultima = max(mensagens, key=lambda m: m["data"])
    ticket = {
        "id": tid, "empresa_id": empresa.id, "criado_em": criado,
        "atualizado_em": fechado or ultima["data"], "numero": numero, "canal_id": canal.id,
        "fila_id": fila.id, "atendente_id": atendente.id if atendente else None,
        "contato_id": contato["id"], "assunto": r.choice(ASSUNTOS), "status": status,
        "prioridade": r.choices(("baixa", "media", "alta", "urgente"), (2, 6, 2, 1))[0],
        "conversa_id_externo": f"{contato['telefone']}.{numero}",
        "sla_primeira_resposta_em": sla_pr, "sla_resolucao_em": sla_res, "sla_violado": violado,
        "primeira_resposta_em": primeira, "fechado_em": fechado,
        "motivo_fechamento": "Resolvido" if fechado else "",
        "ultima_mensagem_em": ultima["data"], "ultima_mensagem_resumo": ultima["conteudo"][:200],
        "ultima_entrada_em": ultima_entrada, "nao_lidas": 0, "total_mensagens": len(mensagens),
    }  # fmt: skip
    insight = None
    if r.random() < 0.3:
        sentimento = g.escolher(SENTIMENTOS)
        insight = {"id": g.uuid(), "empresa_id": empresa.id, "criado_em": criado,
                   "atualizado_em": criado, "ticket_id": tid, "tipo": "sentimento",
                   "resultado": {"sentimento": sentimento}, "sentimento": sentimento,
                   "sentimento_score": round(r.uniform(-1, 1), 2), "provider": "local"}  # fmt: skip
    return ticket, mensagens, insight


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--empresas", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--mensagens", type=int, default=1_000_000)
    parser.add_argument("--dias", type=int, default=90)
    parser.add_argument("--semente", type=int, default=42)
    parser.add_argument("--limpar", action="store_true", help="drop the data set and exit")
    args = parser.parse_args(argv)
    if args.limpar:
        call_command("migrate", verbosity=0)
        print(json.dumps({"empresas_removidas": _limpar()}))
        return
    dados = garantir(
        empresas=args.empresas, tickets=args.tickets, mensagens=args.mensagens,
        semente=args.semente, dias=args.dias, verbose=True,
    )  # fmt: skip
    print(json.dumps({
        "empresas": len(dados.empresas), "tickets": dados.tickets, "mensagens": dados.mensagens,
        "segundos": round(dados.segundos, 1), "supervisor": dados.empresas[0].supervisor,
        "senha": SENHA,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
