"""Import of a 100,000-row register end to end vs a bare calamine read; re-import; export.

    python bench/bench_import.py [--rows 100000] [--people 4000] [--runs 1]
        [--skip-report] [--report-rows N,N,...] [--profile] [--profile-only]
        [--profile-rows 10000] [--top 30] [--cache /tmp/cartella-bench-import]

The register is a .xlsx for the misura_b1 form of forms/: 20 columns (codice fiscale, cognome,
nome, data di nascita, valore ISEE, anno, 11 more columns that map to misura_b1 fields, 3 that
map to nothing), one row per (person, anno). `--people` distinct persons with valid codici
fiscali (python-codicefiscale `encode`) each appear once per year from 2016 on, so every row is
a distinct sheet. It is written once with openpyxl's write-only mode and cached under --cache.
The suggested mapping must be exactly the expected one, or the script stops.

Every measured scenario runs in its own Python process, so that `ru_maxrss` is that scenario's
peak and nothing else's (RUSAGE_SELF: that process; RUSAGE_CHILDREN: the reader child that
`read_file` starts, the only child it waits for). Each stage is timed as wall time and as CPU
time (the process's plus its waited-for children's), since the machine is shared.

bare      python-calamine `CalamineWorkbook.from_path(p).get_sheet_by_index(0).to_python()`,
          3 times before the import and 3 times after the export; the median of the 6 is the
          reference for the ratios.
import    what `cartella import` does (app.imports.scripting.run_import), stage by stage, over
          a fresh instance (app.create_app with FORMS_DIR=forms, empty template folders) and
          one office: read_file (child process, JSON back), find_layout, plan_import,
          report_xlsx (the per-row report that run_import builds before the commit and the
          commit stores), commit. "total" is read + layout + plan + commit, the stages the
          goal is about; "total as run_import" adds the report. --skip-report leaves the
          report out (the commit then gets report=None), for code where it is quadratic
          (before commit 7ebf715): --report-rows then times it on the first N rows of the
          plan, after the commit and the memory reading.
reimport  the same file again into the same instance: every row must come out unchanged.
export    export_form over store.entries.for_export of the office (all the entries), to an
          .xlsx on disk; "bare" is sqlite3 + json.loads + openpyxl write-only appending plain
          values of the same rows and columns (no type conversion, no WriteOnlyCell), in the
          same process before ours.

`--profile` then breaks read_file into its steps on the full register, and runs cProfile, in
separate processes, over plan_import, commit and report_xlsx (first 1,000 rows) of a first
import and of a re-import of a --profile-rows register of the same shape (rows per person).
"""

import argparse
import copy
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORM_ID = "misura_b1"
OFFICE = "BENCH"
FIRST_YEAR = 2016
FORMAT = 1  # bump when the generated register changes, so the cache is rebuilt

SURNAMES = ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
            "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
            "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo",
            "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola", "De Santis",
            "D'Angelo", "Marchetti")
MEN = ("Mario", "Giuseppe", "Giovanni", "Antonio", "Luigi", "Francesco", "Angelo", "Vincenzo",
       "Pietro", "Salvatore", "Carlo", "Franco", "Domenico", "Bruno", "Paolo", "Michele",
       "Giorgio", "Aldo", "Sergio", "Luciano")
WOMEN = ("Maria", "Anna", "Giuseppina", "Rosa", "Angela", "Giovanna", "Teresa", "Lucia",
         "Carmela", "Caterina", "Francesca", "Anna Maria", "Antonietta", "Carla", "Elena",
         "Concetta", "Rita", "Margherita", "Franca", "Paola")
PLACES = ("Milano", "Brescia", "Bergamo", "Cremona", "Lodi", "Pavia", "Como", "Varese",
          "Roma", "Napoli", "Torino", "Palermo")
ASST = ("ASST Spedali Civili", "ASST Franciacorta", "ASST Garda", "ASST Valcamonica",
        "ASST Bergamo Est", "ASST Crema")
BUONI = ("Buono per l'assistenza del caregiver familiare", "Nessun buono",
         "Buono per assistente personale con regolare contratto")
RUOLI = ("Il beneficiario", "Un familiare / caregiver",
         "Amministratore di sostegno, tutore o curatore")
ISEE_TIPI = ("Sociosanitario", "Ordinario", "Per prestazioni rivolte a minorenni")

# Header -> the target find_layout must suggest (None: the column maps to nothing).
COLUMNS = {
    "Codice fiscale": "persona.codice_fiscale",
    "Cognome": "persona.cognome",
    "Nome": "persona.nome",
    "Data di nascita": "persona.data_nascita",
    "Valore ISEE": "isee",
    "Anno": "anno",
    "Data domanda": "data_domanda",
    "ASST": "asst",
    "La persona vive al proprio domicilio": "vive_al_domicilio",
    "Medico specialista e struttura che certificano": "certificatore",
    "Data della certificazione": "data_certificazione",
    "CDRS": "cdrs",
    "EDSS": "edss",
    "Tipo di ISEE": "isee_tipo",
    "Buono mensile richiesto": "buono_richiesto",
    "Richiedente (nome e cognome)": "richiedente_nome",
    "Il richiedente è": "richiedente_ruolo",
    "Protocollo": None,
    "Note interne": None,
    "Operatore inserimento": None,
}


# --- machine and helpers ---------------------------------------------------------------


def machine() -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) // (1024 * 1024)} GiB"
    libs = ", ".join(f"{name} {metadata.version(name)}" for name in
                     ("python-calamine", "openpyxl", "sqlite-utils", "rapidfuzz",
                      "python-codicefiscale", "flask"))
    return (f"CPU: {cpu}, {os.cpu_count()} cores, {memory}; Python "
            f"{platform.python_version()} ({platform.python_implementation()}) on "
            f"{platform.system()} {platform.release()}; SQLite {sqlite3.sqlite_version}\n"
            f"{libs}\nCode measured: {code_version()}\nLoad average at start: "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def code_version() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        dirty = " + uncommitted changes in app/" if git("status", "--porcelain", "app") else ""
        return f"{ROOT}, commit {git('rev-parse', '--short', 'HEAD')}{dirty}"
    except (OSError, subprocess.CalledProcessError):
        return f"{ROOT} (not a git checkout)"


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, MB (Linux reports kilobytes)."""
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for (the reader)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def emit(result: dict) -> None:
    """A stage process hands its figures back to the driver on its last line."""
    print("RESULT " + json.dumps(result), flush=True)


# --- the register ------------------------------------------------------------------------


def people(count: int, rng: random.Random) -> list[tuple]:
    """`count` persons with distinct, valid codici fiscali."""
    from codicefiscale import codicefiscale

    result, codes = [], set()
    while len(result) < count:
        sex = rng.choice("MF")
        surname = rng.choice(SURNAMES)
        name = rng.choice(MEN if sex == "M" else WOMEN)
        born = date(1925, 1, 1) + timedelta(days=rng.randrange(365 * 85))
        code = codicefiscale.encode(lastname=surname, firstname=name, gender=sex,
                                    birthdate=born.strftime("%d/%m/%Y"),
                                    birthplace=rng.choice(PLACES))
        if code in codes:
            continue
        codes.add(code)
        result.append((code, surname, name, born))
    return result


def generate(path: Path, rows: int, persons: int) -> None:
    """Write the register with openpyxl's write-only mode."""
    from openpyxl import Workbook

    rng = random.Random(20261124)
    start = perf_counter()
    crowd = people(persons, rng)
    print(f"  {persons} codici fiscali encoded in {perf_counter() - start:.1f} s", flush=True)
    years = -(-rows // persons)
    if FIRST_YEAR + years - 1 > 2100:
        raise SystemExit("too few people for so many rows: anno must stay within 2016-2100")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Registro B1")
    sheet.append(list(COLUMNS))
    written = 0
    for year in range(FIRST_YEAR, FIRST_YEAR + years):
        for number, (code, surname, name, born) in enumerate(crowd):
            if written == rows:
                break
            asked = date(year, 1, 1) + timedelta(days=rng.randrange(300))
            condition = rng.random()
            sheet.append([
                code, surname, name, born,
                round(rng.uniform(3000, 45000), 2),
                year,
                asked,
                rng.choice(ASST),
                "Sì" if rng.random() < 0.95 else "No",
                f"Dott. {rng.choice(SURNAMES)}, {rng.choice(ASST)}",
                asked - timedelta(days=rng.randrange(10, 120)),
                rng.choice((3, 4, 5, 2, 0.5)) if condition < 0.4 else None,
                rng.choice((9, 9.5, 8, 6.5)) if 0.4 <= condition < 0.6 else None,
                rng.choice(ISEE_TIPI),
                rng.choice(BUONI),
                f"{rng.choice(MEN + WOMEN)} {surname}",
                rng.choice(RUOLI),
                f"PG/{year}/{number:06d}",
                rng.choice(("", "", "sollecitare la DSU", "verificare il domicilio")),
                rng.choice(("mrossi", "lbianchi", "gverdi")),
            ])
            written += 1
    tmp = path.with_suffix(".part")
    workbook.save(tmp)
    tmp.replace(path)
    print(f"  {path} written in {perf_counter() - start:.1f} s, "
          f"{path.stat().st_size / 1e6:.1f} MB", flush=True)


# --- stage processes ---------------------------------------------------------------------


def make_app(instance: Path):
    from app import create_app

    empty = instance.parent / "empty"
    empty.mkdir(exist_ok=True)
    return create_app({"INSTANCE_PATH": instance, "FORMS_DIR": str(ROOT / "forms"),
                       "DOC_TEMPLATES_DIR": str(empty), "SPREADSHEETS_DIR": str(empty)})


def stage_bare(args) -> None:
    from python_calamine import CalamineWorkbook

    base = peak_mb()
    times, shape = [], None
    for _ in range(3):
        start = perf_counter()
        rows = CalamineWorkbook.from_path(args.file).get_sheet_by_index(0).to_python()
        times.append(perf_counter() - start)
        shape = (len(rows), max(len(r) for r in rows))
        del rows
    emit({"times": times, "rows": shape[0], "columns": shape[1], "peak_mb": peak_mb(),
          "base_mb": base})


def stage_import(args, again: bool) -> None:
    """run_import's steps one by one (app/imports/scripting.py), each timed."""
    from app import store
    from app.imports.commit import commit, file_sha256
    from app.imports.mapping import find_layout
    from app.imports.reader import read_file
    from app.imports.service import Prepared, plan_import, report_xlsx
    from app.store import offices

    app = make_app(Path(args.instance))
    db = store.connect(app.config["DATABASE"])
    if not again:
        offices.create(db, OFFICE, "Ufficio del benchmark")
    office = offices.by_code(db, OFFICE)
    catalog = app.extensions["cartella.catalog"]
    form = catalog.forms[FORM_ID]
    path = Path(args.file)
    base = peak_mb()
    steps, peaks = {}, {}

    cpu = {}

    def timed(name, call):
        start, used = perf_counter(), cpu_seconds()
        value = call()
        steps[name] = perf_counter() - start
        cpu[name] = cpu_seconds() - used
        peaks[name] = peak_mb()
        return value

    def profiled(name, part, call):
        if not args.profile_out:
            return timed(name, call)
        import cProfile

        profiler = cProfile.Profile()
        value = timed(name, lambda: profiler.runcall(call))
        profiler.dump_stats(f"{args.profile_out}.{part}")
        return value

    raw = timed("read_file (child process)", lambda: read_file(path, path.name, None))
    layout = timed("find_layout", lambda: find_layout(raw.rows, form))
    prepared = Prepared(raw, layout)
    mapping = layout.mapping
    wanted = {c: t for c, t in ((i, COLUMNS.get(str(h))) for i, h in
                                enumerate(prepared.headers)) if t}
    if mapping != wanted:
        raise SystemExit(f"unexpected mapping: {mapping} instead of {wanted}")
    ctx = {"parametri": catalog.parameters}
    plan = profiled("plan_import", "plan", lambda: plan_import(
        db, form, office["id"], prepared, mapping, "non_autosufficienza", ctx))
    counts = plan.counts()
    # run_import builds the report here, before the commit, and the commit stores it.
    report = None
    if not args.skip_report:
        report = profiled("report_xlsx", "report", lambda: report_xlsx(prepared, plan))
    if not args.report_rows:  # as run_import does
        prepared.release_rows()
    profiled("commit", "commit", lambda: commit(
        db, plan, filename=path.name, sha256=file_sha256(path), sheet=raw.sheet,
        user_id=None, report=report))
    peak_after_commit = peak_mb()
    report_times = {}
    for size in (args.report_rows or ()):
        part = copy.copy(plan)
        part.rows = plan.rows[:size]
        start, used = perf_counter(), cpu_seconds()
        report_xlsx(prepared, part)
        report_times[size] = (perf_counter() - start, cpu_seconds() - used)
    entries = db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    db.conn.close()
    emit({"steps": steps, "cpu": cpu, "peaks": peaks, "base_mb": base,
          "peak_mb": peak_after_commit, "child_peak_mb": peak_mb(resource.RUSAGE_CHILDREN),
          "counts": counts, "data_rows": len(layout.data_rows), "entries": entries,
          "report_times": report_times, "report_bytes": len(report or b""),
          "db_bytes": Path(app.config["DATABASE"]).stat().st_size})


def stage_export(args) -> None:
    from openpyxl import Workbook

    from app import store
    from app.imports.export import _exportable, export_form
    from app.store import entries as entry_store
    from app.store import offices

    app = make_app(Path(args.instance))
    db = store.connect(app.config["DATABASE"])
    office = offices.by_code(db, OFFICE)
    form = app.extensions["cartella.catalog"].forms[FORM_ID]
    out = Path(args.instance).parent
    base = peak_mb()

    # Bare: the same rows and columns, plain values, openpyxl write-only.
    fields = [f.id for f in _exportable(form.fields.values())]
    start = perf_counter()
    conn = sqlite3.connect(app.config["DATABASE"])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Dati")
    sheet.append(["id", "cf", "cognome", "nome", "nascita", "stato", "agg"] + fields)
    bare_count = 0
    for row in conn.execute(
            "SELECT e.id, p.codice_fiscale, p.cognome, p.nome, p.data_nascita, e.status, "
            "e.updated_at, e.data FROM entries e JOIN persons p ON p.id = e.person_id "
            "WHERE e.form_id = ? AND e.office_id = ? AND e.deleted_at IS NULL ORDER BY e.id",
            [FORM_ID, office["id"]]):
        data = json.loads(row[7])
        values = [data.get(f) for f in fields]
        sheet.append(list(row[:7]) + [v if not isinstance(v, list) else ", ".join(v)
                                      for v in values])
        bare_count += 1
    workbook.save(out / "bare_export.xlsx")
    conn.close()
    bare = perf_counter() - start
    bare_peak = peak_mb()

    start = perf_counter()
    with open(out / "export.xlsx", "wb") as handle:
        count = export_form(form, entry_store.for_export(db, office["id"], FORM_ID), handle)
    ours = perf_counter() - start
    emit({"bare": bare, "ours": ours, "count": count, "bare_count": bare_count,
          "columns": 7 + len(fields), "bytes": (out / "export.xlsx").stat().st_size,
          "bare_bytes": (out / "bare_export.xlsx").stat().st_size, "base_mb": base,
          "bare_peak_mb": bare_peak, "peak_mb": peak_mb()})


def stage_readfile_parts(args) -> None:
    """read_file's steps, as reader.read_file does them, timed one by one."""
    from app.imports import reader
    from app.imports.limits import Limits, precheck

    path, limits = Path(args.file), Limits()
    out = {}
    start = perf_counter()
    kind = precheck(path, path.name, limits)
    out["precheck (zip table of contents)"] = perf_counter() - start
    request = {"path": str(path), "kind": kind, "sheet": None, "max_rows": limits.max_rows,
               "max_columns": limits.max_columns, "memory_bytes": limits.memory_bytes,
               "seconds": limits.seconds}
    start = perf_counter()
    subprocess.run([sys.executable, "-P", "-c", "import json, resource, csv"], check=True)
    out["child start-up alone (python -P)"] = perf_counter() - start
    start = perf_counter()
    done = subprocess.run([sys.executable, "-P", str(reader.CHILD)],
                          input=json.dumps(request).encode(), capture_output=True)
    out["child: start + calamine iter_rows + encode + json lines + pipe"] = (
        perf_counter() - start)
    start = perf_counter()
    lines = done.stdout.splitlines()
    rows = [r for line in lines[1:-1] for r in json.loads(line, object_hook=reader._decode)]
    out["parent: json.loads of the lines (dates decoded by object_hook)"] = (
        perf_counter() - start)
    emit({"parts": out, "json_chars": len(done.stdout), "rows": len(rows),
          "child_peak_mb": peak_mb(resource.RUSAGE_CHILDREN)})


# --- driver ------------------------------------------------------------------------------


def run_stage(stage: str, **options) -> dict:
    command = [sys.executable, __file__, "--stage", stage]
    for key, value in options.items():
        if value is True:
            command.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT))
    lines = done.stdout.splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("RESULT "):
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"stage {stage} failed (exit {done.returncode})")
    for line in lines[:-1]:
        print("  " + line)
    return json.loads(lines[-1][len("RESULT "):])


def register(cache: Path, rows: int, persons: int) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"registro_b1_{rows}x{persons}_v{FORMAT}.xlsx"
    if not path.exists():
        print(f"Generating {path.name} (once; cached) ...", flush=True)
        run_stage("generate", file=path, rows=rows, people=persons)
    return path


def one_run(number: int, path: Path, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="cartella-bench-import-") as tmp:
        instance = Path(tmp) / "instance"
        print(f"\n## Run {number}", flush=True)
        bare = run_stage("bare", file=path)
        options = {"skip_report": args.skip_report, "report_rows": args.report_rows}
        first = run_stage("import", file=path, instance=instance, **options)
        again = run_stage("reimport", file=path, instance=instance, **options)
        export = run_stage("export", instance=instance)
        bare_after = run_stage("bare", file=path)
    result = {"bare": bare, "import": first, "reimport": again, "export": export,
              "bare_after": bare_after}
    report(result)
    return result


def report(result: dict) -> None:
    bare_times = result["bare"]["times"] + result["bare_after"]["times"]
    bare = statistics.median(bare_times)
    print(f"\nBare calamine read of {result['bare']['rows']:,} rows x "
          f"{result['bare']['columns']} columns: median {bare:.2f} s "
          f"(6 reads: {', '.join(f'{t:.2f}' for t in bare_times)}), process peak "
          f"{result['bare']['peak_mb']:.0f} MB (of which {result['bare']['base_mb']:.0f} MB "
          "interpreter)")
    for name in ("import", "reimport"):
        r = result[name]
        steps, cpu = r["steps"], r["cpu"]
        kept = [k for k in steps if k != "report_xlsx"]
        total, total_cpu = sum(steps[k] for k in kept), sum(cpu[k] for k in kept)
        print(f"\n{name}: {r['data_rows']:,} data rows, counts {r['counts']}, "
              f"entries in db {r['entries']:,}, db {r['db_bytes'] / 1e6:.0f} MB")
        print("| stage | wall s | CPU s | share of total | x bare read | parent peak so far MB |")
        print("|---|---:|---:|---:|---:|---:|")
        for key, value in steps.items():
            share = f"{100 * value / total:.1f}%" if key in kept else "(not in total)"
            print(f"| {key} | {value:.2f} | {cpu[key]:.2f} | {share} | {value / bare:.1f}x | "
                  f"{r['peaks'][key]:.0f} |")
        print(f"| **total** (read + layout + plan + commit) | **{total:.2f}** | {total_cpu:.2f} "
              f"| 100% | **{total / bare:.1f}x** | |")
        if "report_xlsx" in steps:
            whole = total + steps["report_xlsx"]
            print(f"| total as run_import (+ report_xlsx, {r['report_bytes'] / 1e6:.1f} MB) | "
                  f"{whole:.2f} | {total_cpu + cpu['report_xlsx']:.2f} | | "
                  f"{whole / bare:.1f}x | |")
        print(f"Peak memory: parent {r['peak_mb']:.0f} MB (at start {r['base_mb']:.0f} MB), "
              f"reader child {r['child_peak_mb']:.0f} MB; "
              f"{total / r['data_rows'] * 1000:.2f} ms per data row")
        if r["report_times"]:
            print("report_xlsx on the first N rows of the plan (wall s / CPU s): " + "; ".join(
                f"{int(n):,}: {w:.2f} / {c:.2f}" for n, (w, c) in r["report_times"].items()))
    e = result["export"]
    print(f"\nexport: {e['count']:,} entries x {e['columns']} columns: ours {e['ours']:.2f} s, "
          f"{e['bytes'] / 1e6:.1f} MB; bare {e['bare']:.2f} s, {e['bare_bytes'] / 1e6:.1f} MB; "
          f"ratio {e['ours'] / e['bare']:.2f}x; process peak {e['peak_mb']:.0f} MB (bare "
          f"part {e['bare_peak_mb']:.0f} MB, at start {e['base_mb']:.0f} MB)")


def profile(big: Path | None, small: Path, args) -> None:
    """read_file's steps on the full register; cProfile of the stages on the small one."""
    import pstats

    parts = run_stage("readfile-parts", file=big or small)
    print(f"\nread_file step by step ({parts['rows']:,} rows, JSON "
          f"{parts['json_chars'] / 1e6:.1f} M characters, child peak "
          f"{parts['child_peak_mb']:.0f} MB):")
    for key, value in parts["parts"].items():
        print(f"  {key:<52} {value:7.2f} s")
    with tempfile.TemporaryDirectory(prefix="cartella-bench-import-prof-") as tmp:
        instance = Path(tmp) / "instance"
        for stage in ("import", "reimport"):
            out = str(Path(tmp) / stage)
            result = run_stage(stage, file=small, instance=instance, profile_out=out,
                               skip_report=args.skip_report, report_rows="")
            print(f"\n{stage} under cProfile: " + ", ".join(
                f"{k} {v:.2f} s" for k, v in result["steps"].items()))
            for part in ("plan", "commit") + (() if args.skip_report else ("report",)):
                for order in ("tottime", "cumulative"):
                    text = _stats(pstats, f"{out}.{part}", order, args.top)
                    print(f"\n--- cProfile, {stage}, {part}, sorted by {order} ---\n{text}")


def _stats(pstats, filename: str, order: str, top: int) -> str:
    import io

    stream = io.StringIO()
    pstats.Stats(filename, stream=stream).sort_stats(order).print_stats(top)
    lines = stream.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(line.replace(str(ROOT) + "/", "")[:160] for line in lines[start - 3:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-only", action="store_true")
    parser.add_argument("--profile-rows", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--skip-report", action="store_true",
                        help="leave run_import's report_xlsx out (quadratic before 7ebf715)")
    parser.add_argument("--report-rows", default="",
                        help="with --skip-report: time report_xlsx on these first rows "
                             "of the plan, e.g. 1000,2000,4000")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir())
                                               / "cartella-bench-import"))
    # Internal: one measured scenario in this process.
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        args.report_rows = [int(n) for n in args.report_rows.split(",") if n.strip()]
        {"generate": lambda: generate(Path(args.file), args.rows, args.people),
         "bare": lambda: stage_bare(args),
         "import": lambda: stage_import(args, again=False),
         "reimport": lambda: stage_import(args, again=True),
         "export": lambda: stage_export(args),
         "readfile-parts": lambda: stage_readfile_parts(args)}[args.stage]()
        if args.stage == "generate":
            emit({})
        return
    print(machine(), flush=True)
    cache = Path(args.cache)
    path = register(cache, args.rows, args.people)
    if not args.profile_only:
        print(f"Register: {path} ({path.stat().st_size / 1e6:.1f} MB)")
        for number in range(1, args.runs + 1):
            one_run(number, path, args)
    if args.profile or args.profile_only:
        # The same shape as the full register: as many rows per person.
        persons = max(1, round(args.people * args.profile_rows / args.rows))
        small = register(cache, args.profile_rows, persons)
        profile(path, small, args)


if __name__ == "__main__":
    main()
