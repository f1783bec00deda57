"""Documents: Word and Excel filling vs the bare libraries, PDF throughput, mail merge.

    python bench/bench_documents.py [--only docx,xlsx,pdf,batch] [--iterations 150]
        [--warmup 10] [--pdf-k 8] [--pdf-rounds 2] [--batch-cases 30] [--batch-rounds 2]
        [--batch-pdf-cases 20] [--batch-large 1000] [--batch-large-rounds 1]
        [--batch-methods fork,forkserver,spawn] [--profile]

Set-up: a temporary instance migrated, the real forms/ loaded, and `app.demo.load_demo`
(100 persons, with sheets) on it. The templates are doc_templates/progetto_individualizzato.docx
and spreadsheets/piano_economico.xlsx when they exist (fixtures otherwise: relazione_prova.docx
and familiari_prova.xlsx over tests/fixtures/forms), put in a temporary catalog of one
template each, so that the bench does not depend on catalogs being edited at the same time.
The case measured is the one whose latest complete sheet has the most repeated rows; the batch
takes the first N cases with a complete sheet (`batch.render_case` uses complete sheets only).

docx  Interleaved in the same process, ms per document:
        ours         build_context + render_docx (sandboxed, autoescaped, value wrappers)
        ours render  render_docx only, the context built once beforehand
        plain ctx    render_docx with the plain context below (our environment, no wrappers)
        bare         DocxTemplate(path).render(plain) + save to BytesIO (docxtpl's defaults)
        bare+esc     the same with autoescape=True
      "plain" is our context with every value turned into the string it prints as (None and
      other false values become "", so `{% if %}` takes the same branches); `oggi` stays a
      date for the template's `{{ oggi|data }}`, and docxtpl gets that filter.
xlsx  ours = build_context + render_xlsx; ours render = render_xlsx only; bare = openpyxl
      load_workbook + insert the repeated rows (styles copied, merged cells moved) + write the
      very cells ours wrote, with the same values and number formats + save; load+save = the
      floor, openpyxl reading and writing the template untouched. The bare output is checked
      cell by cell against ours before timing.
pdf   the rendered .docx converted K times: PdfPool(size=1) one after the other (single
      downloads); PdfPool(size=2) from 2 threads; PdfPool.convert_many of the K documents (what
      a mail-merge chunk does: one soffice start); bare soffice, one start per document (warm
      profile); bare soffice, one call of all K files (LibreOffice's batching).
      Each round starts from fresh profiles: the first conversion on a profile is timed apart
      (first start). The "floor" is soffice converting an empty .docx on a warm profile.
batch run_batch over N cases with workers=1 and workers=2, fork (as `cartella render`),
      forkserver (as the web app) and spawn (the web app without forkserver), docx, given the
      already loaded documents (as the app and the CLI call it); then a large batch of
      --batch-large documents (the cases with a complete sheet, repeated in turn) with 1 worker
      and with every core; then fmt=pdf over fewer cases (fork), with the profile folders left
      behind counted.
"""

import argparse
import copy
import cProfile
import io
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from importlib import metadata
from pathlib import Path
from time import perf_counter

import jinja2
import yaml
from docx import Document
from docxtpl import DocxTemplate
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from bench_forms import machine, summary  # noqa: E402

from app import store  # noqa: E402
from app.catalog import load_catalog  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.documents import batch as batch_mod  # noqa: E402
from app.documents import values  # noqa: E402
from app.documents.context import build_context  # noqa: E402
from app.documents.excel import FOR_ROW, render_xlsx  # noqa: E402
from app.documents.pdf import PdfPool, soffice  # noqa: E402
from app.documents.service import load_documents  # noqa: E402
from app.documents.values import Scelte, _Choice  # noqa: E402
from app.documents.word import render_docx  # noqa: E402
from app.store import cases as case_store  # noqa: E402
from app.store import entries as entry_store  # noqa: E402
from app.store import migrations  # noqa: E402
from app.store import offices as office_store  # noqa: E402
from app.store import persons as person_store  # noqa: E402
from app.store import users as user_store  # noqa: E402
from app.store.scope import Scope  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# Hashing cost is not what is measured: a cheap method keeps the set-up fast.
user_store.PASSWORD_METHOD = "pbkdf2:sha256:1000"


# --- set-up ------------------------------------------------------------------------------

def choose_templates() -> dict:
    """The real starter templates if present, else the fixtures (with their forms)."""
    real_docx = ROOT / "doc_templates" / "progetto_individualizzato.docx"
    if real_docx.exists() and (ROOT / "spreadsheets" / "piano_economico.xlsx").exists():
        return {"forms": ROOT / "forms", "form": "progetto_individualizzato",
                "docx": real_docx, "docx_id": "progetto_individualizzato",
                "xlsx": ROOT / "spreadsheets" / "piano_economico.xlsx",
                "xlsx_id": "piano_economico", "kind": "plan"}
    return {"forms": FIXTURES / "forms", "form": "prova",
            "docx": FIXTURES / "doc_templates" / "relazione_prova.docx",
            "docx_id": "relazione_prova",
            "xlsx": FIXTURES / "spreadsheets" / "familiari_prova.xlsx",
            "xlsx_id": "familiari_prova", "kind": "report"}


def write_catalog(folder: Path, source: Path, template_id: str, form: str, kind: str) -> Path:
    """A catalog of one template (the real catalog's entry when it has one)."""
    folder.mkdir(parents=True)
    shutil.copy(source, folder / source.name)
    entry = {"id": template_id, "title": template_id.replace("_", " ").capitalize(),
             "kind": kind, "file": source.name, "forms": [form],
             "filename": "{{ persona.cognome }} {{ persona.nome }} - " + template_id
                         + source.suffix,
             "formats": [source.suffix[1:], "pdf"]}
    real = source.parent / "catalogo.yaml"
    if real.exists():
        try:
            for item in yaml.safe_load(real.read_text(encoding="utf-8")) or []:
                if item.get("id") == template_id:
                    entry = item
        except yaml.YAMLError:
            pass
    (folder / "catalogo.yaml").write_text(yaml.safe_dump([entry], allow_unicode=True),
                                          encoding="utf-8")
    return folder


class Instance:
    """A migrated database with the demo data, the templates, and one chosen case."""

    def __init__(self, tmp: Path, persons: int):
        self.t = choose_templates()
        self.path = tmp / "cartella.db"
        self.db = store.connect(self.path)
        migrations.migrate(self.db)
        self.catalog = load_catalog(self.t["forms"], self.db)
        load_demo(self.db, password="password-di-prova-1", catalog=self.catalog,
                  n_persons=persons)
        self.doc_dir = write_catalog(tmp / "doc_templates", self.t["docx"], self.t["docx_id"],
                                     self.t["form"], self.t["kind"])
        self.xlsx_dir = write_catalog(tmp / "spreadsheets", self.t["xlsx"], self.t["xlsx_id"],
                                      self.t["form"], self.t["kind"])
        # The same loading and linting as the app: a template that fails lint stops here.
        self.documents = load_documents(self.catalog, self.doc_dir, self.xlsx_dir,
                                        pdf=PdfPool(size=1, root=tmp / "unused-pool"))
        self.case_ids = [row[0] for row in self.db.execute(
            "SELECT DISTINCT case_id FROM entries WHERE form_id = ? AND status = 'completa' "
            "AND deleted_at IS NULL ORDER BY case_id",
            [self.t["form"]]).fetchall()]
        self.case_id = self._richest()
        self.args = self.arguments(self.case_id)

    def arguments(self, case_id: int) -> dict:
        """What build_context takes for a case, read as `batch.render_case` reads it."""
        office_id = case_store.office_of(self.db, case_id)
        scope = Scope(office_id=office_id)
        case = case_store.get(self.db, scope, case_id)
        entry = entry_store.latest(self.db, case_id, self.t["form"])
        return {"case": case, "person": person_store.get(self.db, scope, case["person_id"]),
                "office": office_store.get(self.db, office_id),
                "user": user_store.get(self.db, case["manager_id"]), "entry": entry}

    def _richest(self) -> int:
        def rows(case_id):
            entry = entry_store.latest(self.db, case_id, self.t["form"])
            return sum(len(v) for v in entry["data"].values() if isinstance(v, list)
                       and v and isinstance(v[0], dict))
        return max(self.case_ids, key=rows)

    def context(self) -> dict:
        return build_context(self.db, self.catalog, **self.args)

    def describe(self, context: dict) -> str:
        scheda = context["scheda"] or {}
        repeats = {k: len(v) for k, v in scheda.items()
                   if isinstance(v, list) and not isinstance(v, Scelte)}
        return (f"case {self.case_id} ({context['persona']['cognome']} "
                f"{context['persona']['nome']}), sheet '{self.t['form']}' "
                f"status {self.args['entry']['status']}, {len(scheda)} values, "
                f"repeated rows {repeats}, {len(context['schede'])} other sheets in 'schede'")


def plain(value):
    """The value as the string it prints as; false values as '' (same `if` branches)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Scelte):
        return ", ".join(value.labels)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or not value and not isinstance(value, str | _Choice):
        return ""
    if isinstance(value, _Choice):
        return value.label
    return str(value)


# --- timing ------------------------------------------------------------------------------

def interleave(sides: dict, iterations: int, warmup: int) -> dict:
    """Each iteration runs every side once, starting from a different side each time."""
    names = list(sides)
    times = {name: [] for name in names}
    for i in range(warmup + iterations):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            start = perf_counter()
            sides[name]()
            elapsed = perf_counter() - start
            if i >= warmup:
                times[name].append(elapsed)
    return times


def report(times: dict, base: str, ratios: list[tuple[str, str]]) -> None:
    print("| side | median ms | p95 ms |")
    print("|---|---:|---:|")
    stats = {name: summary(samples) for name, samples in times.items()}
    for name, (p50, p95) in stats.items():
        print(f"| {name} | {p50:.2f} | {p95:.2f} |")
    print("| ratio | median | p95 |")
    print("|---|---:|---:|")
    for a, b in ratios:
        print(f"| {a} / {b} | {stats[a][0] / stats[b][0]:.2f}x | {stats[a][1] / stats[b][1]:.2f}x |")


def profile(calls: dict, rounds: int) -> None:
    for name, call in calls.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            call()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(22)
        print(f"\n--- cProfile, {name}, {rounds} rounds, sorted by cumulative ---")
        print("\n".join(out.getvalue().splitlines()[6:34]))


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    """CPU seconds (user + system) of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _spin(n: int = 20_000_000) -> None:
    x = 0
    for i in range(n):
        x += i


def parallelism() -> str:
    """How many cores this process can really use now: a CPU loop alone, then two at once.

    On a shared machine a neighbour's busy process can leave one core of two; every speed-up
    below is bounded by this figure, measured just before.
    """
    import multiprocessing

    start = perf_counter()
    _spin()
    alone = perf_counter() - start
    procs = [multiprocessing.get_context("fork").Process(target=_spin) for _ in range(2)]
    start = perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    both = perf_counter() - start
    return (f"usable parallelism {2 * alone / both:.2f} of 2 (a CPU loop: {alone:.2f} s alone, "
            f"{both:.2f} s for two at once)")


def loadavg() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --- (a) Word ----------------------------------------------------------------------------

def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def bench_docx(inst: Instance, args) -> bytes:
    print(f"\n## docx: {inst.t['docx'].relative_to(ROOT)} "
          f"({inst.t['docx'].stat().st_size:,} B), {loadavg()}")
    path = inst.t["docx"]
    context = inst.context()
    flat = plain(context)
    # The template prints `{{ oggi|data }}`: today stays a plain date, and docxtpl's
    # environment gets that one filter (a strftime), which a bare script would also need.
    flat["oggi"] = date.fromordinal(context["oggi"].toordinal())
    print(inst.describe(context))
    def bare(autoescape=False):
        # A new environment each time, as ours makes: docxtpl's render(autoescape=True) sets
        # the flag on the environment it is given, so a shared one would stay autoescaped.
        bare_env = jinja2.Environment()
        bare_env.filters["data"] = values.data
        document = DocxTemplate(str(path))
        document.render(flat, jinja_env=bare_env, autoescape=autoescape)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    sides = {
        "ours (build_context + render_docx)": lambda: render_docx(path, inst.context()),
        "ours render only (render_docx)": lambda: render_docx(path, context),
        "render_docx, plain context": lambda: render_docx(path, flat),
        "bare docxtpl": bare,
        "bare docxtpl, autoescape=True": lambda: bare(True),
        "build_context only": inst.context,
    }
    special = [v for v in _leaves(flat) if isinstance(v, str) and any(c in v for c in "<>&")]
    outputs = {name: call() for name, call in sides.items() if "only" not in name
               or "render" in name}
    texts = {name: docx_text(out) for name, out in outputs.items()}
    surname = context["persona"]["cognome"]
    for name, out in outputs.items():
        print(f"  output of {name}: {len(out):,} B, {len(texts[name]):,} characters of text, "
              f"person's name present: {surname in texts[name]}")
    print(f"  plain values containing < > &: {len(special)} "
          "(docxtpl without autoescape would write them as raw XML)")
    times = interleave(sides, args.iterations, args.warmup)
    print(f"{args.iterations} iterations after {args.warmup} warm-up, interleaved; {loadavg()}")
    base = "bare docxtpl"
    report(times, base, [("ours (build_context + render_docx)", base),
                         ("ours render only (render_docx)", base),
                         ("ours render only (render_docx)", "bare docxtpl, autoescape=True"),
                         ("ours render only (render_docx)", "render_docx, plain context"),
                         ("render_docx, plain context", "bare docxtpl, autoescape=True"),
                         ("bare docxtpl, autoescape=True", base)])
    if args.profile:
        profile({"render_docx": lambda: render_docx(path, context), "bare docxtpl": bare}, 30)
    return outputs["ours render only (render_docx)"]


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


# --- (b) Excel ---------------------------------------------------------------------------

def _repeats(workbook, context: dict) -> list[tuple[int, int, int]]:
    """(sheet index, row, rows to insert) of every repeated row, found once, not timed."""
    env = jinja2.Environment()
    found = []
    for index, sheet in enumerate(workbook.worksheets):
        for row in sheet.iter_rows():
            for cell in row:
                match = FOR_ROW.match(cell.value) if isinstance(cell.value, str) else None
                if match:
                    items = env.compile_expression(match.group(2))(**context) or []
                    found.append((index, cell.row, max(len(items), 1) - 1))
                    break
    return found


def _insert(workbook, repeats) -> None:
    """Insert the repeated rows the way a hand-written openpyxl export would."""
    for index, row_number, extra in sorted(repeats, key=lambda r: -r[1]):
        if not extra:
            continue
        sheet = workbook.worksheets[index]
        sheet.insert_rows(row_number + 1, extra)
        for merged in list(sheet.merged_cells.ranges):
            if merged.min_row > row_number:
                merged.shift(0, extra)
        height = sheet.row_dimensions[row_number].height
        for cell in sheet[row_number]:
            for offset in range(1, extra + 1):
                sheet.cell(row=row_number + offset, column=cell.column)._style = \
                    copy.copy(cell._style)
        for offset in range(1, extra + 1):
            sheet.row_dimensions[row_number + offset].height = height


def bench_xlsx(inst: Instance, args) -> None:
    print(f"\n## xlsx: {inst.t['xlsx'].relative_to(ROOT)} "
          f"({inst.t['xlsx'].stat().st_size:,} B), {loadavg()}")
    path = inst.t["xlsx"]
    context = inst.context()
    ours = load_workbook(io.BytesIO(render_xlsx(path, context)))
    repeats = _repeats(load_workbook(path), context)
    prepared = load_workbook(path)
    _insert(prepared, repeats)
    writes = []  # (sheet index, coordinate, value, number format, written as text)
    for index, sheet in enumerate(ours.worksheets):
        before = prepared.worksheets[index]
        for row in sheet.iter_rows():
            for cell in row:
                old = before[cell.coordinate]
                if cell.value != old.value or cell.number_format != old.number_format:
                    writes.append((index, cell.coordinate, cell.value, cell.number_format,
                                   cell.data_type == "s"))

    def bare():
        workbook = load_workbook(str(path))
        _insert(workbook, repeats)
        sheets = workbook.worksheets
        for index, coordinate, value, number_format, text in writes:
            cell = sheets[index][coordinate]
            cell.value = value
            if text:
                cell.data_type = "s"
            cell.number_format = number_format
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    def load_save():
        out = io.BytesIO()
        load_workbook(str(path)).save(out)
        return out.getvalue()

    check = load_workbook(io.BytesIO(bare()))
    differ = [(i, c.coordinate) for i, s in enumerate(ours.worksheets) for row in s.iter_rows()
              for c in row if c.value != check.worksheets[i][c.coordinate].value]
    print(f"{inst.describe(context)}\n  repeated rows {repeats}; bare writes {len(writes)} cells;"
          f" cells that differ between ours and bare: {len(differ)} {differ[:5]}")
    sides = {"ours (build_context + render_xlsx)": lambda: render_xlsx(path, inst.context()),
             "ours render only (render_xlsx)": lambda: render_xlsx(path, context),
             "bare openpyxl (load + insert + write + save)": bare,
             "openpyxl load + save only": load_save}
    times = interleave(sides, args.iterations, args.warmup)
    print(f"{args.iterations} iterations after {args.warmup} warm-up, interleaved; {loadavg()}")
    base = "bare openpyxl (load + insert + write + save)"
    report(times, base, [("ours (build_context + render_xlsx)", base),
                         ("ours render only (render_xlsx)", base),
                         ("ours render only (render_xlsx)", "openpyxl load + save only"),
                         (base, "openpyxl load + save only")])
    if args.profile:
        profile({"render_xlsx": lambda: render_xlsx(path, context), "bare openpyxl": bare}, 30)


# --- (c) PDF -----------------------------------------------------------------------------

def soffice_call(profile_dir: Path, files: list[Path], outdir: Path) -> float:
    start = perf_counter()
    subprocess.run([soffice(), f"-env:UserInstallation={profile_dir.as_uri()}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(outdir),
                    *map(str, files)], check=True, capture_output=True, timeout=900)
    elapsed = perf_counter() - start
    for f in files:
        if not (outdir / (f.stem + ".pdf")).exists():
            raise SystemExit(f"soffice produced no PDF for {f.name}")
    return elapsed


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


def pdf_pool1(content: bytes, k: int, root: Path) -> dict:
    pool = PdfPool(size=1, root=root)
    start = perf_counter()
    first = pool.convert(content, ".docx")
    cold = perf_counter() - start
    each, wall0 = [], perf_counter()
    for _ in range(k):
        start = perf_counter()
        out = pool.convert(content, ".docx")
        each.append(perf_counter() - start)
    return {"cold": cold, "wall": perf_counter() - wall0, "each": each, "pdf": out,
            "first_pdf": first}


def pdf_pool2(content: bytes, k: int, root: Path) -> dict:
    pool = PdfPool(size=2, root=root)
    with ThreadPoolExecutor(2) as threads:
        start = perf_counter()
        firsts = list(threads.map(lambda _: pool.convert(content, ".docx"), range(2)))
        cold = perf_counter() - start
        each, lock = [], threading.Lock()

        def one(_):
            t0 = perf_counter()
            out = pool.convert(content, ".docx")
            with lock:
                each.append(perf_counter() - t0)
            return out

        wall0 = perf_counter()
        outs = list(threads.map(one, range(k)))
        wall = perf_counter() - wall0
    return {"cold": cold, "wall": wall, "each": each, "pdf": outs[-1], "first_pdf": firsts[0]}


def pdf_many(content: bytes, k: int, root: Path) -> dict:
    pool = PdfPool(size=1, root=root)
    start = perf_counter()
    first = pool.convert(content, ".docx")
    cold = perf_counter() - start
    wall0 = perf_counter()
    outs = pool.convert_many([content] * k, ".docx")
    wall = perf_counter() - wall0
    if not all(isinstance(out, bytes) for out in outs):
        raise SystemExit(f"convert_many failed: {outs}")
    return {"cold": cold, "wall": wall, "pdf": outs[-1], "first_pdf": first,
            "single": wall / k}


def pdf_bare_each(content: bytes, k: int, root: Path) -> dict:
    profile_dir, work = root / "profilo", root / "work"
    work.mkdir(parents=True)
    source = work / "documento.docx"
    source.write_bytes(content)
    cold = soffice_call(profile_dir, [source], work / "out0")
    each = [soffice_call(profile_dir, [source], work / f"out{i + 1}") for i in range(k)]
    return {"cold": cold, "wall": sum(each), "each": each,
            "pdf": (work / "out1" / "documento.pdf").read_bytes()}


def pdf_bare(content: bytes, k: int, root: Path) -> dict:
    profile_dir, work = root / "profilo", root / "work"
    work.mkdir(parents=True)
    files = []
    for i in range(k + 1):
        files.append(work / f"documento-{i}.docx")
        files[-1].write_bytes(content)
    cold = soffice_call(profile_dir, files[:1], work / "out0")
    single = soffice_call(profile_dir, files[:1], work / "out1")
    wall = soffice_call(profile_dir, files[1:], work / "outk")
    return {"cold": cold, "wall": wall, "single": single,
            "pdf": (work / "outk" / "documento-1.pdf").read_bytes()}


def bench_pdf(inst: Instance, content: bytes, args, tmp: Path) -> None:
    k = args.pdf_k
    print(f"\n## pdf: the rendered .docx ({len(content):,} B) converted K={k} times, "
          f"{args.pdf_rounds} rounds, fresh profiles each round; {loadavg()}\n{parallelism()}")
    empty = io.BytesIO()
    Document().save(empty)
    modes = {"PdfPool(size=1), sequential": pdf_pool1,
             "PdfPool(size=2), 2 threads": pdf_pool2,
             f"PdfPool(size=1).convert_many of {k} files": pdf_many,
             "bare: one soffice start per document": pdf_bare_each,
             f"one soffice call with {k} files": pdf_bare}
    results = {name: [] for name in modes}
    floors = []
    surname = inst.context()["persona"]["cognome"]
    for rnd in range(args.pdf_rounds):
        names = list(modes)
        names = names[rnd % len(names):] + names[:rnd % len(names)]
        for name in names:
            root = tmp / f"pdf-{rnd}-{names.index(name)}"
            before, cpu = loadavg(), children_cpu()
            result = modes[name](content, k, root)
            result["cpu"] = children_cpu() - cpu
            result["load"] = f"{before} → {loadavg()[13:]}"
            text = pdf_text(result["pdf"])
            if surname not in text:
                raise SystemExit(f"{name}: the PDF does not contain {surname!r}")
            result["pages"] = text.count("\f")
            results[name].append(result)
            if name.startswith("one soffice"):
                empty_path = root / "vuoto.docx"
                empty_path.write_bytes(empty.getvalue())
                for _ in range(3):
                    cpu = children_cpu()
                    floors.append((soffice_call(root / "profilo", [empty_path], root / "outv"),
                                   children_cpu() - cpu))
            shutil.rmtree(root, ignore_errors=True)
    print(f"PDF: {results[next(iter(modes))][0]['pages']} pages, text checked with pdftotext")
    print("| mode | round | first start s | K docs wall s | s/doc | docs/min | "
          "per-conversion median s | soffice CPU s/doc | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, runs in results.items():
        for rnd, r in enumerate(runs, start=1):
            each = f"{statistics.median(r['each']):.2f}" if "each" in r else \
                f"{r['single']:.2f} (1 file, warm)" if "call with" in name else "–"
            calls = k + (2 if "call with" in name else 1 if "size=1" in name
                         or "per document" in name else 2)
            print(f"| {name} | {rnd} | {r['cold']:.2f} | {r['wall']:.2f} | {r['wall'] / k:.2f} "
                  f"| {60 * k / r['wall']:.1f} | {each} | {r['cpu'] / calls:.2f} | {r['load']} |")
    seq = statistics.median(r["wall"] for r in results["PdfPool(size=1), sequential"])
    par = statistics.median(r["wall"] for r in results["PdfPool(size=2), 2 threads"])
    one = statistics.median(r["wall"] for r in results[f"one soffice call with {k} files"])
    many = statistics.median(
        r["wall"] for r in results[f"PdfPool(size=1).convert_many of {k} files"])
    each = statistics.median(
        r["wall"] for r in results["bare: one soffice start per document"])
    single = statistics.median(r["single"] for r in results[f"one soffice call with {k} files"])
    floor = statistics.median(f[0] for f in floors)
    floor_cpu = statistics.median(f[1] for f in floors)
    print(f"Speed-up of the pool of 2 over the pool of 1 (median of rounds): {seq / par:.2f}x; "
          f"one soffice call over the pool of 1: {seq / one:.2f}x")
    print(f"Documents/s: single conversions (pool of 1) {k / seq:.2f}; batch (convert_many) "
          f"{k / many:.2f}; bare, one soffice start per document {k / each:.2f}; bare, one call "
          f"{k / one:.2f}. convert_many / one start per document: {each / many:.2f}x; "
          f"single / one start per document: {each / seq:.2f}x; convert_many / bare one call: "
          f"{one / many:.2f}x")
    print(f"soffice floor (empty .docx, warm profile, {len(floors)} calls): median "
          f"{floor:.2f} s wall, {floor_cpu:.2f} s CPU; all "
          f"{', '.join(f'{f[0]:.2f}' for f in floors)}")
    print(f"Marginal cost of one more document inside one soffice call: "
          f"({one:.2f} - {single:.2f}) / {k - 1} = {(one - single) / (k - 1):.2f} s; "
          f"start-up and shutdown of soffice per call ≈ {single - (one - single) / (k - 1):.2f} s")


# --- (d) mail merge ----------------------------------------------------------------------

def worker_setup(inst: Instance) -> None:
    """What a batch worker did once before its first case (before commit 631f8f6), timed here.

    Workers no longer do this: the caller passes its loaded documents (see portable_setup).
    """
    times = {"load_catalog (forms/)": [], "load_documents (this one-template catalog)": [],
             "load_documents (doc_templates/ + spreadsheets/ of the repository)": []}
    for _ in range(3):
        db = store.connect(inst.path)
        start = perf_counter()
        catalog = load_catalog(inst.t["forms"], db)
        times["load_catalog (forms/)"].append(perf_counter() - start)
        start = perf_counter()
        load_documents(catalog, inst.doc_dir, pdf=PdfPool(size=1, root=inst.path.parent / "p"))
        times["load_documents (this one-template catalog)"].append(perf_counter() - start)
        start = perf_counter()
        try:
            load_documents(catalog, ROOT / "doc_templates", ROOT / "spreadsheets",
                           pdf=PdfPool(size=1, root=inst.path.parent / "p"))
        except Exception as exc:  # noqa: BLE001 - catalogs may be mid-edit: say so, go on
            print(f"  (the repository's catalogs do not load: {str(exc)[:120]})")
        times["load_documents (doc_templates/ + spreadsheets/ of the repository)"].append(
            perf_counter() - start)
        db.conn.close()
    print("Worker set-up, timed in this process (median of 3): " + "; ".join(
        f"{name} {statistics.median(v):.2f} s" for name, v in times.items()))


# fork: `cartella render`; forkserver: the web app (batch.server_context, preloaded);
# spawn: the web app where there is no forkserver (Windows).
METHODS = ("fork", "forkserver", "spawn")


def start_context(method: str):
    import multiprocessing

    return batch_mod.server_context() if method == "forkserver" else \
        multiprocessing.get_context(method)


def cpu_text(method: str, cpu: float) -> str:
    """Workers' CPU; a forkserver's workers are not our children, so it is not seen."""
    return "–" if method == "forkserver" else f"{cpu:.2f}"


def portable_setup(inst: Instance) -> None:
    """What a spawned worker does now: rebuild the checked forms from their JSON."""
    times = []
    for _ in range(3):
        portable = batch_mod._Portable.of(inst.documents, inst.t["docx_id"])
        start = perf_counter()
        portable.documents()
        times.append(perf_counter() - start)
    print(f"Spawned worker set-up now (forms from JSON, the one template, no lint), median of 3:"
          f" {statistics.median(times):.2f} s; a forked worker inherits them (0 s)")


def bench_batch_large(inst: Instance, args) -> None:
    """A batch of many documents: 1 worker vs every core, docs/s."""
    n, cores = args.batch_large, os.cpu_count() or 1
    ids = [inst.case_ids[i % len(inst.case_ids)] for i in range(n)]
    job = batch_mod.Job(str(inst.path), str(inst.t["forms"]), (str(inst.doc_dir),),
                        inst.t["docx_id"], "docx", None)
    print(f"\n### large batch: {n} documents ({len(inst.case_ids)} cases repeated in turn), "
          f"docx, workers=1 vs workers={cores} (every core); {loadavg()}\n{parallelism()}")
    print("| start | workers | round | documents | wall s | docs/s | workers' CPU s | "
          "caller CPU s | usable parallelism before | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    walls = {}
    for method in args.batch_methods.split(","):
        ctx = start_context(method)
        for rnd in range(args.batch_large_rounds):
            for workers in ((1, cores) if rnd % 2 == 0 else (cores, 1)):
                usable = parallelism().split()[2]
                before = loadavg()
                start, cpu, own = perf_counter(), children_cpu(), self_cpu()
                result = batch_mod.run_batch(job, ids, workers=workers, mp_context=ctx,
                                             documents=inst.documents)
                wall, cpu = perf_counter() - start, children_cpu() - cpu
                own = self_cpu() - own
                if len(result.done) != n:
                    raise SystemExit(f"batch failed: {[o.error for o in result.failed][:3]}")
                walls.setdefault((method, workers), []).append(wall)
                print(f"| {method} | {workers} | {rnd + 1} | {n} | {wall:.2f} | {n / wall:.1f} |"
                      f" {cpu_text(method, cpu)} | {own:.2f} | {usable} | "
                      f"{before[13:]} → {loadavg()[13:]} |")
    for method in args.batch_methods.split(","):
        w1 = statistics.median(walls[(method, 1)])
        wn = statistics.median(walls[(method, cores)])
        print(f"{method}: {n} documents, workers={cores} over workers=1: {w1 / wn:.2f}x "
              f"({n / w1:.1f} → {n / wn:.1f} docs/s)")
    print(f"End of the large batch: {parallelism()}")


def bench_batch(inst: Instance, args, tmp: Path) -> None:
    import multiprocessing

    ids = inst.case_ids[:args.batch_cases]
    print(f"\n## batch: run_batch over {len(ids)} cases with a complete sheet, template "
          f"{inst.t['docx_id']}, {args.batch_rounds} rounds; {loadavg()}\n{parallelism()}")
    job = batch_mod.Job(str(inst.path), str(inst.t["forms"]), (str(inst.doc_dir),),
                        inst.t["docx_id"], "docx", None)
    # multiprocessing's own folder (the forkserver's socket) stays outside ours: it is removed
    # at exit, after ours.
    multiprocessing.util.get_temp_dir()
    # Workers put their PdfPool profiles under tempfile's folder: keep it inside ours.
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)
    worker_setup(inst)
    portable_setup(inst)
    print("| start | workers | round | cases | wall s | docs/s | workers' CPU s | "
          "1-case batch s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    walls = {}
    for method in args.batch_methods.split(","):
        ctx = start_context(method)
        for rnd in range(args.batch_rounds):
            for workers in ((1, 2) if rnd % 2 == 0 else (2, 1)):
                start = perf_counter()
                result = batch_mod.run_batch(job, ids[:1], workers=workers, mp_context=ctx,
                                             documents=inst.documents)
                fixed = perf_counter() - start
                start, cpu = perf_counter(), children_cpu()
                result = batch_mod.run_batch(job, ids, workers=workers, mp_context=ctx,
                                             documents=inst.documents)
                wall, cpu = perf_counter() - start, children_cpu() - cpu
                if len(result.done) != len(ids):
                    raise SystemExit(f"batch failed: {[o.error for o in result.failed][:3]}")
                walls.setdefault((method, workers), []).append(wall)
                print(f"| {method} | {workers} | {rnd + 1} | {len(ids)} | {wall:.2f} | "
                      f"{len(ids) / wall:.1f} | {cpu_text(method, cpu)} | {fixed:.2f} |")
    for method in args.batch_methods.split(","):
        w1 = statistics.median(walls[(method, 1)])
        w2 = statistics.median(walls[(method, 2)])
        print(f"{method}: speed-up workers=2 over workers=1 (median of rounds) {w1 / w2:.2f}x")
    if args.batch_large:
        bench_batch_large(inst, args)
    if args.batch_pdf_cases:
        n = args.batch_pdf_cases
        job = batch_mod.Job(str(inst.path), str(inst.t["forms"]), (str(inst.doc_dir),),
                            inst.t["docx_id"], "pdf", None)
        print(f"\nbatch to PDF over {n} cases (fork); each worker converts each chunk of its "
              f"cases (at most {batch_mod.CHUNK['pdf']}) with one soffice start, in its own "
              f"PdfPool(size=1) profile; {loadavg()}")
        print("| workers | cases | wall s | docs/min | CPU s (workers + soffice) | "
              "profile folders left in TMPDIR | size |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for workers in (1, 2):
            before = set(Path(tmp).glob("cartella-lo-*"))
            start, cpu = perf_counter(), children_cpu()
            result = batch_mod.run_batch(job, ids[:n], workers=workers,
                                         mp_context=multiprocessing.get_context("fork"),
                                         documents=inst.documents)
            wall, cpu = perf_counter() - start, children_cpu() - cpu
            if len(result.done) != n:
                raise SystemExit(f"batch failed: {[o.error for o in result.failed][:3]}")
            left = set(Path(tmp).glob("cartella-lo-*")) - before
            size = sum(f.stat().st_size for d in left for f in d.rglob("*") if f.is_file())
            print(f"| {workers} | {n} | {wall:.2f} | {60 * n / wall:.1f} | {cpu:.2f} | "
                  f"{len(left)} | {size / 1e6:.1f} MB |")


# --- main --------------------------------------------------------------------------------

def versions() -> str:
    libs = ", ".join(f"{name} {metadata.version(name)}" for name in
                     ("docxtpl", "python-docx", "openpyxl", "lxml", "jinja2"))
    office = subprocess.run([soffice(), "--version"], capture_output=True, text=True,
                            timeout=120).stdout.strip() if soffice() else "no LibreOffice"
    poppler = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True).stderr \
        .splitlines()[0] if shutil.which("pdftotext") else "no pdftotext"
    return f"{libs}\n{office}; {poppler}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="docx,xlsx,pdf,batch")
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--pdf-k", type=int, default=8)
    parser.add_argument("--pdf-rounds", type=int, default=2)
    parser.add_argument("--batch-cases", type=int, default=30)
    parser.add_argument("--batch-rounds", type=int, default=2)
    parser.add_argument("--batch-pdf-cases", type=int, default=20)
    parser.add_argument("--batch-large", type=int, default=1000,
                        help="documents of the large batch (0: skip it)")
    parser.add_argument("--batch-large-rounds", type=int, default=1)
    parser.add_argument("--batch-methods", default=",".join(METHODS),
                        help="start methods of the batch parts, of " + ",".join(METHODS))
    parser.add_argument("--persons", type=int, default=100, help="persons load_demo creates")
    parser.add_argument("--profile", action="store_true", help="cProfile docx and xlsx sides")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(machine())
    print(versions())
    print(f"{date.today()}, {loadavg()}; {parallelism()}")
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        tmp = Path(tmp)
        start = perf_counter()
        inst = Instance(tmp, args.persons)
        print(f"Set-up (migrate, load_demo with {args.persons} persons, lint): "
              f"{perf_counter() - start:.1f} s; {len(inst.case_ids)} cases have a complete "
              f"'{inst.t['form']}' sheet")
        content = render_docx(inst.t["docx"], inst.context())
        if "docx" in parts:
            content = bench_docx(inst, args)
        if "xlsx" in parts:
            bench_xlsx(inst, args)
        if "pdf" in parts:
            if soffice() is None:
                print("\n## pdf: skipped, LibreOffice is not installed")
            else:
                bench_pdf(inst, content, args, tmp)
        if "batch" in parts:
            bench_batch(inst, args, tmp)
        inst.db.conn.close()
    print(f"\nEnd: {loadavg()}; {parallelism()}")


if __name__ == "__main__":
    main()
