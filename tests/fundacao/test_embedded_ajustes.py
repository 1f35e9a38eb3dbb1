"""The embedded PostgreSQL's settings file: shared_buffers sized to the machine, within bounds,
overridable, and included from postgresql.conf exactly once."""

from __future__ import annotations

from conectcrm import embedded


def test_shared_buffers_por_memoria_dentro_dos_limites(monkeypatch):
    monkeypatch.delenv("CONECTCRM_PG_SHARED_BUFFERS_MB", raising=False)
    for memoria, esperado in ((1024, 128), (4096, 256), (8192, 512), (65536, 1024)):
        monkeypatch.setattr(embedded, "_memoria_mb", lambda m=memoria: m)
        assert embedded.shared_buffers_mb() == esperado
    monkeypatch.setenv("CONECTCRM_PG_SHARED_BUFFERS_MB", "300")
    assert embedded.shared_buffers_mb() == 300


def test_memoria_da_maquina_e_positiva():
    assert embedded._memoria_mb() > 0


def test_ajustes_escritos_e_incluidos_uma_vez(tmp_path, monkeypatch):
    monkeypatch.setenv("CONECTCRM_PG_SHARED_BUFFERS_MB", "256")
    (tmp_path / "postgresql.conf").write_text("max_connections = 100\n")
    embedded.escrever_ajustes(tmp_path)
    monkeypatch.setenv("CONECTCRM_PG_SHARED_BUFFERS_MB", "384")
    embedded.escrever_ajustes(tmp_path)  # a later start rewrites the values, includes once
    principal = (tmp_path / "postgresql.conf").read_text()
    assert principal.startswith("max_connections = 100\n")
    assert principal.count("include_if_exists = 'conectcrm.conf'") == 1
    assert "shared_buffers = '384MB'" in (tmp_path / embedded.AJUSTES_PG).read_text()
