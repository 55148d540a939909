"""Print policylint's speed on this machine: start-up, throughput against the parse floor, --jobs,
and a side-by-side with Checkov when it is installed.

    python benchmarks/run.py                    # everything (a few minutes; Checkov adds more)
    python benchmarks/run.py --sizes 100,1000   # smaller corpus only
    python benchmarks/run.py --no-checkov
    python benchmarks/run.py --real /path/to/files   # also a folder of real files, next to the YAML parsers
    python benchmarks/run.py --output /path/to/files # only what writing each output format costs there

The targets are printed as ratios measured in the same run: a whole set of files against PyYAML's
C `compose_all` of the same YAML files, start-up against `python -c "import yaml, click"`. The other
YAML parsers (PyYAML `load_all`, and yaml-rs / rapidyaml (`pip install yaml-rs rapidyaml`) when installed in the running interpreter)
are timed on the same files, so the floor is visible; they are never policylint dependencies.

Every figure comes from a fresh child process: wall time from `time.perf_counter` around it, peak
memory from `os.wait4`'s resource usage (the child and the workers it waited for). Children run
with bytecode caching on (as after `pip install`), so the first, warming run is not counted.
Nothing here asserts a time: the figures are printed, to be read and quoted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_corpus import generate  # noqa: E402

SMALL_MANIFEST = ROOT / "fixtures" / "guide" / "k8s" / "base" / "deployment.yaml"
CHECKOV_CANDIDATES = (
    ROOT / "benchmarks" / ".venv-checkov" / "bin" / "checkov",
    Path("/tmp/checkov-venv/bin/checkov"),
)
CHECKOV_HINT = (
    "python -m venv benchmarks/.venv-checkov && benchmarks/.venv-checkov/bin/pip install checkov"
    "  (a separate venv: Checkov is never a policylint dependency)"
)

#: Every policy, off-by-default ones included (the domains of the built-in policies).
ALL_DOMAINS = "k8s,docker,compose,gha,gitlab,helm"

#: Composes every YAML file with PyYAML's C loader and reads the others: the floor to compare with.
PARSE_FLOOR = """
import os, sys, time
import yaml
start = time.perf_counter()
nodes = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        raw = open(os.path.join(folder, name), "rb").read()
        if name.endswith((".yaml", ".yml")):
            for node in yaml.compose_all(raw.decode("utf-8"), Loader=yaml.CSafeLoader):
                nodes += node is not None
print(f"{(time.perf_counter() - start) * 1000:.0f}")
"""


#: Other parsers on the same YAML files (name, script); `{}` in a script receives the folder.
FLOOR_LOOP = """
import os, sys, time
{imports}
start = time.perf_counter()
count = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if not name.endswith((".yaml", ".yml")):
            continue
        raw = open(os.path.join(folder, name), "rb").read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        try:
{body}
        except Exception:
            pass
print(f"{{(time.perf_counter() - start) * 1000:.0f}}")
"""
FLOOR_PARSERS = {
    "PyYAML C compose_all (nodes with positions)": (
        "import yaml",
        "            for node in yaml.compose_all(text, Loader=yaml.CSafeLoader):\n                count += 1",
    ),
    "PyYAML C load_all (values)": (
        "import yaml",
        "            for data in yaml.load_all(text, Loader=yaml.CSafeLoader):\n                count += 1",
    ),
    "yaml-rs loads (values, no positions)": (
        "import yaml_rs",
        "            yaml_rs.loads(text)",
    ),
    "rapidyaml parse (tree with locations)": (
        "import ryml",
        "            tree = ryml.parse_in_arena(text.encode())",
    ),
}


def floor_script(imports: str, body: str) -> str:
    """A child script timing one parser over every YAML file of a folder (errors are skipped)."""
    return FLOOR_LOOP.format(imports=imports, body=body)


def importable(module: str) -> bool:
    """True when the running interpreter can import `module` (optional parsers for the floor table)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


@dataclass
class Measure:
    """One child run: wall seconds, CPU seconds (user + system, workers included), peak RSS in MiB,
    exit status, captured stdout. CPU time is the steadier figure on a shared machine."""

    seconds: float
    cpu: float
    peak_mib: float
    status: int
    stdout: str


#: The benchmark's own policy cache: other policylint installations sharing the user cache folder
#: (another checkout, another version) overwrite its entries, and every start-up would then miss.
CACHE_DIR = tempfile.mkdtemp(prefix="policylint-bench-cache-")


def child_env() -> dict[str, str]:
    """The environment for children: bytecode caching on, the source tree importable, a private cache."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["POLICYLINT_CACHE_DIR"] = CACHE_DIR
    return env


def run_child(command: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Measure:
    """Run a command, return its wall time and peak memory (ru_maxrss of that child only)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, env=env or child_env())
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                process.kill()
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                return Measure(float("inf"), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, -9, "")
            time.sleep(0.002)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Measure(seconds, cpu, usage.ru_maxrss / 1024, process.returncode, out.read().decode("utf-8", "replace"))


def interleaved_medians(commands: list[list[str]], runs: int) -> list[tuple[float, float, list[float]]]:
    """Median wall and CPU time (ms) and the wall times of each command, after one warm-up run each.

    The commands are taken in turns (one run of each per round), so a minute when the shared
    machine is slower weighs on every command alike and their ratio stays fair."""
    for command in commands:
        run_child(command)
    rounds = [[run_child(command) for command in commands] for _ in range(runs)]
    results = []
    for index in range(len(commands)):
        measures = [round_[index] for round_ in rounds]
        times = [measure.seconds * 1000 for measure in measures]
        results.append((statistics.median(times), statistics.median(measure.cpu * 1000 for measure in measures), times))
    return results


def policylint_command(*args: str) -> list[str]:
    """`policylint ...` through the interpreter running this script."""
    return [sys.executable, "-m", "policylint", *args]


def find_checkov(explicit: str | None) -> Path | None:
    """The Checkov executable: --checkov, $CHECKOV, the benchmark venvs, then PATH."""
    for candidate in (explicit, os.environ.get("CHECKOV"), *CHECKOV_CANDIDATES, shutil.which("checkov")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def checkov_env() -> dict[str, str]:
    """Offline Checkov: no platform key, no version check, no GitHub API, a dead proxy for the rest."""
    env = {key: value for key, value in child_env().items() if not key.startswith(("BC_", "PRISMA_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        {
            "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
            "CKV_GITHUB_CONFIG_FETCH_DATA": "false",
            "CKV_GITLAB_CONFIG_FETCH_DATA": "false",
            "CKV_BITBUCKET_CONFIG_FETCH_DATA": "false",
            "CKV_VALIDATE_SECRETS": "false",
            "CHECKOV_REQUEST_RETRIES": "0",
            "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            "CKV_IGNORE_HIDDEN_DIRECTORIES": "false",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "NO_PROXY": "",
            "no_proxy": "",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def checkov_command(checkov: Path, target: Path) -> list[str]:
    """Checkov on a directory or a file, offline, frameworks matching policylint's file kinds."""
    where = ["-d", str(target)] if target.is_dir() else ["-f", str(target)]
    return [
        str(checkov), *where, "--quiet", "--compact", "--output", "json", "--skip-download",
        "--framework", "kubernetes", "dockerfile", "github_actions",
    ]


def count_findings(stdout: str) -> int | None:
    """The number of findings in a policylint JSON report (None when it is not JSON)."""
    try:
        return len(json.loads(stdout)["findings"])
    except (ValueError, KeyError, TypeError):
        return None


def section(title: str) -> None:
    """Print a section heading."""
    print(f"\n## {title}\n", flush=True)


def profile(documents: int) -> int:
    """cProfile of one in-process `check --jobs 1` over a generated corpus: where the time goes."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from policylint.options import RunOptions
    from policylint.runner import check

    with tempfile.TemporaryDirectory(prefix="policylint-profile-") as folder:
        generate(Path(folder), documents)
        profiler = cProfile.Profile()
        profiler.enable()
        report = check(RunOptions(paths=[folder], jobs=1))
        profiler.disable()
    print(f"# profile: {documents} documents, {len(report.findings)} findings")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"policylint", 30)
    stats.sort_stats("tottime").print_stats(20)
    return 0


#: pip names of the optional floor parsers (never policylint dependencies).
PIP_NAMES = {"yaml_rs": "yaml-rs", "ryml": "rapidyaml"}


#: In a child: one in-process check, then every format written to a file as `check -o` writes it
#: (time, and the peak of memory allocated while writing, traced), then the finding records
#: encoded three ways: the whole document with `indent=2` (the pure-Python encoder, how the JSON
#: output was written before), the C encoder one record at a time (how it is written now), and
#: orjson one record at a time when it is installed (not a policylint dependency).
OUTPUT_SCRIPT = """
import json, os, sys, tempfile, time, tracemalloc
from policylint.options import RunOptions
from policylint.reporters import write
from policylint.reporters.json_report import finding_to_dict
from policylint.runner import check
start = time.perf_counter()
report = check(RunOptions(paths=[sys.argv[1]], jobs=1, select=sys.argv[2].split(",")))
run = time.perf_counter() - start
rows = {"findings": len(report.findings), "run": run, "formats": {}, "encoders": {}}
with tempfile.TemporaryDirectory() as folder:
    for name in ("json", "sarif", "junit", "gitlab", "text"):
        target = os.path.join(folder, name)
        start = time.perf_counter()
        with open(target, "w", encoding="utf-8") as out:
            write(name, report, out)
        seconds = time.perf_counter() - start
        tracemalloc.start()
        with open(os.devnull, "w", encoding="utf-8") as out:
            write(name, report, out)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows["formats"][name] = [seconds, peak / 2**20, os.path.getsize(target) / 2**20]
records = [finding_to_dict(finding) for finding in report.findings]
start = time.perf_counter()
json.dumps({"findings": records}, indent=2, ensure_ascii=False)
rows["encoders"]["json.dumps(indent=2), whole document (before)"] = time.perf_counter() - start
encoder = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), check_circular=False)
start = time.perf_counter()
for record in records:
    encoder.encode(record)
rows["encoders"]["stdlib C encoder, one record at a time (now)"] = time.perf_counter() - start
try:
    import orjson
except ImportError:
    rows["encoders"]["orjson, one record at a time"] = None
else:
    start = time.perf_counter()
    for record in records:
        orjson.dumps(record)
    rows["encoders"]["orjson, one record at a time"] = time.perf_counter() - start
print(json.dumps(rows))
"""


def output_writing(folder: Path, label: str, selectors: str) -> None:
    """What writing each output format costs after a finding-heavy run (one child, --jobs 1)."""
    section(f"Output writing: {label} (every policy selected, one run, --jobs 1)")
    measured = run_child([sys.executable, "-c", OUTPUT_SCRIPT, str(folder), selectors])
    try:
        rows = json.loads(measured.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"the measuring child failed (exit {measured.status})")
        return
    run = rows["run"]
    print(f"{rows['findings']} findings; check (load, evaluate, suppress) {run:.2f} s; child peak {measured.peak_mib:.0f} MiB")
    print(f"{'format':>8} {'write s':>8} {'share of run':>12} {'MiB traced':>10} {'MiB out':>8}")
    for name, (seconds, peak, size) in rows["formats"].items():
        print(f"{name:>8} {seconds:>8.2f} {seconds / (run + seconds):>11.1%} {peak:>10.1f} {size:>8.1f}")
    print("target: writing JSON or SARIF <= 10% of a run's time")
    print("encoding the finding records:")
    baseline = rows["encoders"]["json.dumps(indent=2), whole document (before)"]
    for name, seconds in rows["encoders"].items():
        if seconds is None:
            print(f"  {name:50} not installed (pip install orjson)")
        else:
            print(f"  {name:50} {seconds:>6.2f} s  {baseline / seconds if seconds else float('inf'):>5.1f}x faster than before")


def real_files(folder: Path) -> None:
    """policylint over a folder of real files (one process, --jobs 1) next to YAML parsers on its YAML files.

    Two policylint runs: as shipped (Helm charts rendered by the Helm library), and with --no-helm,
    which reads the same files the parsers read without running Go templates. The target compares
    the --no-helm run: chart rendering is Helm's own time, not YAML handling.
    """
    section(f"Real files: {folder} (one run, --jobs 1, --relation-scope run) vs YAML parsers on the same files")
    print(f"{'':46} {'wall s':>7} {'CPU s':>6} {'MiB':>5} {'ratio CPU':>9}")
    runs = {}
    for label, extra in (("policylint check", ()), ("policylint check --no-helm", ("--no-helm",))):
        command = policylint_command("check", str(folder), "--format", "json", "--jobs", "1", "--relation-scope",
                                     "run", "--no-progress", *extra)
        run_child(command)  # warm the page cache and the policy cache
        runs[label] = ours = run_child(command)
        print(f"{label + ' (' + str(count_findings(ours.stdout) or 0) + ' findings)':46} {ours.seconds:>7.2f}"
              f" {ours.cpu:>6.2f} {ours.peak_mib:>5.0f}")
    ours = runs["policylint check --no-helm"]
    compose_cpu = None
    for label, (imports, body) in FLOOR_PARSERS.items():
        module = imports.split()[-1]
        if not importable(module):
            print(f"{label:46} not installed in this interpreter (pip install {PIP_NAMES.get(module, module)})")
            continue
        floor = run_child([sys.executable, "-c", floor_script(imports, body), str(folder)])
        compose_cpu = compose_cpu or floor.cpu
        print(f"{label:46} {floor.seconds:>7.2f} {floor.cpu:>6.2f} {floor.peak_mib:>5.0f} {ours.cpu / floor.cpu:>8.2f}x")
    if compose_cpu:
        shipped = runs["policylint check"]
        print(f"target: policylint --no-helm <= 1.5x compose_all (goal 1x), peak <= 400 MiB: "
              f"{ours.cpu / compose_cpu:.2f}x, {ours.peak_mib:.0f} MiB"
              f"  (with Helm rendering: {shipped.cpu / compose_cpu:.2f}x, {shipped.peak_mib:.0f} MiB)")


def main() -> int:
    """Run every benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="corpus sizes in documents (comma-separated)")
    parser.add_argument("--runs", type=int, default=11, help="runs per start-up median")
    parser.add_argument("--no-checkov", action="store_true", help="skip the Checkov comparison")
    parser.add_argument("--checkov", help="path to a checkov executable")
    parser.add_argument("--checkov-max", type=int, default=1000, help="largest corpus given to Checkov")
    parser.add_argument("--checkov-timeout", type=float, default=600, help="seconds before Checkov is stopped")
    parser.add_argument("--profile", type=int, metavar="N", help="only profile one in-process run over N documents")
    parser.add_argument("--real", type=Path, metavar="DIR",
                        help="also time a folder of real files (one run, --jobs 1, --relation-scope run) next to the YAML parsers")
    parser.add_argument("--only-real", action="store_true", help="with --real: skip start-up, generated sets and Checkov")
    parser.add_argument("--only-startup", action="store_true", help="only the start-up section")
    parser.add_argument("--output", type=Path, metavar="DIR", dest="output_dir",
                        help="only the output-writing section, on this folder (e.g. real repositories)")
    args = parser.parse_args()
    if args.profile:
        return profile(args.profile)
    try:
        return run_all(args)
    finally:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)


def run_all(args: argparse.Namespace) -> int:
    """Every section the arguments ask for."""
    if args.only_real and args.real:
        real_files(args.real)
        return 0
    if args.output_dir:
        output_writing(args.output_dir, str(args.output_dir), ALL_DOMAINS)
        return 0
    sizes = [int(size) for size in args.sizes.split(",") if size]
    cpus = os.cpu_count() or 1

    print("# policylint benchmark")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: nproc={cpus}, Python {sys.version.split()[0]} ({sys.executable}), {os.uname().machine}")
    print(f"load average at start: {load} (other processes on the machine inflate every figure)")
    listing = json.loads(run_child(policylint_command("rules", "--format", "json")).stdout)
    domains = sorted({rule["id"].split("-", 1)[0] for rule in listing})
    all_policies = ["--select", ",".join(domains)]  # every policy, off-by-default ones included
    print(f"policies: {len(listing)} built-in ({', '.join(domains)}), all selected for start-up and Checkov runs")

    section("Start-up: one small manifest, all policies selected")
    single = policylint_command("check", str(SMALL_MANIFEST), *all_policies, "--format", "json")
    (floor_pass, cpu_pass, _), (floor_yaml, cpu_yaml, _), (floor_click, cpu_click, _), (startup, cpu_startup, times) = (
        interleaved_medians([[sys.executable, "-c", "pass"], [sys.executable, "-c", "import yaml"],
                             [sys.executable, "-c", "import yaml, click"], single], args.runs))
    print(f"medians of {args.runs} runs              wall ms   CPU ms")
    print(f"python -c pass                   {floor_pass:8.1f} {cpu_pass:8.1f}")
    print(f"python -c 'import yaml'          {floor_yaml:8.1f} {cpu_yaml:8.1f}")
    print(f"python -c 'import yaml, click'   {floor_click:8.1f} {cpu_click:8.1f}")
    print(f"policylint check (1 file)        {startup:8.1f} {cpu_startup:8.1f}   wall runs: {', '.join(f'{t:.0f}' for t in sorted(times))}")
    ratio_wall, ratio_cpu = startup / floor_click, cpu_startup / cpu_click
    print(f"ratio to 'import yaml, click': wall {ratio_wall:.2f}x, CPU {ratio_cpu:.2f}x"
          f"  (target <= 1.5x, goal 1.25x: {'met' if ratio_cpu <= 1.5 else 'NOT met'} on CPU)")
    if args.only_startup:
        return 0

    corpus_root = Path(tempfile.mkdtemp(prefix="policylint-bench-"))
    checkov = None if args.no_checkov else find_checkov(args.checkov)
    try:
        section("Throughput: generated corpus (full run, --format json) vs parse floor (PyYAML C compose)")
        print(f"{'docs':>6} {'files':>6} {'findings':>8} {'run s':>7} {'CPU s':>6} {'MiB':>5} {'floor s':>8} {'CPU s':>6}"
              f" {'MiB':>5} {'ratio wall':>10} {'ratio CPU':>9}")
        results: dict[int, float] = {}
        cpu_results: dict[int, float] = {}
        corpora: dict[int, Path] = {}
        for size in sizes:
            corpus = corpus_root / f"n{size}"
            counts = generate(corpus, size)
            corpora[size] = corpus
            run_child(policylint_command("check", str(corpus), "--format", "json"))  # warm the page cache
            full = run_child(policylint_command("check", str(corpus), "--format", "json"))
            floor = run_child([sys.executable, "-c", PARSE_FLOOR, str(corpus)])
            results[size] = full.seconds
            cpu_results[size] = full.cpu
            print(
                f"{size:>6} {counts['files']:>6} {count_findings(full.stdout) or 0:>8} {full.seconds:>7.2f} {full.cpu:>6.2f}"
                f" {full.peak_mib:>5.0f} {floor.seconds:>8.2f} {floor.cpu:>6.2f} {floor.peak_mib:>5.0f}"
                f" {full.seconds / floor.seconds:>10.2f} {full.cpu / floor.cpu:>9.2f}",
                flush=True,
            )
        ordered = sorted(results)
        for small, large in itertools.pairwise(ordered):
            factor = large / small
            print(f"growth {small} -> {large} docs ({factor:g}x): wall x{results[large] / results[small]:.2f},"
                  f" CPU x{cpu_results[large] / cpu_results[small]:.2f}")
        print("target: run <= 2x parse floor, growth near-linear (about 10x time per 10x documents)")

        output_writing(corpora[ordered[-1]], f"generated corpus, {ordered[-1]} documents", ",".join(domains))

        section(f"--jobs (nproc={cpus})")
        for size in ordered[-2:]:
            line = [f"{size:>6} docs:"]
            outputs = set()
            for jobs in sorted({1, 2, cpus}):
                measured = run_child(policylint_command("check", str(corpora[size]), "--format", "json", "--jobs", str(jobs)))
                outputs.add(measured.stdout)
                line.append(f"--jobs {jobs}: {measured.seconds:.2f} s wall, {measured.cpu:.2f} s CPU, {measured.peak_mib:.0f} MiB")
            line.append("identical output" if len(outputs) == 1 else "OUTPUT DIFFERS")
            print("  ".join(line), flush=True)

        section("Side by side with Checkov (offline: --skip-download, dead proxy)")
        if checkov is None:
            print(f"Checkov not installed: skipped. To include it: {CHECKOV_HINT}")
        else:
            version = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, env=checkov_env())
            print(f"checkov {version.stdout.strip()} ({checkov})")
            print(f"{'input':>16} {'policylint s':>12} {'CPU s':>6} {'checkov s':>10} {'CPU s':>6} {'ratio':>7}")
            inputs: list[tuple[str, Path]] = [("1 small file", SMALL_MANIFEST)]
            inputs += [(f"{size} docs", corpora[size]) for size in ordered if size <= args.checkov_max]
            run_child(checkov_command(checkov, SMALL_MANIFEST), env=checkov_env(), timeout=args.checkov_timeout)  # warm
            for label, target in inputs:
                ours = run_child(policylint_command("check", str(target), *all_policies, "--format", "json"))
                theirs = run_child(checkov_command(checkov, target), env=checkov_env(), timeout=args.checkov_timeout)
                their_time = "timeout" if theirs.status == -9 else f"{theirs.seconds:.2f}"
                print(f"{label:>16} {ours.seconds:>12.2f} {ours.cpu:>6.2f} {their_time:>10} {theirs.cpu:>6.2f}"
                      f" {theirs.seconds / ours.seconds:>6.1f}x", flush=True)
        if args.real:
            real_files(args.real)
    finally:
        shutil.rmtree(corpus_root, ignore_errors=True)
    print(f"\nload average at end: {', '.join(f'{value:.1f}' for value in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
