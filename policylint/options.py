"""The options of one `check` run, shared by the runner and the stages it drives."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from policylint.core.records import field, record


class UsageError(Exception):
    """Bad options, configuration or policies: exit 2 with this message."""


@record
class RunOptions:
    """Everything a `check` run needs to know."""

    paths: Sequence[str] = (".",)
    policy_dirs: Sequence[Path] = ()
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    enable: Sequence[str] = ()
    profile: str = "default"
    fail_on: str = "low"
    severity_overrides: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, object]] = field(default_factory=dict)
    #: `--exclude` patterns (gitignore's meaning), relative to the repository root (policylint.discovery.Excludes).
    excludes: Sequence[str] = ()
    #: The configuration's `exclude:` patterns, relative to its folder.
    config_excludes: Sequence[str] = ()
    default_namespace: str = "default"
    kube_version: str | None = None
    #: Render folders holding a kustomization.yaml (kubectl kustomize / kustomize build) and check the output;
    #: None (the command line's default): render when a renderer is available, else say once how to get one.
    kustomize: bool | None = False
    #: Render Helm charts (folders holding Chart.yaml) when the Helm library is installed (policylint.kinds.kubernetes.helm).
    helm: bool = True
    #: Values files for every chart (`--helm-values`, then the configuration's `helm: {values: ...}`).
    helm_values: Sequence[str] = ()
    helm_release_name: str = "release-name"
    #: The release namespace (default: `--namespace`).
    helm_namespace: str | None = None
    #: Leave out what .gitignore files ignore while walking folders.
    respect_gitignore: bool = True
    #: Also check test data found while walking folders (policylint.testdata): `--include-test-data`.
    include_test_data: bool = False
    stdin_text: str | None = None
    #: Path -> bytes read instead of the file on disk (`--diff` checks its fixed texts without writing them).
    overlay: dict[str, bytes] = field(default_factory=dict)
    #: `--unsafe-fixes`: fixes marked unsafe count as applicable (shown as `[*]`, applied by --fix).
    unsafe_fixes: bool = False
    #: Resolve each finding's fix plan into edits while its unit is loaded (in the worker that did
    #: it), for reporters that show fixes (policylint.fixing.Resolver); else plans stay plans.
    resolve_fixes: bool = False
    #: Files loaded only so relations can see them; findings are reported for `paths` alone.
    context: Sequence[str] = ()
    #: With files named alone and no `context`, load the rest of their relation scope as context
    #: (policylint.runner.scope_context); `--no-context-scope` turns it off.
    context_scope: bool = True
    #: Config-file `ignore:` entries (policylint.config.IgnoreRule).
    ignore_rules: Sequence[Any] = ()
    use_suppressions: bool = True
    warn_unused_suppressions: bool = False
    baseline: Path | None = None
    #: Called as progress(done, total, what) while loading (see policylint.progress).
    progress: Callable[[int, int, str], None] | None = None
    #: Worker processes for large sets (0: one per CPU; 1: never). See policylint.parallel.
    jobs: int = 0
    #: Which documents relational policies join: "folder" (folder tree, kustomizations) or "run".
    relation_scope: str = "folder"
    #: Collect notes for --verbose (e.g. references by name that no finding may rest on).
    verbose: bool = False
    #: The folder of the configuration file in use (None without one).
    config_dir: Path | None = None
    #: The folder fingerprints and baselines name paths from: the git top level, else the
    #: configuration file's folder, else the working folder (set by the runner).
    anchor: str = ""
    #: Print findings and errors only (`-q`): no notices, warnings, progress or summary line.
    quiet: bool = False
    #: Lines libraries wrote below Python (the Helm SDK's Go log, policylint.notices): shown with --verbose.
    library_log: list[str] = field(default_factory=list)
    #: `check --shard I/N`: (I, N), this run evaluates only shard I's units (policylint.shards).
    shard: tuple[int, int] | None = None
