"""What `cartella import` does, without the command line."""

from pathlib import Path

from .. import store
from ..store import offices as office_store
from .commit import commit, file_sha256
from .limits import ImportFileError, Limits
from .mapping import targets
from .service import (
    MAPPING_MAX_BYTES,
    apply_mapping,
    form_title,
    mapping_yaml,
    plan_and_report,
    prepare,
    read_mapping,
    unmatched_message,
)


def run_import(app, db, path: str, form_id: str, office_code: str, *, sheet=None,
               header_row: int | None = None, area="non_autosufficienza", mapping_path=None,
               save_mapping=None, dry_run=False, report_path=None) -> dict:
    """Read, map, plan and (unless a dry run) commit; a summary for humans and for JSON."""
    catalog = app.extensions["cartella.catalog"]
    form = catalog.forms.get(form_id)
    if form is None:
        return _fatal(f"modulo '{form_id}' inesistente")
    try:
        office = office_store.by_code(db, office_code)
    except store.NotFound:
        return _fatal(f"ufficio '{office_code}' inesistente")
    try:
        prepared = prepare(path, Path(path).name, form, sheet,
                           limits=Limits.from_config(app.config),
                           header_row=None if header_row is None else header_row - 1)
    except ImportFileError as exc:
        return _fatal(str(exc))
    mapping = prepared.layout.mapping
    if mapping_path:
        try:
            saved = read_mapping(Path(mapping_path).read_bytes()[:MAPPING_MAX_BYTES + 1],
                                 Path(mapping_path).name, form,
                                 titles={f.id: form_title(f) for f in catalog.forms.values()})
        except ValueError as exc:
            return _fatal(str(exc))
        mapping = apply_mapping(prepared, form, saved)
    if save_mapping:
        Path(save_mapping).write_text(mapping_yaml(form, prepared, mapping), encoding="utf-8")
    plan, report = plan_and_report(db, form, office["id"], prepared, mapping, area,
                                   catalog.parameters)
    counts = plan.counts()
    committed, import_id = False, None
    if not dry_run:
        import_id = commit(db, plan, filename=Path(path).name, sha256=file_sha256(path),
                           sheet=prepared.raw.sheet, user_id=None, report=report,
                           username="cli")
        committed = True
    if report_path:
        Path(report_path).write_bytes(report)
    headers = prepared.headers
    summary = {
        **counts, "committed": committed, "import_id": import_id, "sheet": prepared.raw.sheet,
        "header_row": prepared.layout.header_row + prepared.raw.first_row,
        "mapping": {str(headers[c]): t for c, t in sorted(mapping.items())},
        "ignored_columns": [str(h) for c, h in enumerate(headers)
                            if c not in mapping and h not in (None, "")],
        "errors": [{"row": e.row, "column": e.column, "message": e.message}
                   for e in plan.errors()],
    }
    labels = {t.key: t.label for t in targets(form)}
    summary["text"] = _text(summary, dry_run, labels,
                            unmatched_message(form, prepared, mapping))
    return summary


def _fatal(message: str) -> dict:
    return {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "persons_created": 0,
            "invalid": 0, "committed": False, "errors": [{"row": None, "column": None,
                                                          "message": message}],
            "fatal": True, "text": [f"Errore: {message}"]}


def _text(summary: dict, dry_run: bool, labels: dict[str, str], unmatched: str) -> list[str]:
    lines = [f"Foglio «{summary['sheet']}», intestazione alla riga {summary['header_row']}."]
    lines += [f"  {header} → {labels.get(target, target)}"
              for header, target in summary["mapping"].items()]
    if unmatched:
        lines.append(unmatched)
    if summary["ignored_columns"]:
        lines.append("Colonne ignorate: " + ", ".join(summary["ignored_columns"]))
    lines.append(f"Righe di dati: {summary['rows']}; da creare: {summary['created']}; "
                 f"da aggiornare: {summary['updated']}; invariate: {summary['unchanged']}; "
                 f"non valide: {summary['invalid']}; unite: {summary['merged']}; "
                 f"persone nuove: {summary['persons_created']}.")
    lines += [f"  riga {e['row']}, {e['column'] or '—'}: {e['message']}"
              for e in summary["errors"]]
    lines.append("Anteprima: nulla è stato scritto." if dry_run else
                 f"Importazione n. {summary['import_id']} registrata.")
    return lines
