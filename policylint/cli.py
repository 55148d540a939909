"""Command line: `policylint check|rules|explain|test-policies`.

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


def _fail(message: str) -> None:
    click.echo(f"policylint: error: {message}", err=True)
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
@click.option("--exclude", "excludes", multiple=True, help="Glob of paths to skip (repeatable).")
@click.option("--no-color", is_flag=True, help="Never colour the text output.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Use this configuration file instead of the nearest .policylint.yaml.")
@click.option("--context", "context", multiple=True, type=click.Path(exists=True),
              help="Also load these paths for relational policies, reporting only on PATHS (repeatable).")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record today's findings in this baseline file (they then count as suppressed).")
@click.option("--no-suppressions", is_flag=True, help="Ignore every suppression and baseline (for audits).")
@click.option("--warn-unused-suppressions", is_flag=True, help="Report suppressions that match no finding.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress line on stderr (default: on an interactive terminal, never in CI).")
@click.option("--kube-version", default=None,
              help="Kubernetes version to validate schemas and API deprecations against (default: newest bundled).")
@click.option("--kustomize/--no-kustomize", default=False,
              help="Render folders holding a kustomization.yaml (kubectl kustomize or kustomize build) and check the output.")
@click.option("--helm/--no-helm", default=True,
              help="Render Helm charts (folders holding Chart.yaml) and check what they render (needs policylint[helm]).")
@click.option("--helm-values", "helm_values", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Values file for every chart rendered (repeatable, applied in order after the chart's values.yaml).")
@click.option("--respect-gitignore/--no-respect-gitignore", default=True,
              help="Leave out files that .gitignore (and .git/info/exclude) ignore while walking folders.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
              help="Worker processes for large file sets (default 0: one per CPU; 1: never). Output is identical.")
@click.option("--relation-scope", type=click.Choice(("folder", "run")), default="folder", show_default=True,
              help="Which files relational policies join: one folder tree and its kustomizations, or the whole run.")
@click.option("-v", "--verbose", is_flag=True, help="Explain on stderr what relations could not judge (ambiguous references).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place, check again, report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (and mark as fixable) fixes that can change behaviour.")
@click.option("--diff", is_flag=True, help="Print a unified diff of what --fix would change; write nothing (exit 1 if any).")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With --fix: exit 1 when a file was changed, even if nothing remains.")
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
    baseline: Path | None,
    write_baseline: Path | None,
    no_suppressions: bool,
    warn_unused_suppressions: bool,
    progress: bool | None,
    kube_version: str | None,
    kustomize: bool,
    helm: bool,
    helm_values: tuple[str, ...],
    respect_gitignore: bool,
    jobs: int,
    relation_scope: str,
    verbose: bool,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    exit_non_zero_on_fix: bool = False,
) -> int:
    """Check files and directories (default: the current directory); `-` reads stdin."""
    from policylint.config import ConfigError, configure
    from policylint.core.policies import PolicyFormatError
    from policylint.options import RunOptions, UsageError
    from policylint.progress import Progress, wanted
    from policylint.reporters import render
    from policylint.runner import check as run_check
    from policylint.suppressions import SuppressionError, apply_baseline, read_baseline
    from policylint.suppressions import write_baseline as record_baseline

    pairs = _pair_outputs(formats, outputs)
    if not pairs:
        pairs = [("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text", None)]
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
        baseline=baseline,
        use_suppressions=not no_suppressions,
        warn_unused_suppressions=warn_unused_suppressions,
        kube_version=kube_version,
        kustomize=kustomize,
        helm=helm,
        helm_values=helm_values,
        respect_gitignore=respect_gitignore,
        jobs=jobs,
        relation_scope=relation_scope,
        verbose=verbose,
    )
    ctx = click.get_current_context()
    explicit = {name for name in ("fail_on", "profile", "default_namespace", "kube_version", "kustomize", "helm",
                                  "relation_scope")
                if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}
    try:
        options, policy_set, warnings = configure(options, config_file, explicit)
    except (ConfigError, PolicyFormatError) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    for warning in warnings:
        click.echo(f"policylint: warning: {warning}", err=True)
    meter = Progress(sys.stderr, interactive=progress is None) if wanted(progress, sys.stderr) else None
    options.progress = meter
    options.unsafe_fixes = unsafe_fixes
    outcome = None
    try:
        if fix or diff:
            from policylint.fixing import run_fixes

            if "-" in options.paths:
                raise UsageError("--fix and --diff need files, not stdin")
            report, outcome = run_fixes(options, policy_set, write=not diff)
        else:
            report = run_check(options, policy_set)
            shows_fixes = any(name in ("text", "json", "sarif") for name, _ in pairs)  # `[*]`, `fix`, `fixes`
            if shows_fixes and any(finding.fix is not None for finding in report.findings):
                from policylint.fixing import resolve_findings

                resolve_findings(report)
        if write_baseline is not None:
            count = record_baseline(write_baseline, report.findings)
            report.findings = apply_baseline(report.findings, read_baseline(write_baseline), str(write_baseline))
            click.echo(f"policylint: wrote {count} finding(s) to baseline {write_baseline}", err=True)
    except (UsageError, SuppressionError) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    finally:
        if meter is not None:
            meter.finish()
    from policylint.reporters import inert  # notices name scanned paths: no control character reaches the log

    for item in report.skipped:
        click.echo(f"policylint: notice: {inert(item.path)}: {inert(item.reason)}", err=True)
    for note in report.notes:
        click.echo(f"policylint: verbose: {inert(note)}", err=True)
    if outcome is not None:
        from policylint.fixing import summary, unified_diff

        if diff:
            click.echo(unified_diff(outcome), nl=False)
            click.echo(summary(outcome, report, unsafe_fixes, diff=True), err=True, nl=False)
            return EXIT_FINDINGS if outcome.changed else EXIT_OK
        report.fix_summary = summary(outcome, report, unsafe_fixes, diff=False)
    for name, target in pairs:
        color = target is None and name == "text" and not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render(name, report, color=color)
        _emit(text, target)
    if outcome is not None and outcome.changed and exit_non_zero_on_fix:
        return EXIT_FINDINGS
    return report.exit_code()


def _pair_outputs(formats: tuple[str, ...], outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair each `--output` with the `--format` given just before it on the command line.

    `--format sarif --output results.sarif --format text` writes SARIF to the file and text to
    stdout. Click gathers repeated options separately, so the order comes from the raw arguments
    `main` keeps in the context; without them, outputs pair with formats by position.
    """
    root = click.get_current_context().find_root()
    argv = root.obj.get("argv") if isinstance(root.obj, dict) else None
    positional = [(name, outputs[i] if i < len(outputs) else None) for i, name in enumerate(formats)]
    if argv is None:
        if len(outputs) > len(formats):
            _fail("each --output needs a --format before it")
        return positional
    pairs: list[list[Any]] = []
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
        if kind == "format":
            pairs.append([value, None])
        elif not pairs or pairs[-1][1] is not None:
            _fail("each --output needs a --format before it")
        else:
            pairs[-1][1] = value
    if [name for name, _ in pairs] != list(formats) or sum(1 for _, out in pairs if out) != len(outputs):
        return positional  # an option value that looked like --format: trust click's parse
    return [(name, target) for name, target in pairs]


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
@click.option("--exclude", "excludes", multiple=True, help="Glob of paths to skip (repeatable).")
@click.option("--kube-version", help="Kubernetes version the manifests target (shown in the header).")
@click.option("--no-suppressions", is_flag=True, help="Ignore every suppression and baseline.")
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
    options = RunOptions(paths=paths or (".",), policy_dirs=policy_dirs, enable=_split(enable), profile=profile,
                         excludes=excludes, kube_version=kube_version, use_suppressions=not no_suppressions)
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
    from policylint.docs import explain_text
    policy_set = _policy_set(policy_dirs)
    policy = policy_set.get(policy_id)
    if policy is None:
        from policylint.core.suggest import did_you_mean

        _fail(f"unknown policy {policy_id!r}{did_you_mean(policy_id, policy_set.policies, quote=False)}")
        raise AssertionError  # unreachable
    click.echo(explain_text(policy), nl=False)
    return EXIT_OK


@cli.command("test-policies")
@click.argument("directories", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
def test_policies(directories: tuple[Path, ...]) -> int:
    """Validate a folder of policies and run the fail/pass examples they embed.

    Rego files and CEL expressions are compiled (errors name the file and line) and Rego `test_*`
    rules are run; a CEL or Rego policy without examples is listed as untested.
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
    for policy in policy_set:
        if policy.language and not policy.examples:
            click.echo(f"UNTESTED {policy.id} ({policy.language}, {policy.source}:{policy.source_line})")
            continue
        for result in check_policy_examples(policy):
            if result.ok:
                passed += 1
                click.echo(f"PASS {policy.id} {result.name}")
            else:
                failed += 1
                click.echo(f"FAIL {result.describe()}")
    click.echo(f"{passed} passed, {failed} failed")
    return EXIT_FINDINGS if failed or not passed else EXIT_OK


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
