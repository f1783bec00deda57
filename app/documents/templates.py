"""The catalog of document templates: doc_templates/catalogo.yaml and spreadsheets/catalogo.yaml."""

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..definitions import Problem
from .values import text_environment

CATALOG_FILE = "catalogo.yaml"
KINDS = ("court", "measure", "plan", "letter", "report", "register")
EXTENSIONS = (".docx", ".xlsx", ".pdf")
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')  # not allowed in a Windows file name
SEPARATOR = re.compile(r"\s+-(?=\s|$)|^-\s")  # " - " between parts (not Rossi-Bianchi)


class TemplateDef(BaseModel):
    """One template: what it is, which forms it draws from, how its file is named."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    kind: Literal["court", "measure", "plan", "letter", "report", "register"]
    file: str
    forms: list[str] = Field(default_factory=list)
    filename: str
    formats: list[Literal["docx", "xlsx", "pdf"]] = Field(default_factory=lambda: ["docx"])
    description: str = ""
    across_cases: bool = False

    @property
    def is_excel(self) -> bool:
        return self.file.endswith(".xlsx")


class Template:
    """A catalog entry with its file on disk."""

    def __init__(self, definition: TemplateDef, path: Path):
        self.definition = definition
        self.path = path
        self.id = definition.id

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def file_name(self, context: dict, extension: str) -> str:
        """The download name from the catalog's pattern, safe for every file system.

        A part that comes out empty (a draft without its date) takes its separator with it:
        "Relazione - Rossi Mario - .docx" is named "Relazione - Rossi Mario.docx".
        """
        try:
            name = _file_name_pattern(self.definition.filename).render(**context)
        except Exception:  # noqa: BLE001 - a bad pattern must not block the download
            name = self.definition.title
        name = " ".join(UNSAFE.sub("-", name).split())
        if name.lower().endswith(EXTENSIONS):
            name = name.rsplit(".", 1)[0]
        parts = (part.strip(" .") for part in SEPARATOR.split(name))
        stem = " - ".join(part for part in parts if part.strip(" .-")) or self.id
        return f"{stem}.{extension}"


@lru_cache(maxsize=256)
def _file_name_pattern(source: str):
    """A catalog's file-name pattern, compiled once per process in one sandbox."""
    return text_environment().from_string(source)


def load_templates(*directories: str | Path) -> tuple[dict[str, Template], list[Problem]]:
    """Every template of the catalogs in the given folders, and the problems found."""
    templates: dict[str, Template] = {}
    problems: list[Problem] = []
    for directory in map(Path, directories):
        catalog = directory / CATALOG_FILE
        if not catalog.exists():
            continue
        try:
            raw = yaml.safe_load(catalog.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(Problem(str(catalog), mark.line + 1 if mark else 1,
                                    f"YAML non valido: {exc}"))
            continue
        for index, item in enumerate(raw):
            try:
                definition = TemplateDef.model_validate(item)
            except ValidationError as exc:
                for error in exc.errors():
                    key = ".".join(str(p) for p in error["loc"])
                    problems.append(Problem(str(catalog), _line(catalog, index),
                                            f"modello n. {index + 1}: '{key}': {error['msg']}"))
                continue
            path = directory / definition.file
            if not path.exists():
                problems.append(Problem(str(catalog), _line(catalog, index),
                                        f"il file del modello '{definition.file}' non esiste"))
                continue
            if definition.id in templates:
                problems.append(Problem(str(catalog), _line(catalog, index),
                                        f"id del modello '{definition.id}' ripetuto"))
                continue
            templates[definition.id] = Template(definition, path)
    return templates, problems


def _line(path: Path, index: int) -> int:
    """Line of the index-th top-level item of a YAML list."""
    count = -1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("- "):
            count += 1
            if count == index:
                return number
    return 1
