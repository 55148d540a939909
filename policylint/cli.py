"""Command line: `policylint check|merge|report|rules|explain|test-policies`.

Commands parse options, call the runner and hand the report to reporters. Heavy modules are
imported inside commands so `policylint --version` and the pre-commit hook start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from policylint import __version__

if TYPE_CHECKING:
    from policylint.core.policies import PolicySet

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")
#: What `-o FILE` without any `--format` writes.
DEFAULT_FILE_FORMAT = "text"


def _fail(message: str) -> None:
    """Print the error (every line of it: a configuration may have several) and exit 2."""
    for line in message.splitlines() or [message]:
        click.echo(f"policylint: error: {line}", err=True)
    raise SystemExit(EXIT_USAGE)


def _emit(text: str, target: str | None) -> None:
    """Print `text` to stdout, or write it to the file `target` (exit 2 when it cannot be written)."""
    if target is None:
        click.echo(text, nl=False)
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}")


def _policy_set(directories: Sequence[Path], include_builtin: bool = True) -> PolicySet:
    """Read the policies; an invalid policy file is a usage error (exit 2)."""
    from policylint.catalog import load_policies
    from policylint.core.policies import PolicyFormatError

    try:
        return load_policies(directories, include_builtin=include_builtin)
    except PolicyFormatError as exc:
        _fail(str(exc))
        raise


def _split(values: Sequence[str]) -> list[str]:
    """Accept both `--select a --select b` and `--select a,b`."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="policylint", message="%(prog)s %(version)s")
def cli() -> None:
    """Policy-as-code linter for Kubernetes manifests, Dockerfiles, compose files and GitHub Actions."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS), help="Output format (repeatable).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Write the matching --format to this file (repeatable, paired in order).")
@click.option("--select", multiple=True, help="Run only these policy ids or domains (k8s, docker, compose, gha, gitlab).")
@click.option("--ignore", multiple=True, help="Skip these policy ids or domains.")
@click.option("--enable", multiple=True, help="Also run these off-by-default policies.")
@click.option("--fail-on", type=click.Choice(("critical", "high", "medium", "low", "never")), default="low",
              show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Extra folder of policies (repeatable).")
@click.option("--profile", type=click.Choice(("default", "restricted")), default="default", show_default=True)
@click.option("--namespace", "default_namespace", default="default", show_default=True,
              help="Namespace assumed for objects that set none.")
@click.option("--exclude", "excludes", multiple=True,
              help="Paths to skip, as in .gitignore, from the repository root (testdata: at any depth; /build: at the root). Repeatable.")
@click.option("--no-color", is_flag=True, help="Never colour the text output.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Use this configuration file instead of the nearest .policylint.yaml.")
@click.option("--context", "context", multiple=True, type=click.Path(exists=True),
              help="Also load these paths for relational policies, reporting only on PATHS (repeatable).")
@click.option("--context-scope/--no-context-scope", default=True, show_default=True,
              help="With files named alone (pre-commit), load the rest of their relation scope (folder tree, "
                   "kustomizations) so relational policies judge them against it; only the named files are reported.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record today's findings in this baseline file (they then count as suppressed).")
@click.option("--no-suppressions", is_flag=True, help="Ignore every suppression and baseline (for audits).")
@click.option("--diff-base", "diff_base", metavar="REF",
              help="Fail only on findings absent at the merge-base of REF and HEAD (needs policylint[diffbase]).")
@click.option("--warn-unused-suppressions", is_flag=True, help="Report suppressions that match no finding.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress line on stderr (default: on an interactive terminal, never in CI).")
@click.option("--kube-version", default=None,
              help="Kubernetes version to validate schemas and API deprecations against (default: newest bundled).")
@click.option("--kustomize/--no-kustomize", default=None,
              help="Render folders holding a kustomization.yaml (kubectl kustomize or kustomize build) and check the "
                   "output (default: when a renderer is available).")
@click.option("--helm/--no-helm", default=True,
              help="Render Helm charts (folders holding Chart.yaml) and check what they render (needs policylint[helm]).")
@click.option("--helm-values", "helm_values", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Values file for every chart rendered (repeatable, applied in order after the chart's values.yaml).")
@click.option("--respect-gitignore/--no-respect-gitignore", default=True,
              help="Leave out files that .gitignore (and .git/info/exclude) ignore while walking folders.")
@click.option("--include-test-data", is_flag=True, default=None,
              help="Also check test data found while walking folders (testdata/, tests/, fixtures/, *.golden, *.snap).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
              help="Worker processes for large file sets (default 0: one per CPU; 1: never). Output is identical.")
@click.option("--relation-scope", type=click.Choice(("folder", "run")), default="folder", show_default=True,
              help="Which files relational policies join: one folder tree and its kustomizations, or the whole run.")
@click.option("-v", "--verbose", is_flag=True,
              help="List every skipped file, what relations could not judge, and what libraries logged.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings and errors only: no notices, warnings or summary line.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place, check again, report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (and mark as fixable) fixes that can change behaviour.")
@click.option("--diff", is_flag=True, help="Print a unified diff of what --fix would change; write nothing (exit 1 if any).")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With --fix: exit 1 when a file was changed, even if nothing remains.")
@click.option("--shard", metavar="I/N",
              help="Check only shard I of N (whole units: charts, the plain files); `policylint merge` joins the "
                   "shards' JSON outputs into the unsharded output.")
def check(
    paths: tuple[str, ...],
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    enable: tuple[str, ...],
    fail_on: str,
    policy_dirs: tuple[Path, ...],
    profile: str,
    default_namespace: str,
    excludes: tuple[str, ...],
    no_color: bool,
    config_file: str | None,
    context: tuple[str, ...],
    context_scope: bool,
    baseline: Path | None,
    write_baseline: Path | None,
    no_suppressions: bool,
    diff_base: str | None,
    warn_unused_suppressions: bool,
    progress: bool | None,
    kube_version: str | None,
    kustomize: bool | None,
    helm: bool,
    helm_values: tuple[str, ...],
    respect_gitignore: bool,
    include_test_data: bool | None,
    jobs: int,
    relation_scope: str,
    verbose: bool,
    quiet: bool,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    exit_non_zero_on_fix: bool = False,
    shard: str | None = None,
) -> int:
    """Check files and directories (default: the current directory); `-` reads stdin."""
    from policylint.config import ConfigError, configure
    from policylint.core.policies import PolicyFormatError
    from policylint.options import RunOptions, UsageError
    from policylint.progress import Progress, wanted
    from policylint.runner import check as run_check
    from policylint.suppressions import SuppressionError, apply_baseline, read_baseline
    from policylint.suppressions import write_baseline as record_baseline

    pairs = _pair_outputs(formats, outputs)
    if not pairs:
        pairs = [("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text", None)]
    shard_of = _shard(shard, fix or diff, write_baseline, diff_base) if shard is not None else None
    options = RunOptions(
        paths=paths or (".",),
        policy_dirs=policy_dirs,
        select=_split(select),
        ignore=_split(ignore),
        enable=_split(enable),
        profile=profile,
        fail_on=fail_on,
        excludes=excludes,
        default_namespace=default_namespace,
        context=context,
        context_scope=context_scope,
        baseline=baseline,
        use_suppressions=not no_suppressions,
        warn_unused_suppressions=warn_unused_suppressions,
        kube_version=kube_version,
        kustomize=kustomize,
        helm=helm,
        helm_values=helm_values,
        respect_gitignore=respect_gitignore,
        include_test_data=bool(include_test_data),
        jobs=jobs,
        relation_scope=relation_scope,
        verbose=verbose,
        quiet=quiet,
        shard=shard_of,
    )
    ctx = click.get_current_context()
    explicit = {name for name in ("fail_on", "profile", "default_namespace", "kube_version", "kustomize", "helm",
                                  "relation_scope", "include_test_data")
                if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}
    try:
        options, policy_set, warnings = configure(options, config_file, explicit)
    except (ConfigError, PolicyFormatError) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    if options.baseline is not None and baseline is None and not options.baseline.exists():
        # the configuration names a baseline not written yet: every finding is new, which is no false green
        if write_baseline is None:
            warnings.append(f"baseline {options.baseline} (from the configuration) does not exist yet: "
                            f"write it with --write-baseline {options.baseline}")
        options.baseline = None
    if not quiet:
        for warning in warnings:
            click.echo(f"policylint: warning: {warning}", err=True)
    meter = Progress(sys.stderr, interactive=progress is None) if not quiet and wanted(progress, sys.stderr) else None
    options.progress = meter
    options.unsafe_fixes = unsafe_fixes
    outcome = None
    try:
        if diff_base:  # first: an unknown REF or a shallow clone fails before the long run
            from policylint.diffbase import base_fingerprints, mark_base_matches

            base, fingerprints = base_fingerprints(options, policy_set, diff_base)
        if fix or diff:
            from policylint.fixing import run_fixes

            if "-" in options.paths:
                raise UsageError("--fix and --diff need files, not stdin")
            report, outcome = run_fixes(options, policy_set, write=not diff)
        else:
            # `[*]`, `fix`, `fixes`: resolved a file at a time in each unit, in its worker (policylint.runner._chunks)
            options.resolve_fixes = any(name in ("text", "json", "sarif") for name, _ in pairs)
            report = run_check(options, policy_set)
        if diff_base:
            report.findings = mark_base_matches(report.findings, fingerprints, base)
        if write_baseline is not None:
            count = record_baseline(write_baseline, report.findings, options.anchor)
            report.findings = apply_baseline(report.findings, read_baseline(write_baseline), str(write_baseline))
            if not quiet:
                click.echo(f"policylint: wrote {count} finding(s) to baseline {write_baseline}", err=True)
    except (UsageError, SuppressionError) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    finally:
        if meter is not None:
            meter.finish()
    if not quiet:
        from policylint.notices import notice_lines
        from policylint.reporters import inert  # notices name scanned paths: no control character reaches the log

        for line in notice_lines(report.skipped, verbose, escape=inert):
            click.echo(line, err=True)
        if verbose:
            for note in report.notes:
                click.echo(f"policylint: verbose: {inert(note)}", err=True)
        _tell_test_data(report.test_data, verbose)
    if outcome is not None:
        from policylint.fixing import summary, unified_diff

        if diff:
            click.echo(unified_diff(outcome), nl=False)
            click.echo(summary(outcome, report, unsafe_fixes, diff=True), err=True, nl=False)
            return EXIT_FINDINGS if outcome.changed else EXIT_OK
        report.fix_summary = summary(outcome, report, unsafe_fixes, diff=False)
    if any(name == "json" for name, _ in pairs):
        from policylint.runinfo import run_block

        report.run = run_block(report)
    for name, target in pairs:
        color = target is None and name == "text" and not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        _write_report(name, report, target, color)
    if not quiet and all(target is not None for _, target in pairs):
        from policylint.reporters.summary import summary_line

        written = ", ".join(f"{name} to {target}" for name, target in pairs)
        click.echo(f"{summary_line(report)} Wrote {written}.", err=True)
    if outcome is not None and outcome.changed and exit_non_zero_on_fix:
        return EXIT_FINDINGS
    return report.exit_code()


def _shard(text: str, fixing: bool, write_baseline: Path | None, diff_base: str | None) -> tuple[int, int]:
    """`--shard I/N` as (I, N); exit 2 when malformed or combined with what needs the whole run."""
    from policylint.shards import parse

    try:
        shard_of = parse(text)
    except ValueError as exc:
        _fail(str(exc))
        raise
    whole = [name for name, used in (("--fix/--diff", fixing), ("--write-baseline", write_baseline is not None),
                                     ("--diff-base", diff_base is not None)) if used]
    if whole:
        _fail(f"--shard cannot be combined with {', '.join(whole)}: they need the whole run")
    return shard_of


def _tell_test_data(skipped: Sequence[str], verbose: bool) -> None:
    """One line on stderr for the test data left out (each file with --verbose)."""
    if not skipped:
        return
    if verbose:
        from policylint.reporters import inert

        for path in skipped:
            click.echo(f"policylint: verbose: skipped test data: {inert(path)}", err=True)
    click.echo(f"policylint: notice: skipped {len(skipped)} test-data file(s) (testdata/, tests/, fixtures/, "
               "*.golden); --include-test-data checks them", err=True)


def _write_report(name: str, report: Any, target: str | None, color: bool) -> None:
    """Write one format as it is produced, to stdout or to the file `target` (exit 2 when it cannot be written)."""
    from policylint.reporters import write

    if target is None:
        write(name, report, sys.stdout, color=color)
        sys.stdout.flush()
        return
    try:
        with open(target, "w", encoding="utf-8") as handle:
            write(name, report, handle, color=color)
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}")


def _pair_outputs(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair each `--output` with a `--format`: the one just before it, else the next one without a file.

    `--format sarif --output results.sarif --format text` writes SARIF to the file and text to
    stdout; `-o report.txt` alone writes the default format (text) to the file. Click gathers
    repeated options separately, so the order comes from the raw arguments `main` keeps in the
    context; without them, outputs pair with formats by position. Two formats left for stdout
    would run together into one unparsable stream: that is a usage error naming the one to send
    to a file.
    """
    root = click.get_current_context().find_root()
    argv = root.obj.get("argv") if isinstance(root.obj, dict) else None
    order = _option_order(argv) if argv is not None else None
    if order is None or [value for kind, value in order if kind == "format"] != list(formats) \
            or sum(1 for kind, _ in order if kind == "output") != len(outputs):
        # no raw arguments, or an option value that looked like --format: trust click's parse, by position
        order = _interleave(formats, outputs)
    pairs: list[list[Any]] = []
    waiting: list[str] = []  # outputs given before any format that could take them
    for kind, value in order:
        if kind == "format":
            pairs.append([value, waiting.pop(0) if waiting else None])
        elif pairs and pairs[-1][1] is None:
            pairs[-1][1] = value
        else:
            waiting.append(value)
    if waiting:
        if pairs or len(waiting) > 1:
            _fail(f"--output {waiting[-1]} has no --format to write: give --format <name> before it")
        pairs.append([DEFAULT_FILE_FORMAT, waiting[0]])
    to_stdout = [name for name, target in pairs if target is None]
    if len(to_stdout) > 1:
        _fail(f"--format {' and --format '.join(to_stdout)} would all print to the terminal, run together into "
              f"one unreadable stream: only one format may print; write --format {to_stdout[0]} to a file "
              f"(--format {to_stdout[0]} --output FILE)")
    return [(name, target) for name, target in pairs]


def _interleave(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str]]:
    """Formats and outputs paired by position, as click gathered them."""
    order: list[tuple[str, str]] = []
    for index, name in enumerate(formats):
        order.append(("format", name))
        if index < len(outputs):
            order.append(("output", outputs[index]))
    order.extend(("output", target) for target in outputs[len(formats):])
    return order


def _option_order(argv: Sequence[str]) -> list[tuple[str, str]]:
    """The `--format` and `--output` options of the raw arguments, in the order given."""
    order: list[tuple[str, str]] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if token == "--":
            break
        if token in ("--format", "-o", "--output"):
            kind, value = ("format" if token == "--format" else "output"), argv[index] if index < len(argv) else ""
            index += 1
        elif token.startswith(("--format=", "--output=")):
            kind, value = token[2:].split("=", 1)
        elif token.startswith("-o") and len(token) > 2:
            kind, value = "output", token[2:]
        else:
            continue
        order.append((kind, value))
    return order


@cli.command()
@click.option("--path", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write .policylint.yaml into.")
def init(directory: Path) -> int:
    """Write a commented starter .policylint.yaml (never overwrites an existing file)."""
    from policylint.config import CONFIG_NAMES, ConfigError, write_starter

    target = directory / CONFIG_NAMES[0]
    try:
        write_starter(target)
    except (ConfigError, OSError) as exc:
        _fail(str(exc))
    click.echo(f"wrote {target}")
    return EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--framework", "framework_ids", multiple=True, required=True,
              help="Framework to report on (repeatable), e.g. cis-k8s, pss-restricted, guide.")
@click.option("--format", "fmt", type=click.Choice(("html", "markdown", "json")), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here (default: stdout).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Use this config file.")
@click.option("--profile", type=click.Choice(("default", "restricted")), default="default", show_default=True)
@click.option("--enable", multiple=True, help="Also run these off-by-default policies.")
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Extra folder of policies (repeatable).")
@click.option("--exclude", "excludes", multiple=True,
              help="Paths to skip, as in .gitignore, from the repository root (testdata: at any depth; /build: at the root). Repeatable.")
@click.option("--kube-version", help="Kubernetes version the manifests target (shown in the header).")
@click.option("--no-suppressions", is_flag=True, help="Ignore every suppression and baseline.")
@click.option("--results", "from_results", is_flag=True,
              help="PATHS are JSON results of `check --format json` runs (files or folders of *.json): one fleet report.")
def report(
    paths: tuple[str, ...],
    framework_ids: tuple[str, ...],
    fmt: str,
    output: str | None,
    config_file: str | None,
    profile: str,
    enable: tuple[str, ...],
    policy_dirs: tuple[Path, ...],
    excludes: tuple[str, ...],
    kube_version: str | None,
    no_suppressions: bool,
    from_results: bool,
) -> int:
    """Compliance report: every control of the chosen frameworks with its status and evidence."""
    from policylint.config import ConfigError, configure
    from policylint.core.policies import PolicyFormatError
    from policylint.frameworks import FrameworkError, load_frameworks
    from policylint.gitinfo import git_state
    from policylint.options import RunOptions, UsageError
    from policylint.reporters.audit import build_audit, render_json, render_markdown, report_date
    from policylint.runner import check as run_check

    try:
        frameworks = load_frameworks()
    except FrameworkError as exc:
        _fail(str(exc))
        raise
    for framework_id in _split(framework_ids):
        if framework_id not in frameworks:
            from policylint.core.suggest import did_you_mean

            _fail(f"unknown framework {framework_id!r}{did_you_mean(framework_id, frameworks, quote=False)}"
                  f"; known: {', '.join(sorted(frameworks))}")
    if from_results:
        return _fleet_report(paths, frameworks, _split(framework_ids), policy_dirs, fmt, output)
    options = RunOptions(paths=paths or (".",), policy_dirs=policy_dirs, enable=_split(enable), profile=profile,
                         excludes=excludes, kube_version=kube_version, use_suppressions=not no_suppressions,
                         kustomize=None)
    ctx = click.get_current_context()
    explicit = {name for name in ("profile", "kube_version")
                if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}
    try:
        options, policy_set, warnings = configure(options, config_file, explicit)
        run = run_check(options, policy_set)
    except (ConfigError, PolicyFormatError, UsageError) as exc:
        _fail(str(exc))
        raise
    for warning in warnings:
        click.echo(f"policylint: warning: {warning}", err=True)
    kube_text = options.kube_version or ""
    if not kube_text:
        from policylint.kinds.kubernetes.versions import target_version

        major, minor = target_version(None)
        kube_text = f"not set; checked against {major}.{minor} (the newest bundled)"
    audit = build_audit(run, frameworks, _split(framework_ids), git_state(list(options.paths)), report_date(), kube_text)
    if fmt == "html":
        from policylint.reporters.audit_html import render_html

        text = render_html(audit)
    else:
        text = render_markdown(audit) if fmt == "markdown" else render_json(audit)
    _emit(text, output)
    if output is not None:
        counts = [f"{result.framework.id}: {result.counts['fail']} failing of {len(result.controls)} controls"
                  for result in audit.frameworks]
        click.echo(f"policylint: wrote {output} ({'; '.join(counts)})", err=True)
    return EXIT_OK


def _fleet_report(paths: Sequence[str], frameworks: Any, framework_ids: list[str], policy_dirs: Sequence[Path],
                  fmt: str, output: str | None) -> int:
    """`report --results`: fold the JSON results one file at a time into one fleet report."""
    from policylint.fleet import build_fleet, result_files
    from policylint.frameworks import control_index
    from policylint.reporters import fleet as formats
    from policylint.reporters.audit import report_date

    if not paths:
        _fail("report --results needs JSON result files or folders of them")
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    files = result_files(paths)
    policy_set = _policy_set(policy_dirs)
    fleet = build_fleet(files, frameworks, framework_ids, control_index(policy_set), policy_set.digest, report_date())
    for file, reason in fleet.unreadable:
        click.echo(f"policylint: warning: {file}: {reason}", err=True)
    render = {"html": formats.render_html, "markdown": formats.render_markdown, "json": formats.render_json}[fmt]
    _emit(render(fleet), output)
    flagged = sum(1 for repository in fleet.repositories if repository.different_policy_set)
    if output is not None:
        click.echo(f"policylint: wrote {output} ({len(fleet.repositories)} results"
                   + (f"; {flagged} with a different policy set" if flagged else "") + ")", err=True)
    return EXIT_OK if fleet.repositories else EXIT_USAGE


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(("json", "sarif")), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def merge(files: tuple[str, ...], fmt: str, output: str | None) -> int:
    """Join the JSON outputs of `check --shard I/N` (all N) into what the unsharded check writes.

    Exit code: as the unsharded run's (0, or 1 with a failing finding); 2 when the files are not
    the N shards of one run.
    """
    from policylint.merge import MergeError
    from policylint.merge import merge as merge_shards

    try:
        if output is None:
            code = merge_shards(files, fmt, sys.stdout)
            sys.stdout.flush()
            return code
        partial = Path(output).with_name(Path(output).name + ".partial")
        with open(partial, "w", encoding="utf-8") as handle:
            code = merge_shards(files, fmt, handle)
        partial.replace(output)
        return code
    except MergeError as exc:
        if output is not None:
            Path(output).with_name(Path(output).name + ".partial").unlink(missing_ok=True)
        _fail(str(exc))
        raise
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
        raise


@cli.command()
@click.option("--output", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/policies"),
              show_default=True, help="Folder for the generated pages.")
@click.option("--check", "check_only", is_flag=True, help="Only report whether the pages are up to date (exit 1 if not).")
def docs(directory: Path, check_only: bool) -> int:
    """Write docs/policies/<id>.md and its README index from the built-in policies' metadata."""
    from policylint.docs import stale_pages, write_policy_docs

    if check_only:
        stale = stale_pages(directory)
        for name in stale:
            click.echo(f"stale: {directory / name}")
        return EXIT_FINDINGS if stale else EXIT_OK
    written = write_policy_docs(directory)
    click.echo(f"wrote {written} page(s) to {directory}")
    return EXIT_OK


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown", "json")), default="table", show_default=True)
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def rules(fmt: str, policy_dirs: tuple[Path, ...]) -> int:
    """List every policy: id, severity, file kind, default state and title."""
    from policylint.docs import rules_table
    policy_set = _policy_set(policy_dirs)
    click.echo(rules_table(list(policy_set), fmt), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("policy_id")
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def explain(policy_id: str, policy_dirs: tuple[Path, ...]) -> int:
    """Show a policy's rationale, remediation, examples and references."""
    from policylint.catalog import BUILTIN_FINDINGS
    from policylint.docs import explain_text

    if policy_id in BUILTIN_FINDINGS:
        from policylint.docs import explain_builtin

        click.echo(explain_builtin(policy_id), nl=False)
        return EXIT_OK
    policy_set = _policy_set(policy_dirs)
    policy = policy_set.get(policy_id)
    if policy is None:
        from policylint.core.suggest import did_you_mean

        known = [*policy_set.policies, *BUILTIN_FINDINGS]
        _fail(f"unknown policy {policy_id!r}{did_you_mean(policy_id, known, quote=False)}")
        raise AssertionError  # unreachable
    click.echo(explain_text(policy), nl=False)
    return EXIT_OK


@cli.command("test-policies")
@click.argument("directories", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
def test_policies(directories: tuple[Path, ...]) -> int:
    """Validate a folder of policies and run the fail/pass examples they embed.

    Rego files and CEL expressions are compiled (errors name the file and line) and Rego `test_*`
    rules are run; an admission, CEL or Rego policy without examples is listed as compiled OK.
    """
    from policylint.examples import check_policy_examples
    policy_set = _policy_set(directories, include_builtin=False)
    failed = passed = 0
    for problem in policy_set.problems:
        failed += 1
        click.echo(f"ERROR {problem.path}:{problem.line}: {problem.message}")
    if any(directory.rglob("*.rego") for directory in directories):
        from policylint.ownpolicies.testing import run_rego_tests_in

        rego_passed, rego_failed = run_rego_tests_in(directories, click.echo)
        passed, failed = passed + rego_passed, failed + rego_failed
    compiled = 0
    for policy in policy_set:
        if policy.language and not policy.examples:
            compiled += 1
            click.echo(f"OK {policy.id} ({policy.language}, {policy.source}:{policy.source_line}): "
                       "no examples; compiled OK")
            continue
        for result in check_policy_examples(policy):
            if result.ok:
                passed += 1
                click.echo(f"PASS {policy.id} {result.name}")
            else:
                failed += 1
                click.echo(f"FAIL {result.describe()}")
    untested = f", {compiled} compiled without examples" if compiled else ""
    click.echo(f"{passed} passed, {failed} failed{untested}")
    return EXIT_FINDINGS if failed or not (passed or compiled) else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for the console script and `python -m policylint`; returns the exit code.

    The whole command runs with the run's collector thresholds (policylint.gctuning): loading the
    policies and importing the modules a command needs make tens of thousands of objects with no
    cycles. Called as the program (no `argv`), everything left is frozen before the process exits,
    so the collection at interpreter shutdown does not traverse it (about 15 ms of a small run).
    """
    import gc

    from policylint.gctuning import fewer_collections

    with fewer_collections():
        code = _main(argv)
    if argv is None:
        gc.freeze()
    return code


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = list(argv) if argv is not None else sys.argv[1:]
        result: Any = cli.main(args=args, prog_name="policylint", standalone_mode=False, obj={"argv": args})
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return EXIT_USAGE
    except click.exceptions.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    except BrokenPipeError:  # `policylint check | head`
        return EXIT_OK
    return result if isinstance(result, int) else EXIT_OK
