"""Every command and every field type is documented where a newcomer looks."""

from pathlib import Path

from app import cli
from app.definitions import fieldtypes

ROOT = Path(__file__).resolve().parent.parent


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in _commands(cli.main) if f"cartella {c}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_field_type_is_in_the_authors_guide():
    guide = (ROOT / "docs" / "moduli.md").read_text()
    missing = [name for name in fieldtypes.REGISTRY if f"`{name}`" not in guide]
    assert not missing, f"field types missing from docs/moduli.md: {missing}"


def test_every_template_filter_is_in_the_template_guide():
    from app.documents.values import FILTERS

    guide_path = ROOT / "docs" / "modelli.md"
    if not guide_path.exists():
        raise AssertionError("docs/modelli.md is missing")
    guide = guide_path.read_text()
    missing = [name for name in FILTERS if name not in guide]
    assert not missing, f"filters missing from docs/modelli.md: {missing}"
