"""Command line: `policylint check|rules|explain|test-policies`.

Commands parse options, call the runner and hand the report to reporters. Heavy modules are
imported inside commands so `policylint --version` and the pre-commit hook start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from policylint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "sarif")


def _fail(message: str) -> None:
    click.echo(f"policylint: error: {message}", err=True)
    raise SystemExit(EXIT_USAGE)


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
@click.option("--select", multiple=True, help="Run only these policy ids or domains (k8s, docker, compose, gha).")
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
) -> int:
    """Check files and directories (default: the current directory); `-` reads stdin."""
    from policylint.reporters import render
    from policylint.runner import RunOptions, UsageError
    from policylint.runner import check as run_check

    if len(outputs) > len(formats):
        _fail("each --output needs a --format before it")
    formats = formats or ("text",)
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
    )
    try:
        report = run_check(options)
    except UsageError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    for item in report.skipped:
        click.echo(f"policylint: notice: {item.path}: {item.reason}", err=True)
    for position, name in enumerate(formats):
        target = outputs[position] if position < len(outputs) else None
        color = target is None and name == "text" and not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render(name, report, color=color)
        if target is None:
            click.echo(text, nl=False)
        else:
            try:
                Path(target).write_text(text, encoding="utf-8")
            except OSError as exc:
                _fail(f"cannot write {target}: {exc.strerror or exc}")
    return report.exit_code()


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown", "json")), default="table", show_default=True)
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def rules(fmt: str, policy_dirs: tuple[Path, ...]) -> int:
    """List every policy: id, severity, file kind, default state and title."""
    from policylint.docs import rules_table
    from policylint.policies import PolicyFormatError, load_policies

    try:
        policy_set = load_policies(policy_dirs)
    except PolicyFormatError as exc:
        _fail(str(exc))
        raise
    click.echo(rules_table(list(policy_set), fmt), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("policy_id")
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path))
def explain(policy_id: str, policy_dirs: tuple[Path, ...]) -> int:
    """Show a policy's rationale, remediation, examples and references."""
    from difflib import get_close_matches

    from policylint.docs import explain_text
    from policylint.policies import PolicyFormatError, load_policies

    try:
        policy_set = load_policies(policy_dirs)
    except PolicyFormatError as exc:
        _fail(str(exc))
        raise
    policy = policy_set.get(policy_id)
    if policy is None:
        hint = get_close_matches(policy_id, list(policy_set.policies), n=1)
        _fail(f"unknown policy {policy_id!r}" + (f" (did you mean {hint[0]}?)" if hint else ""))
        raise AssertionError  # unreachable
    click.echo(explain_text(policy), nl=False)
    return EXIT_OK


@cli.command("test-policies")
@click.argument("directories", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
def test_policies(directories: tuple[Path, ...]) -> int:
    """Validate a folder of policies and run the fail/pass examples they embed."""
    from policylint.examples import check_policy_examples
    from policylint.policies import PolicyFormatError, load_policies

    try:
        policy_set = load_policies(directories, include_builtin=False)
    except PolicyFormatError as exc:
        _fail(str(exc))
        raise
    failed = passed = 0
    for policy in policy_set:
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
    """Entry point for the console script and `python -m policylint`; returns the exit code."""
    try:
        result: Any = cli.main(args=list(argv) if argv is not None else None, prog_name="policylint",
                               standalone_mode=False)
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
