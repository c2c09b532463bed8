"""`kpi init`: copies an example set, refuses to overwrite without --force, finds its files."""

from __future__ import annotations

from pathlib import Path

import pytest

import kpicli.cli
from kpicli.api import init as init_cmd
from kpicli.errors import KpiError
from tests.helpers import invoke, write_csv, write_kpis

app = kpicli.cli.app
REPO_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"




def test_init_default_example_writes_yaml_csv_and_xlsx(tmp_path: Path) -> None:
    target = tmp_path / "new" / "kpis"
    code, out, err = invoke("init", str(target))
    assert code == 0, err
    names = sorted(p.name for p in target.iterdir())
    assert names == ["cx-weekly.csv", "cx-weekly.xlsx", "kpis.yaml"]
    for name in names:
        source = REPO_EXAMPLES / "ecommerce-cx" / name
        assert (target / name).read_bytes() == source.read_bytes()
    assert out == ""  # notes go to stderr; stdout carries results only
    assert "wrote the ecommerce-cx example" in err
    assert "kpi report" in err and str(target) in err


@pytest.mark.parametrize(
    ("example", "data"), [("support", "tickets"), ("sales", "sales"), ("ecommerce-cx", "cx-weekly")]
)
def test_init_each_example(tmp_path: Path, example: str, data: str) -> None:
    code, _, err = invoke("init", str(tmp_path), "--example", example)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{data}.csv", f"{data}.xlsx", "kpis.yaml"]
    )
    if example == "sales":
        assert "kpi report --by rep" in err


def test_init_refuses_to_overwrite_then_force_overwrites(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path))[0] == 0
    write_kpis(tmp_path, "title: mine\n")
    code, out, err = invoke("init", str(tmp_path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kpi: error:")
    assert "already exist" in err and "--force" in err and "kpis.yaml" in err
    assert (tmp_path / "kpis.yaml").read_text(encoding="utf-8") == "title: mine\n"
    code, _, err = invoke("init", str(tmp_path), "--force")
    assert code == 0, err
    assert (tmp_path / "kpis.yaml").read_bytes() == (
        REPO_EXAMPLES / "ecommerce-cx" / "kpis.yaml"
    ).read_bytes()


def test_init_refuses_when_only_one_file_exists(tmp_path: Path) -> None:
    write_csv(tmp_path, "mine\n", "tickets.csv")
    code, _, err = invoke("init", str(tmp_path), "--example", "support")
    assert code == 2
    assert "tickets.csv already exists" in err
    assert not (tmp_path / "kpis.yaml").exists()  # nothing written before the check


def test_init_unknown_example_lists_the_examples(tmp_path: Path) -> None:
    code, _, err = invoke("init", str(tmp_path), "--example", "marketing")
    assert code == 2
    assert "unknown example 'marketing'" in err
    for name in ("ecommerce-cx", "sales", "support"):
        assert name in err
    assert list(tmp_path.iterdir()) == []


def test_init_into_a_file_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = invoke("init", str(blocker))
    assert code == 2
    assert "not a folder" in err


def test_init_default_dir_is_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("init", "--example", "sales")
    assert code == 0, err
    assert (tmp_path / "kpis.yaml").is_file()
    assert "next: kpi report --by rep" in err


def test_init_quiet_prints_nothing(tmp_path: Path) -> None:
    code, out, err = invoke("--quiet", "init", str(tmp_path))
    assert code == 0
    assert out == "" and err == ""


def test_example_dir_finds_the_source_checkout() -> None:
    for name in init_cmd.EXAMPLES:
        assert init_cmd.example_dir(name) == REPO_EXAMPLES / name


def test_example_dir_prefers_the_installed_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "_examples"
    (installed / "sales").mkdir(parents=True)
    write_kpis(installed / "sales", "version: 1\n")
    monkeypatch.setattr(init_cmd, "_example_roots", lambda: [installed, REPO_EXAMPLES])
    assert init_cmd.example_dir("sales") == installed / "sales"
    assert init_cmd.example_dir("support") == REPO_EXAMPLES / "support"


def test_example_dir_missing_files_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init_cmd, "_example_roots", lambda: [tmp_path])
    with pytest.raises(KpiError, match="missing from this installation"):
        init_cmd.example_dir("support")


def test_init_imports_no_pandas() -> None:
    import ast

    tree = ast.parse(Path(init_cmd.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(n.startswith(("pandas", "numpy", "openpyxl")) for n in names)
