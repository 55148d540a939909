"""Print policylint's speed on this machine: start-up, throughput against the parse floor, --jobs,
and a side-by-side with Checkov when it is installed.

    python benchmarks/run.py                    # everything (a few minutes; Checkov adds more)
    python benchmarks/run.py --sizes 100,1000   # smaller corpus only
    python benchmarks/run.py --no-checkov
    python benchmarks/run.py --real /path/to/files   # also a folder of real files, next to the YAML parsers
    python benchmarks/run.py --output /path/to/files # only what writing each output format costs there
    python benchmarks/run.py --scale [--scale-real DIR]  # only issue 24's at-scale targets (about 10 min)

The targets are printed as ratios measured in the same run: a whole set of files against PyYAML's
C `compose_all` of the same YAML files, start-up against `python -c "import yaml, click"`. The other
YAML parsers (PyYAML `load_all`, and yaml-rs / rapidyaml (`pip install yaml-rs rapidyaml`) when installed in the running interpreter)
are timed on the same files, so the floor is visible; they are never policylint dependencies.

Every figure comes from a fresh child process: wall time from `time.perf_counter` around it, peak
memory from `os.wait4`'s resource usage (the child and the workers it waited for). Children run
with bytecode caching on (as after `pip install`), so the first, warming run is not counted.
Nothing here asserts a time: the figures are printed, to be read and quoted.

`--scale` prints issue 24's targets, each as a measured figure with a "verdict: ... met / NOT met"
line: peak memory of `check --format F -o FILE` for every format on generated sets of the same
documents whose share of violating apps grows (`--scale-shares`, `--scale-docs`, and
`--scale-sidecars` containers per Deployment, so that findings outnumber files as in real
repositories), the KiB per additional finding (least squares) and the peak that line gives at
235,000 findings, and the measured peak on a finding-heavy real folder (`--scale-real DIR`, checked
with `--scale-real-args`); wall and peak on `--scale-large` (100,000) generated documents at `-j 1`
and default `-j`; the `-j 1..nproc+1` and default table on `--scale-small` (10,000),
`--scale-large` and the real set, with ratios to `-j 1` and whether the JSON is byte-identical
(children get SOURCE_DATE_EPOCH=0); the share of writing JSON and SARIF (the output-writing
child); start-up. wait4's ru_maxrss counts forked workers once waited for, but as the largest
single process, not a sum (the section checks this with a forked grandchild), so the process tree
is also sampled from /proc (RSS and PSS sums); the verdicts use the larger figure, and the growth
per finding the larger slope of the two (a peak reached while loading would hide the findings'
growth). A child's ru_maxrss cannot be below the benchmark's own peak (exec keeps the old address
space's high-water mark), so the benchmark keeps its own peak small and marks rows at that floor.
`--scale-parts` runs some parts only (memory, large, jobs, write, startup).
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
#: The output formats whose writing and memory are measured.
ALL_FORMATS = ("json", "sarif", "junit", "gitlab", "text")

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
    tree_rss_mib: float = 0.0
    tree_pss_mib: float = 0.0
    processes: int = 0


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


def run_child(command: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
              tree: bool = False) -> Measure:
    """Run a command, return its wall time and peak memory.

    `peak_mib` is wait4's ru_maxrss: the largest peak of the child and of each descendant it
    waited for (Linux keeps the maximum, not the sum, so two workers of 200 MiB and a parent of
    150 MiB show 200 MiB). With `tree`, the process tree's memory is also sampled from /proc every
    TREE_SAMPLE_SECONDS: the peak sums of RSS (pages shared after a fork counted in every process)
    and of PSS (shared pages split between their processes: what the tree costs the machine)."""
    sampler = TreeSampler() if tree else None
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, env=env or child_env())
        deadline = None if timeout is None else start + timeout
        next_sample = start
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if deadline is not None and now > deadline:
                process.kill()
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                return Measure(float("inf"), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, -9, "")
            if sampler is not None and now >= next_sample:
                sampler.sample(process.pid)
                next_sample = now + TREE_SAMPLE_SECONDS
            time.sleep(0.002)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        measure = Measure(seconds, cpu, usage.ru_maxrss / 1024, process.returncode,
                          out.read().decode("utf-8", "replace"))
        if sampler is not None:
            measure.tree_rss_mib, measure.tree_pss_mib = sampler.rss_kib / 1024, sampler.pss_kib / 1024
            measure.processes = sampler.processes
        return measure


#: How often `run_child(tree=True)` reads the memory of the process tree (a full /proc scan).
TREE_SAMPLE_SECONDS = 0.1


class TreeSampler:
    """Peak memory of a process and its live descendants, sampled from /proc (Linux).

    Samples can miss a peak shorter than the interval, so the figures are lower bounds; ru_maxrss
    from wait4 is exact for any single process."""

    def __init__(self) -> None:
        self.rss_kib = 0
        self.pss_kib = 0
        self.processes = 0

    def sample(self, root: int) -> None:
        """Add one sample of the tree under `root`: the root and its forks (same executable). Programs
        it runs (ShellCheck, kustomize) are left out: short-lived, they would make the sums jump
        between runs; wait4's ru_maxrss still covers each of them as one process."""
        pids = same_executable(process_tree(root, parent_ids()))
        rss = pss = 0
        for pid in pids:
            memory = process_memory_kib(pid)
            if memory is not None:
                rss += memory[0]
                pss += memory[1]
        self.rss_kib = max(self.rss_kib, rss)
        self.pss_kib = max(self.pss_kib, pss)
        self.processes = max(self.processes, len(pids))


def parent_ids() -> dict[int, int]:
    """Every live process's parent id, from /proc/*/stat (empty where there is no /proc)."""
    parents: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return parents
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # exited meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
        parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    return parents


def process_tree(root: int, parents: dict[int, int]) -> list[int]:
    """`root` and every descendant of it in `parents` (child id -> parent id), root first."""
    children: dict[int, list[int]] = {}
    for pid, parent in sorted(parents.items()):
        children.setdefault(parent, []).append(pid)
    tree, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue.extend(children.get(pid, ()))
    return tree


def same_executable(pids: list[int]) -> list[int]:
    """The processes of `pids` running the first one's executable (forks of it, not programs it runs)."""
    def executable(pid: int) -> str | None:
        try:
            return os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return None

    if not pids:
        return []
    first = executable(pids[0])
    return [pid for pid in pids if first is not None and executable(pid) == first]


def process_memory_kib(pid: int) -> tuple[int, int] | None:
    """RSS and PSS of one process in KiB, from /proc/PID/smaps_rollup (None when it has exited)."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return None
    if "Rss" not in values or "Pss" not in values:
        return None
    return values["Rss"], values["Pss"]


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


#: In a child: one in-process check, then every format (argv[3], comma-separated) written to a file
#: as `check -o` writes it (time, and the peak of memory allocated while writing, traced), then,
#: when argv[4] is "1", the finding records encoded three ways: the whole document with `indent=2` (the pure-Python encoder, how the JSON
#: output was written before), the C encoder one record at a time (how it is written now), and
#: orjson one record at a time when it is installed (not a policylint dependency).
OUTPUT_SCRIPT = """
import json, os, sys, tempfile, time, tracemalloc
from policylint.options import RunOptions
from policylint.reporters import write
from policylint.reporters.json_report import finding_to_dict
from policylint.runner import check
start = time.perf_counter()
report = check(RunOptions(paths=[sys.argv[1]], jobs=1, select=sys.argv[2].split(","),
                          include_test_data=sys.argv[5] == "1"))
run = time.perf_counter() - start
rows = {"findings": len(report.findings), "run": run, "formats": {}, "encoders": {}}
with tempfile.TemporaryDirectory() as folder:
    for name in sys.argv[3].split(","):
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
if sys.argv[4] != "1":
    print(json.dumps(rows))
    raise SystemExit(0)
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


def output_writing(folder: Path, label: str, selectors: str, formats: tuple[str, ...] = ALL_FORMATS,
                   encoders: bool = True, include_test_data: bool = False) -> dict | None:
    """What writing each output format costs after a finding-heavy run (one child, --jobs 1).

    Returns the measured rows (None when the child failed): "run" seconds, and per format
    [write seconds, MiB traced while writing, MiB written]."""
    section(f"Output writing: {label} (every policy selected, one run, --jobs 1)")
    measured = run_child([sys.executable, "-c", OUTPUT_SCRIPT, str(folder), selectors, ",".join(formats),
                          "1" if encoders else "0", "1" if include_test_data else "0"])
    try:
        rows = json.loads(measured.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"the measuring child failed (exit {measured.status})")
        return None
    run = rows["run"]
    print(f"{rows['findings']} findings; check (load, evaluate, suppress) {run:.2f} s; child peak {measured.peak_mib:.0f} MiB")
    print(f"{'format':>8} {'write s':>8} {'share of run':>12} {'MiB traced':>10} {'MiB out':>8}")
    for name, (seconds, peak, size) in rows["formats"].items():
        print(f"{name:>8} {seconds:>8.2f} {seconds / (run + seconds):>11.1%} {peak:>10.1f} {size:>8.1f}")
    print("target: writing JSON or SARIF <= 10% of a run's time")
    if not encoders:
        return rows
    print("encoding the finding records:")
    baseline = rows["encoders"]["json.dumps(indent=2), whole document (before)"]
    for name, seconds in rows["encoders"].items():
        if seconds is None:
            print(f"  {name:50} not installed (pip install orjson)")
        else:
            print(f"  {name:50} {seconds:>6.2f} s  {baseline / seconds if seconds else float('inf'):>5.1f}x faster than before")
    return rows


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


#: Issue 24's targets, printed next to the measured figures.
TARGET_FINDINGS = 235_000
TARGET_PEAK_MIB = 300
TARGET_KIB_PER_FINDING = 0.3
TARGET_LARGE_MIB = 400
TARGET_J2_RATIO = 0.6
TARGET_WRITE_SHARE = 0.10
#: A child's ru_maxrss this close to the benchmark's own peak may be that floor, not the child's.
FLOOR_MARGIN_MIB = 2
#: The parts of `--scale`, in the order they print.
SCALE_PARTS = ("memory", "large", "jobs", "write", "startup")
#: Peaks of one command differ by a few MiB from run to run: a smaller spread gives no slope.
NOISE_MIB = 5


def verdict(what: str, figure: str, target: str, met: bool) -> str:
    """One verdict line: the figure, the target, met or NOT met."""
    return f"verdict: {what}: {figure} (target {target}): {'met' if met else 'NOT met'}"


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares line through (x, y) points: (intercept, slope). Needs two distinct x."""
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        raise ValueError("a line needs at least two different x values")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return mean_y - slope * mean_x, slope


def memory_per_finding(points: list[tuple[int, float]], at: int = TARGET_FINDINGS) -> tuple[float, float]:
    """From (findings, peak MiB) points: KiB of peak per additional finding, and the peak the line
    gives at `at` findings (MiB)."""
    intercept, slope = linear_fit([(float(findings), peak) for findings, peak in points])
    return slope * 1024, intercept + slope * at


def warm_page_cache(folder: Path) -> None:
    """Read every file under `folder` once, so the first measured run is not the one reading disk."""
    for path in sorted(folder.rglob("*")):
        try:
            if path.is_file() and not path.is_symlink():
                path.read_bytes()
        except OSError:
            pass


@dataclass
class ScaleRun:
    """One `check --format F -o FILE` child: its measure, findings (JSON only), output digest."""

    measure: Measure
    findings: int | None
    digest: str

    @property
    def peak_mib(self) -> float:
        """The larger of wait4's ru_maxrss and the sampled PSS sum of the process tree."""
        return max(self.measure.peak_mib, self.measure.tree_pss_mib)

    @property
    def ok(self) -> bool:
        """Exit 0 (no finding) or 1 (findings), and an output file was written."""
        return self.measure.status in (0, 1) and self.digest != "missing"


class ScaleRunner:
    """Runs and remembers `check` children by (set, format, jobs): a figure needed by two tables is
    measured once. Every child gets SOURCE_DATE_EPOCH=0, so the JSON `run` block's time is fixed and
    outputs of different -j compare byte for byte."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.runs: dict[tuple[str, str, str], ScaleRun] = {}
        self.env = child_env()
        self.env["SOURCE_DATE_EPOCH"] = "0"

    def run(self, label: str, target: Path, extra: tuple[str, ...], fmt: str = "json", jobs: str = "1") -> ScaleRun:
        """`check TARGET --select <every domain> EXTRA --format FMT -o FILE [--jobs JOBS]`;
        jobs "default" passes no --jobs."""
        key = (label, fmt, jobs)
        if key in self.runs:
            return self.runs[key]
        output = self.workdir / f"out-{len(self.runs)}.{fmt}"
        command = policylint_command("check", str(target), "--select", ALL_DOMAINS, *extra, "--format", fmt,
                                     "-o", str(output), "--no-progress",
                                     *(() if jobs == "default" else ("--jobs", jobs)))
        measure = run_child(command, env=self.env, tree=True)
        digest, findings = "missing", None
        if output.is_file():
            digest = file_digest(output)
            if fmt == "json":
                findings = count_findings_apart(output)
            output.unlink()
        self.runs[key] = result = ScaleRun(measure, findings, digest)
        return result


def file_digest(path: Path) -> str:
    """sha256 of a file read in 1 MiB blocks (this process's peak stays small: see own_peak_mib)."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Counts the findings of a JSON report in a throwaway process (the report may be tens of MiB).
COUNT_SCRIPT = "import json, sys; print(len(json.load(open(sys.argv[1], encoding='utf-8'))['findings']))"


def count_findings_apart(path: Path) -> int | None:
    """The number of findings in a JSON report file, parsed in a child so this process stays small."""
    done = subprocess.run([sys.executable, "-c", COUNT_SCRIPT, str(path)], capture_output=True, text=True, check=False)
    try:
        return int(done.stdout.strip())
    except ValueError:
        return None


def own_peak_mib() -> float:
    """This process's peak RSS. On Linux a child's ru_maxrss starts at the peak of the process that
    launched it (exec records the old address space's high-water mark, and subprocess shares it
    with vfork), so no child can show less: the benchmark keeps its own peak small and prints it."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: A child that forks a grandchild touching 128 MiB, waits for it, and stays small itself.
GRANDCHILD_SCRIPT = """
import os
pid = os.fork()
if pid == 0:
    block = bytearray(128 * 2**20)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    os._exit(0)
os.waitpid(pid, 0)
"""


def wait4_counts_grandchildren() -> str:
    """Whether wait4's ru_maxrss on a child includes a grandchild it forked and waited for (as
    policylint's unit workers are): measured, not assumed."""
    grand = run_child([sys.executable, "-c", GRANDCHILD_SCRIPT], tree=True)
    counted = grand.peak_mib >= 128
    return (f"wait4 check: a child forking a 128 MiB grandchild and waiting for it shows ru_maxrss {grand.peak_mib:.0f}"
            f" MiB: waited-for workers are {'counted' if counted else 'NOT counted'} (as a maximum over the"
            " processes, not a sum: the sampled tree PSS covers workers running at the same time)")


def scale_row(label: str, run: ScaleRun, findings: int | None) -> str:
    """A table row: set, findings, wall, CPU, ru_maxrss, tree RSS and PSS sums, peak."""
    m = run.measure
    state = "" if run.ok else f"  FAILED (exit {m.status})"
    if m.peak_mib <= own_peak_mib() + FLOOR_MARGIN_MIB:
        state += f"  (maxrss at this process's own peak {own_peak_mib():.0f} MiB: a floor, see tree PSS)"
    return (f"{label:28} {findings if findings is not None else '?':>8} {m.seconds:>7.2f} {m.cpu:>7.2f}"
            f" {m.peak_mib:>7.0f} {m.tree_rss_mib:>8.0f} {m.tree_pss_mib:>8.0f} {m.processes:>5} {run.peak_mib:>6.0f}{state}")


SCALE_HEADER = (f"{'set':28} {'findings':>8} {'wall s':>7} {'CPU s':>7} {'maxrss':>7} {'tree RSS':>8} {'tree PSS':>8}"
                f" {'procs':>5} {'peak':>6}")
SCALE_LEGEND = (
    "MiB columns: maxrss = wait4's ru_maxrss (the largest single process of the tree, forked workers"
    " included once waited for; not a sum); tree RSS / tree PSS = peak sums over policylint and its forked"
    f" workers, sampled from /proc every {TREE_SAMPLE_SECONDS:g} s (not the programs it runs, such as ShellCheck;"
    " RSS counts pages shared after fork in every process, PSS splits them); procs = most policylint processes"
    " seen at once; peak = max(maxrss, tree PSS), the figure the verdicts use.")


def scale(args: argparse.Namespace) -> None:
    """Issue 24's targets as measured figures: memory against findings, 100k documents, the -j
    scaling table, the share of writing JSON and SARIF, and start-up."""
    cpus = os.cpu_count() or 1
    started = time.perf_counter()
    print("# policylint benchmark: at scale (issue 24 targets)")
    print(f"machine: nproc={cpus}, Python {sys.version.split()[0]}, {os.uname().machine};"
          f" load average at start: {', '.join(f'{value:.1f}' for value in os.getloadavg())}")
    print("every figure: one fresh child `python -m policylint check DIR --select"
          f" {ALL_DOMAINS} --format F -o FILE --no-progress`, SOURCE_DATE_EPOCH=0")
    print(SCALE_LEGEND)
    print(wait4_counts_grandchildren())
    print("on Linux a child's ru_maxrss is at least the peak RSS of the process launching it (exec records the old"
          " address space's high-water mark): this benchmark keeps its own peak small (outputs are hashed in blocks,"
          " counted in a throwaway child); rows at that floor are marked. Own peak now:"
          f" {own_peak_mib():.0f} MiB")
    shares = sorted({float(share) for share in args.scale_shares.split(",") if share})
    jobs_list = args.scale_jobs.split(",") if args.scale_jobs else [
        *(str(jobs) for jobs in range(1, cpus + 2)), "default"]
    real_extra = tuple(args.scale_real_args.split())
    parts = set(args.scale_parts.split(","))
    corpus_root = Path(tempfile.mkdtemp(prefix="policylint-scale-"))
    try:
        runner = ScaleRunner(corpus_root)
        run_child(policylint_command("check", str(SMALL_MANIFEST), "--no-progress"))  # bytecode and policy cache
        sweep: dict[str, Path] = {}
        for share in shares if "memory" in parts or ("write" in parts and not args.scale_real) else ():
            folder = corpus_root / f"sweep-{share:g}"
            counts = generate(folder, args.scale_docs, bad_share=share, sidecars=args.scale_sidecars)
            sweep[f"gen {args.scale_docs}+{args.scale_sidecars}sc bad {share:g}"] = folder
        if sweep:
            print(f"sweep sets: {args.scale_docs} documents, {counts['files']} files each, {args.scale_sidecars} sidecar containers"
                  f" per Deployment (generate_corpus --sidecars); share of violating apps {', '.join(f'{share:g}' for share in shares)}")
        real_label = f"real {args.scale_real.name}" if args.scale_real else ""
        if args.scale_real:
            warm_page_cache(args.scale_real)

        if "memory" in parts:
            section(f"Memory against findings (--jobs 1, every format; target <= {TARGET_PEAK_MIB} MiB at"
                    f" {TARGET_FINDINGS:,} findings, <= {TARGET_KIB_PER_FINDING} KiB per additional finding)")
            print(f"(the slope holds the documents at {args.scale_docs}: the line at {TARGET_FINDINGS:,} findings adds findings,"
                  " not documents; the real set's row is the measured peak with its own documents)")
            print(SCALE_HEADER)
            for fmt in ALL_FORMATS:
                peaks: list[tuple[int, float]] = []
                sustained: list[tuple[int, float]] = []
                for label, folder in sweep.items():
                    run = runner.run(label, folder, ())
                    findings = run.findings
                    measured = runner.run(label, folder, (), fmt)
                    print(f"{fmt:>6} " + scale_row(label, measured, findings), flush=True)
                    if findings is not None and measured.ok:
                        peaks.append((findings, measured.peak_mib))
                        sustained.append((findings, measured.measure.tree_pss_mib))
                if args.scale_real:
                    findings = runner.run(real_label, args.scale_real, real_extra).findings
                    measured = runner.run(real_label, args.scale_real, real_extra, fmt)
                    print(f"{fmt:>6} " + scale_row(real_label, measured, findings), flush=True)
                    if measured.ok:
                        print(verdict(f"{fmt} peak on the real set ({findings} findings)", f"{measured.peak_mib:.0f} MiB",
                                      f"<= {TARGET_PEAK_MIB} MiB", measured.peak_mib <= TARGET_PEAK_MIB))
                if len({findings for findings, _ in peaks}) < 2:
                    print(f"{fmt}: fewer than two sweep sets with different finding counts: no slope")
                    continue
                peak_slope, peak_at = memory_per_finding(peaks)
                pss_slope, pss_at = memory_per_finding(sustained)
                low, high = min(peaks), max(peaks)
                pss_low, pss_high = min(sustained), max(sustained)
                print(f"{fmt}: {low[0]} -> {high[0]} findings (same {args.scale_docs} documents): peak {low[1]:.0f} -> {high[1]:.0f}"
                      f" MiB, {peak_slope:.2f} KiB per additional finding, {peak_at:.0f} MiB at {TARGET_FINDINGS:,} findings;"
                      f" sampled tree PSS {pss_low[1]:.0f} -> {pss_high[1]:.0f} MiB, {pss_slope:.2f} KiB per finding,"
                      f" {pss_at:.0f} MiB at {TARGET_FINDINGS:,} (least squares over {len(peaks)} sets)")
                if abs(high[1] - low[1]) < NOISE_MIB and abs(pss_high[1] - pss_low[1]) < NOISE_MIB:
                    print(f"{fmt}: the figures differ by less than {NOISE_MIB} MiB, about run-to-run noise: the slopes are not"
                          " reliable (use more documents, sidecars or a wider share range)")
                print(f"{fmt}: a peak reached before the findings pile up (while loading) would hide their growth, so the"
                      " sampled PSS is fitted too; the verdicts take the larger slope and the larger extrapolation")
                per_finding, extrapolated = max(peak_slope, pss_slope), max(peak_at, pss_at)
                print(verdict(f"{fmt} growth", f"{per_finding:.2f} KiB per finding", f"<= {TARGET_KIB_PER_FINDING} KiB",
                              per_finding <= TARGET_KIB_PER_FINDING))
                print(verdict(f"{fmt} peak extrapolated to {TARGET_FINDINGS:,} findings", f"{extrapolated:.0f} MiB",
                              f"<= {TARGET_PEAK_MIB} MiB", extrapolated <= TARGET_PEAK_MIB), flush=True)

        scaling_sets: list[tuple[str, Path, tuple[str, ...]]] = []
        if args.scale_small and "jobs" in parts:
            small = corpus_root / f"gen-{args.scale_small}"
            generate(small, args.scale_small)
            scaling_sets.append((f"gen {args.scale_small}", small, ()))
        large_label = ""
        if args.scale_large and parts & {"large", "jobs"}:
            large_label = f"gen {args.scale_large}"
            large = corpus_root / f"gen-{args.scale_large}"
            counts = generate(large, args.scale_large)
            scaling_sets.append((large_label, large, ()))
        if args.scale_large and "large" in parts:
            section(f"{args.scale_large:,} generated documents ({counts['files']} files; --format json; target <="
                    f" {TARGET_LARGE_MIB} MiB)")
            print(SCALE_HEADER)
            for jobs in ("1", "default"):
                run = runner.run(large_label, large, (), "json", jobs)
                print(scale_row(f"{large_label} -j {jobs}", run, run.findings), flush=True)
                if run.ok:
                    print(verdict(f"peak at {args.scale_large:,} documents, -j {jobs}", f"{run.peak_mib:.0f} MiB",
                                  f"<= {TARGET_LARGE_MIB} MiB", run.peak_mib <= TARGET_LARGE_MIB))
        if args.scale_real:
            scaling_sets.append((real_label, args.scale_real, real_extra))

        if "jobs" in parts:
            section(f"Scaling --jobs {', '.join(jobs_list)} (nproc={cpus}; --format json; target: -j 2 <="
                    f" {TARGET_J2_RATIO}x the wall time of -j 1)")
            print(f"{'set':28} {'-j':>7} {'wall s':>7} {'CPU s':>7} {'peak':>6} {'procs':>5} {'wall x':>6} {'CPU x':>6}  output")
            for label, folder, extra in scaling_sets:
                base = runner.run(label, folder, extra, "json", "1")
                for jobs in jobs_list:
                    run = runner.run(label, folder, extra, "json", jobs)
                    m = run.measure
                    same = ("FAILED" if not run.ok else "identical to -j 1" if run.digest == base.digest
                            else "DIFFERS from -j 1")
                    print(f"{label:28} {jobs:>7} {m.seconds:>7.2f} {m.cpu:>7.2f} {run.peak_mib:>6.0f} {m.processes:>5}"
                          f" {m.seconds / base.measure.seconds:>6.2f} {m.cpu / base.measure.cpu:>6.2f}  {same}", flush=True)
                if "2" in jobs_list:
                    ratio = runner.run(label, folder, extra, "json", "2").measure.seconds / base.measure.seconds
                    print(verdict(f"{label}: -j 2 wall / -j 1 wall", f"{ratio:.2f}x", f"<= {TARGET_J2_RATIO}x",
                                  ratio <= TARGET_J2_RATIO))
                if "default" in jobs_list:
                    ratio = runner.run(label, folder, extra, "json", "default").measure.seconds / base.measure.seconds
                    print(verdict(f"{label}: default -j wall / -j 1 wall", f"{ratio:.2f}x", "<= 1.00x (never slower)",
                                  ratio <= 1.0))

        if "write" in parts:
            if args.scale_real:
                share_folder, share_label = args.scale_real, f"real set {args.scale_real}"
                share_test_data = "--include-test-data" in real_extra
            else:
                share_label = max(sweep)
                share_folder, share_test_data = sweep[share_label], False
            rows = output_writing(share_folder, share_label, ALL_DOMAINS, ("json", "sarif"), encoders=False,
                                  include_test_data=share_test_data)
            if rows:
                for fmt in ("json", "sarif"):
                    seconds = rows["formats"][fmt][0]
                    share = seconds / (rows["run"] + seconds)
                    print(verdict(f"writing {fmt}, share of the run", f"{share:.1%}", f"<= {TARGET_WRITE_SHARE:.0%}",
                                  share <= TARGET_WRITE_SHARE))
    finally:
        shutil.rmtree(corpus_root, ignore_errors=True)
    if "startup" in parts:
        startup(args.runs, ["--select", ALL_DOMAINS])
    print(f"\nthis benchmark's own peak RSS at the end: {own_peak_mib():.0f} MiB (the floor of every child's maxrss)")
    print(f"scale section took {time.perf_counter() - started:.0f} s; load average at end:"
          f" {', '.join(f'{value:.1f}' for value in os.getloadavg())}")


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
    parser.add_argument("--scale", action="store_true",
                        help="only the at-scale section: issue 24's targets (memory per finding, 100k documents, -j scaling, write share)")
    parser.add_argument("--scale-real", type=Path, metavar="DIR", help="with --scale: a finding-heavy folder of real files")
    parser.add_argument("--scale-real-args", default="--include-test-data",
                        help="with --scale-real: extra check arguments for it (default: %(default)s)")
    parser.add_argument("--scale-docs", type=int, default=4000,
                        help="with --scale: documents of each finding-sweep set (default: %(default)s)")
    parser.add_argument("--scale-sidecars", type=int, default=20,
                        help="with --scale: extra containers per Deployment in the finding-sweep sets (default: %(default)s)")
    parser.add_argument("--scale-small", type=int, default=10000,
                        help="with --scale: documents of the smaller generated -j set, 0 to skip it (default: %(default)s)")
    parser.add_argument("--scale-shares", default="0.2,0.6,1.0",
                        help="with --scale: shares of violating apps in the finding sweep (default: %(default)s)")
    parser.add_argument("--scale-large", type=int, default=100000,
                        help="with --scale: documents of the large generated set, 0 to skip it (default: %(default)s)")
    parser.add_argument("--scale-parts", default=",".join(SCALE_PARTS),
                        help="with --scale: which parts to run (default: %(default)s)")
    parser.add_argument("--scale-jobs", default="",
                        help="with --scale: the -j values of the scaling table (default: 1 to nproc+1, and default)")
    args = parser.parse_args()
    if args.profile:
        return profile(args.profile)
    try:
        if args.scale:
            scale(args)
            return 0
        return run_all(args)
    finally:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)


def startup(runs: int, all_policies: list[str]) -> None:
    """Start-up on one small manifest next to bare interpreters, the four taken in turns."""
    section("Start-up: one small manifest, all policies selected")
    single = policylint_command("check", str(SMALL_MANIFEST), *all_policies, "--format", "json")
    (floor_pass, cpu_pass, _), (floor_yaml, cpu_yaml, _), (floor_click, cpu_click, _), (startup, cpu_startup, times) = (
        interleaved_medians([[sys.executable, "-c", "pass"], [sys.executable, "-c", "import yaml"],
                             [sys.executable, "-c", "import yaml, click"], single], runs))
    print(f"medians of {runs} runs              wall ms   CPU ms")
    print(f"python -c pass                   {floor_pass:8.1f} {cpu_pass:8.1f}")
    print(f"python -c 'import yaml'          {floor_yaml:8.1f} {cpu_yaml:8.1f}")
    print(f"python -c 'import yaml, click'   {floor_click:8.1f} {cpu_click:8.1f}")
    print(f"policylint check (1 file)        {startup:8.1f} {cpu_startup:8.1f}   wall runs: {', '.join(f'{t:.0f}' for t in sorted(times))}")
    ratio_wall, ratio_cpu = startup / floor_click, cpu_startup / cpu_click
    print(f"ratio to 'import yaml, click': wall {ratio_wall:.2f}x, CPU {ratio_cpu:.2f}x"
          f"  (target <= 1.5x, goal 1.25x: {'met' if ratio_cpu <= 1.5 else 'NOT met'} on CPU)")
    print("(issue 24's start-up target is \"no worse than before\": compare this median with the before run's)")


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

    startup(args.runs, all_policies)
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
