"""manage.py reindexar_conhecimento: all, one empresa, some articles or the pending ones; with a
progress bar; idempotent; bad arguments are clear errors that change nothing."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from ia.models import ArtigoConhecimento, TrechoConhecimento
from tests.factories import EmpresaFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _artigo(empresa, titulo="Segunda via do boleto", conteudo="Pelo app. Ou pelo site. Ou aqui."):
    return ArtigoConhecimento.objects.create(empresa=empresa, titulo=titulo, conteudo=conteudo)


def _estado():
    """Every chunk as (article, order, type, text, model): what an index run must reproduce."""
    return sorted(
        TrechoConhecimento.objects.values_list(
            "artigo_id", "ordem", "tipo", "texto", "modelo_embedding"
        )
    )


def _rodar(*args):
    saida, erros = io.StringIO(), io.StringIO()
    call_command("reindexar_conhecimento", *args, stdout=saida, stderr=erros)
    return saida.getvalue(), erros.getvalue()


def test_reindexa_tudo_com_barra_de_progresso_e_e_idempotente():
    empresa, outra = EmpresaFactory(), EmpresaFactory()
    _artigo(empresa)
    _artigo(outra, "Prazo de entrega", "Até 7 dias úteis.")
    antes = _estado()
    TrechoConhecimento.objects.all().delete()  # e.g. after a change of chunking
    saida, barra = _rodar()
    assert "2 artigo(s) reindexado(s)" in saida
    assert "artigos: 100%" in barra
    assert "2/2" in barra
    assert _estado() == antes
    _rodar()  # twice: same chunks, nothing duplicated
    assert _estado() == antes


def test_uma_empresa_ou_um_artigo_so():
    empresa, outra = EmpresaFactory(), EmpresaFactory()
    meu, meu2 = _artigo(empresa), _artigo(empresa, "Pix", "Chave CNPJ.")
    dela = _artigo(outra)
    TrechoConhecimento.objects.all().delete()

    saida, _ = _rodar("--empresa", empresa.slug)
    assert "2 artigo(s)" in saida
    assert set(TrechoConhecimento.objects.values_list("artigo_id", flat=True)) == {meu.id, meu2.id}

    _rodar("--artigo", str(dela.id))
    assert TrechoConhecimento.objects.filter(artigo=dela).exists()
    assert TrechoConhecimento.objects.filter(empresa=outra).exclude(artigo=dela).count() == 0
    # by id too, and an article of another empresa is "not found" within --empresa
    _rodar("--empresa", str(empresa.pk))
    with pytest.raises(CommandError, match="not found"):
        _rodar("--empresa", empresa.slug, "--artigo", str(dela.id))


def test_so_pendentes():
    empresa = EmpresaFactory()
    _indexado, editado, outro_modelo = (_artigo(empresa, f"Artigo {i}") for i in range(3))
    ArtigoConhecimento.objects.filter(pk=editado.pk).update(indexado_em=None)
    TrechoConhecimento.objects.filter(artigo=outro_modelo).update(modelo_embedding="antigo")
    saida, _ = _rodar("--pendentes")
    assert "2 artigo(s)" in saida
    assert not TrechoConhecimento.objects.filter(modelo_embedding="antigo").exists()
    saida, _ = _rodar("--pendentes")
    assert "0 artigo(s)" in saida


def test_argumentos_invalidos_nao_mudam_nada():
    empresa = EmpresaFactory()
    _artigo(empresa)
    antes = _estado()
    with pytest.raises(CommandError, match="Empresa not found"):
        _rodar("--empresa", "nao-existe")
    with pytest.raises(CommandError, match="not found"):
        _rodar("--artigo", str(uuid.uuid4()))
    with pytest.raises(CommandError, match="Invalid article id"):
        _rodar("--artigo", "abc")
    assert _estado() == antes
