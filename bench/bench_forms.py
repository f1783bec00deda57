"""Form work per request, Cartella vs hand-written WTForms, on a synthetic 150-field form.

    python bench/bench_forms.py [--iterations 300] [--warmup 30] [--profile]

Ours: the definition is loaded from YAML through `load_library`; inside one POST request
context each iteration builds `form_class(form)(formdata=...)`, validates, runs `values_from`,
`form.evaluate` and `form.check(complete=True)` (the save path without the database), then
renders every field and label. Baseline: the same fields, validators and repeat groups written
with literal WTForms constructors (`synthetic.baseline_class`), validated and followed by the
hand-written equivalent of evaluate + check, then rendered the same way. "baseline" checks
the codice fiscale by its shape only (a Regexp); "baseline+cf" also calls
python-codicefiscale's `is_valid`, the package ours uses. All sides run interleaved in the same
process; the figures to compare are the ratios. `--profile` adds cProfile's top costs of ours.
"""

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from importlib import metadata
from pathlib import Path
from time import perf_counter

from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import synthetic  # noqa: E402

from app import create_app  # noqa: E402
from app.definitions import load_library  # noqa: E402
from app.webforms import form_class, values_from  # noqa: E402

PHASES = ("build", "validate", "values_from", "evaluate", "check")


def machine() -> str:
    """CPU model, cores, Python and library versions, for BENCHMARKS.md."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    libs = ", ".join(f"{name} {metadata.version(name)}" for name in
                     ("flask", "wtforms", "flask-wtf", "jinja2", "werkzeug", "pydantic",
                      "python-codicefiscale"))
    return (f"CPU: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()} "
            f"({platform.python_implementation()}) on {platform.system()} "
            f"{platform.release()}\n{libs}\nCode measured: {code_version()}")


def code_version() -> str:
    """The commit of the app measured, and whether app/ had uncommitted changes."""
    import app

    root = Path(app.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              text=True, check=True).stdout.strip()

    try:
        dirty = " + uncommitted changes in app/" if git("status", "--porcelain", "app") else ""
        return f"{root}, commit {git('rev-parse', '--short', 'HEAD')}{dirty}"
    except (OSError, subprocess.CalledProcessError):
        return f"{root} (not a git checkout)"


def summary(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), statistics.quantiles(ms, n=20, method="inclusive")[18]


class Ours:
    """The save path of a sheet without the database, then the rendering of its fields."""

    def __init__(self, form, ctx: dict, ids: list[str]):
        self.form, self.ctx, self.ids = form, ctx, ids
        self.cls = form_class(form)

    def validate(self, formdata, times: dict):
        t0 = perf_counter()
        wtform = self.cls(formdata=formdata)
        t1 = perf_counter()
        ok = wtform.validate()
        t2 = perf_counter()
        values = values_from(self.form, wtform)
        t3 = perf_counter()
        state = self.form.evaluate(values, self.ctx)
        t4 = perf_counter()
        errors = self.form.check(state, self.ctx, complete=True)
        t5 = perf_counter()
        for name, (start, end) in zip(PHASES, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)),
                                      strict=True):
            times.setdefault(name, []).append(end - start)
        return wtform, ok, errors, state.values

    def render(self, wtform) -> int:
        return synthetic.render_fields(wtform, self.ids)


class Baseline:
    """The same work with a hand-written FlaskForm and hand-written checks."""

    def __init__(self, ids: list[str], cf_library: bool = False):
        self.cls, self.ids = synthetic.baseline_class(cf_library), ids

    def validate(self, formdata, times: dict):
        t0 = perf_counter()
        wtform = self.cls(formdata=formdata)
        t1 = perf_counter()
        ok = wtform.validate()
        t2 = perf_counter()
        values, errors = synthetic.baseline_check(wtform)
        t3 = perf_counter()
        for name, (start, end) in zip(("build", "validate", "check"),
                                      ((t0, t1), (t1, t2), (t2, t3)), strict=True):
            times.setdefault(name, []).append(end - start)
        return wtform, ok, errors, values

    def render(self, wtform) -> int:
        return synthetic.render_fields(wtform, self.ids)


def sanity(side: str, ok: bool, wtform, errors: dict) -> None:
    """Both sides must take the valid path: a failing form would time error handling instead."""
    if not ok or errors:
        raise SystemExit(f"{side}: the synthetic submission is not valid: "
                         f"{wtform.errors or errors}")


def run(sides: dict, iterations: int, warmup: int) -> dict:
    """Interleave the sides (rotating who goes first); per side: validate, render, phases."""
    times = {name: {"validate": [], "render": [], "phases": {}} for name in sides}
    names = list(sides)
    for i in range(warmup + iterations):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            side, formdata = sides[name]
            phases: dict = {}
            t0 = perf_counter()
            wtform, ok, errors, _values = side.validate(formdata, phases)
            t1 = perf_counter()
            side.render(wtform)
            t2 = perf_counter()
            if i == 0:
                sanity(name, ok, wtform, errors)
            if i >= warmup:
                times[name]["validate"].append(t1 - t0)
                times[name]["render"].append(t2 - t1)
                for phase, values in phases.items():
                    times[name]["phases"].setdefault(phase, []).extend(values)
    return times


def _series(side: dict, what: str) -> list[float]:
    if what == "combined":
        return [a + b for a, b in zip(side["validate"], side["render"], strict=True)]
    return side[what]


def report(times: dict, sizes: dict) -> None:
    ours = times["ours"]
    for base_name in [n for n in times if n != "ours"]:
        base = times[base_name]
        print(f"\nours vs {base_name}:")
        print(f"| work | ours median ms | ours p95 ms | {base_name} median ms | {base_name} p95 ms "
              "| ratio median | ratio p95 |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for what in ("validate", "render", "combined"):
            (om, op), (bm, bp) = summary(_series(ours, what)), summary(_series(base, what))
            print(f"| {what} | {om:.2f} | {op:.2f} | {bm:.2f} | {bp:.2f} | {om / bm:.2f}x "
                  f"| {op / bp:.2f}x |")
    for name, side in times.items():
        parts = ", ".join("{} {:.2f}/{:.2f}".format(phase, *summary(values))
                          for phase, values in side["phases"].items())
        print(f"\n{name}, validate path by phase (median/p95 ms): {parts}")
    print("\nHTML rendered per iteration (chars): "
          + ", ".join(f"{name} {size:,}" for name, size in sizes.items()))


def codice_fiscale_costs(repeats: int = 200) -> None:
    """The per-call cost of the codice fiscale check, which dominates our validate phase."""
    from codicefiscale import codicefiscale

    from app.people import check_cf

    calls = {"app.people.check_cf": lambda: check_cf(synthetic.VALID_CF),
             "codicefiscale.is_valid": lambda: codicefiscale.is_valid(synthetic.VALID_CF),
             "codicefiscale.decode": lambda: codicefiscale.decode(synthetic.VALID_CF)}
    parts = []
    for name, call in calls.items():
        call()
        samples = []
        for _ in range(repeats):
            start = perf_counter()
            call()
            samples.append(perf_counter() - start)
        parts.append("{} {:.2f}/{:.2f}".format(name, *summary(samples)))
    print("Codice fiscale check per call (median/p95 ms): " + ", ".join(parts)
          + f"; the form has {synthetic.COUNTS['codice_fiscale']} such fields")


def profile(ours: Ours, data_ours, iterations: int) -> None:
    """Where our time goes: cProfile over `iterations` validate+render rounds."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        wtform, *_rest = ours.validate(data_ours, {})
        ours.render(wtform)
    profiler.disable()
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(25)
        print(f"\n--- cProfile, ours, {iterations} rounds, sorted by {key} ---")
        print("\n".join(out.getvalue().splitlines()[6:40]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="also cProfile our side")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        forms_dir = synthetic.write_forms(Path(tmp) / "forms")
        form = load_library(forms_dir).get(synthetic.FORM_ID)
        # No document templates: the repository's catalogs name forms the synthetic folder
        # does not have, and the app would refuse to start.
        app = create_app({"INSTANCE_PATH": Path(tmp) / "instance", "FORMS_DIR": str(forms_dir),
                          "DOC_TEMPLATES_DIR": str(Path(tmp) / "no-templates"),
                          "SPREADSHEETS_DIR": str(Path(tmp) / "no-templates"),
                          "WTF_CSRF_ENABLED": False})
        ids = synthetic.input_ids()
        print(f"Form: {len(form.fields)} top-level fields, {len(ids)} with an input, "
              f"2 repeat groups x {synthetic.ROWS} rows x 6 sub-fields; "
              f"{args.iterations} iterations after {args.warmup} warm-up, interleaved")
        ctx = {"persona": {"cognome": "Rossi", "eta": 83}, "pratica": {"area": "anziani"},
               "oggi": date.today(), "parametri": synthetic.PARAMETERS}
        data_ours = MultiDict(synthetic.post_data(italian=True))
        data_base = MultiDict(synthetic.post_data(italian=False))
        sides = {"ours": (Ours(form, ctx, ids), data_ours),
                 "baseline": (Baseline(ids), data_base),
                 "baseline+cf": (Baseline(ids, cf_library=True), data_base)}
        # One request context for the whole run: parsing the body is not what is measured,
        # and every side reads the same kind of MultiDict a POST gives it.
        with app.test_request_context(method="POST", data=data_ours):
            sizes = {name: side.render(side.validate(data, {})[0])
                     for name, (side, data) in sides.items()}
            times = run(sides, args.iterations, args.warmup)
            report(times, sizes)
            codice_fiscale_costs()
            if args.profile:
                profile(sides["ours"][0], data_ours, max(50, args.iterations // 3))


if __name__ == "__main__":
    main()
