"""Every per-channel fact lives on the adapter class (``canais/adapters/<tipo>/``): no module
outside ``canais/adapters/`` keeps a table keyed by channel type, so a new channel is its own
package plus one line in ``canais/registry.py`` (``docs/novo-canal.md``).

The scan reads the source (AST) of every product module and flags:

* a dict key, set element or subscript/``setdefault``/``get`` key written as ``Canal.Tipo.X``;
* a table at module or class level (dict, set, frozenset, tuple, list) whose keys or elements
  are the names of two or more channel types (``{"whatsapp": 4096, "telegram": 4096}``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from canais.registry import classe_adaptador, escolhas, tipos

RAIZ = Path(__file__).resolve().parents[2]
PACOTES = ("atendimento", "canais", "conectcrm", "ia")
FORA = (RAIZ / "canais" / "adapters",)


def _modulos() -> list[Path]:
    arquivos = []
    for pacote in PACOTES:
        for arquivo in sorted((RAIZ / pacote).rglob("*.py")):
            if "migrations" in arquivo.parts or any(arquivo.is_relative_to(p) for p in FORA):
                continue
            arquivos.append(arquivo)
    return arquivos


def _e_tipo_de_canal(no: ast.AST) -> bool:
    texto = ast.unparse(no)
    return texto.startswith(("Canal.Tipo.", "TipoCanal."))


def _chaves(no: ast.AST) -> list[ast.AST]:
    if isinstance(no, ast.Dict):
        return [k for k in no.keys if k is not None]
    if isinstance(no, ast.Set | ast.Tuple | ast.List):
        return list(no.elts)
    if isinstance(no, ast.Call) and ast.unparse(no.func) in ("frozenset", "set", "dict"):
        if no.args:
            return _chaves(no.args[0])
        return [ast.Constant(k.arg) for k in no.keywords if k.arg]
    return []


def tabelas_por_tipo(fonte: str, nomes_de_tipo: set[str]) -> list[tuple[int, str]]:
    """(line, code) of every mapping keyed by channel type in ``fonte``."""
    arvore = ast.parse(fonte)
    achados: list[tuple[int, str]] = []

    for no in ast.walk(arvore):
        chaves: list[ast.AST] = []
        if isinstance(no, ast.Dict | ast.Set):
            chaves = _chaves(no)
        elif isinstance(no, ast.Subscript):
            chaves = [no.slice]
        elif (
            isinstance(no, ast.Call)
            and isinstance(no.func, ast.Attribute)
            and no.func.attr in ("setdefault", "get", "pop")
            and no.args
        ):
            chaves = [no.args[0]]
        if any(_e_tipo_de_canal(c) for c in chaves):
            achados.append((no.lineno, ast.unparse(no)[:120]))

    corpos = [arvore.body] + [c.body for c in ast.walk(arvore) if isinstance(c, ast.ClassDef)]
    for corpo in corpos:
        for instrucao in corpo:
            if not isinstance(instrucao, ast.Assign | ast.AnnAssign) or instrucao.value is None:
                continue
            textos = {
                c.value
                for c in _chaves(instrucao.value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
            if len(textos & nomes_de_tipo) >= 2:
                achados.append((instrucao.lineno, ast.unparse(instrucao)[:120]))
    return achados


def test_nenhuma_tabela_por_tipo_de_canal_fora_dos_adaptadores():
    nomes = set(tipos())
    encontrados = []
    for arquivo in _modulos():
        for linha, codigo in tabelas_por_tipo(arquivo.read_text(encoding="utf-8"), nomes):
            encontrados.append(f"{arquivo.relative_to(RAIZ)}:{linha}: {codigo}")
    assert encontrados == [], "per-channel facts belong on the adapter class:\n" + "\n".join(
        encontrados
    )


@pytest.mark.parametrize(
    "fonte",
    [
        'LIMITE = {"whatsapp": 4096, "telegram": 4096}',
        'TIPOS = frozenset({"whatsapp", "telegram", "twilio"})',
        "class X:\n    CHAVES = {Canal.Tipo.EMAIL: 1}",
        "def f():\n    return {Canal.Tipo.EMAIL: 1}",
        "def f(d):\n    d.setdefault(Canal.Tipo.EMAIL, [])",
        "def f(d):\n    return d[Canal.Tipo.WHATSAPP]",
    ],
)
def test_a_varredura_reconhece_tabelas_por_tipo(fonte):
    assert tabelas_por_tipo(fonte, {"whatsapp", "telegram", "twilio", "email"})


@pytest.mark.parametrize(
    "fonte",
    [
        'ANTIGO = {"telefone": contato.telefone, "email": contato.email}',
        "def f(canal):\n    return canal.tipo == Canal.Tipo.EMAIL",
        'def f():\n    return {"whatsapp": 1, "telegram": 2}',  # a function's local value
    ],
)
def test_a_varredura_deixa_o_resto(fonte):
    assert tabelas_por_tipo(fonte, {"whatsapp", "telegram", "twilio", "email"}) == []


def test_todo_adaptador_declara_seus_fatos():
    """The facts the desk reads are declared by every registered adapter (not inherited
    empty by mistake): the config keys it accepts cover its secrets and required keys."""
    for tipo in tipos():
        classe = classe_adaptador(tipo)
        assert classe.__name__ != "Adaptador", tipo
        assert classe.rotulo, tipo
        assert classe.campos_segredo <= classe.chaves_config, tipo
        assert classe.campos_obrigatorios <= classe.chaves_config, tipo
        assert set(classe.config_gerada()) <= classe.chaves_config, tipo
        assert set(classe.config_ao_ativar("https://exemplo.test/")) <= classe.chaves_config
        assert classe.identidades_destino or classe.campo_contato_destino, tipo


def test_as_escolhas_dos_modelos_vem_do_registro():
    """A new channel needs no change to the models: their choices are the registry's."""
    from atendimento.models import Canal, IdentidadeContato

    assert [t for t, _ in Canal._meta.get_field("tipo").choices] == [
        classe_adaptador(t).tipo for t in [c for c, _ in escolhas()]
    ]
    assert {t for t, _ in Canal._meta.get_field("tipo").choices} == set(tipos())
    identidades = {t for t, _ in IdentidadeContato._meta.get_field("tipo").choices}
    for tipo in tipos():
        assert set(classe_adaptador(tipo).identidades_destino) <= identidades, tipo
        assert set(classe_adaptador(tipo).identidades_conversa) <= identidades, tipo


@pytest.fixture
def canal_novo():
    """A sixth kind of channel registered at run time, as its own package plus the registry
    line would: nothing else is changed."""
    from canais import registry
    from canais.adapters.base import AdaptadorCanal

    class AdaptadorPombo(AdaptadorCanal):
        tipo = "pombo"
        rotulo = "Pombo-correio"
        chaves_config = frozenset({"pombal", "senha"})
        campos_segredo = frozenset({"senha"})
        campos_obrigatorios = frozenset({"pombal"})
        identidades_conversa = ("pombal_cliente",)
        identidades_destino = ("pombal_cliente",)
        identidades_proprias = {"pombal_cliente": "Pombal do cliente"}
        limite_texto = 140

        @classmethod
        def identificador_da_config(cls, config):
            return str(config.get("pombal") or "")

    registry.tipos()  # load the real ones first
    registry.registrar(AdaptadorPombo)
    yield AdaptadorPombo
    registry._ADAPTADORES.pop("pombo", None)


def test_um_canal_novo_funciona_sem_mudar_o_dominio(empresa, canal_novo):
    """Created through the service, validated by the model, addressed through its identity
    type: the models, the services and the API learn the channel from the registry alone."""
    from atendimento.exceptions import RegraNegocio
    from atendimento.models import Contato, IdentidadeContato
    from atendimento.services.tickets import conversa_do_contato
    from canais.services import canal_criar, config_mascarada

    canal = canal_criar(
        empresa=empresa, tipo="pombo", nome="Pombal", config={"pombal": "p1", "senha": "segredo1"}
    )
    canal.full_clean()
    assert canal.get_tipo_display() == "Pombo-correio"
    assert canal.identificador == "p1"
    assert "senha" not in canal.config  # a secret of its adapter: encrypted apart
    assert config_mascarada(canal)["senha"] == "••••edo1"
    with pytest.raises(RegraNegocio):
        canal_criar(empresa=empresa, tipo="pombo", nome="X", config={"asas": "2"})

    contato = Contato.objects.create(empresa=empresa, nome="Ana")
    identidade = IdentidadeContato(
        empresa=empresa, contato=contato, tipo="pombal_cliente", valor="janela-3"
    )
    identidade.full_clean()
    identidade.save()
    assert identidade.get_tipo_display() == "Pombal do cliente"
    assert conversa_do_contato(canal=canal, contato=contato) == "janela-3"
