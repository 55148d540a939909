"""GitLab CI code fixes (policylint.core.fixes)."""

from __future__ import annotations

import yaml

from policylint.core.fixes import Edit, FixContext, Unfixable
from policylint.core.kinds import fixer

#: Top-level keywords GitLab deprecated in favour of the same keyword under `default:`.
GLOBAL_KEYWORDS = ("image", "services", "cache", "before_script", "after_script")


@fixer("gitlab-ci", "global-to-default")
def global_to_default(context: FixContext) -> list[Edit]:
    """Move every deprecated top-level keyword of the file under `default:` in one fix (so findings
    on several of them make the same edits): into the existing `default:`, else a new one written
    where the first of them was. Lines move whole, indented one level more; comments between stay."""
    violation = context.plan.violation_pointer
    if len(violation) != 1 or violation[0] not in GLOBAL_KEYWORDS:
        raise Unfixable("only/except have no mechanical rules: equivalent; rewrite them by hand")
    target = context.yaml
    root = target.root
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise Unfixable("the pipeline is not a block mapping")
    source = target.source
    text = source.text
    step = target.indent_step()
    entries = []
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value in GLOBAL_KEYWORDS:
            if not target.within(value, root, key):
                raise Unfixable(f"{key.value} is an alias: move it by hand")
            begin = source.line_start(target.start(key))
            end = target.last_end(value)
            stop = end if text[end - 1 : end] == "\n" else min(source.line_end(end) + 1, len(text))
            entries.append((key.value, begin, stop))
    if not entries:
        raise Unfixable("no deprecated global keyword left")
    moved = ""
    for _, begin, stop in entries:
        block = text[begin:stop]
        if not block.endswith("\n"):
            block += "\n"
        moved += "".join((" " * step + line) if line.strip() else line for line in block.splitlines(keepends=True))
    default = target.pair(root, "default")
    if default is None:
        first = entries[0]
        edits = [Edit(first[1], first[2], "default:\n" + moved)]
        edits += [Edit(begin, stop, "") for _, begin, stop in entries[1:]]
        return _keep_final_newline(text, edits)
    key, mapping = default
    if not isinstance(mapping, yaml.MappingNode) or mapping.flow_style or not mapping.value:
        raise Unfixable("default: is not a block mapping: move the keywords by hand")
    clash = [name for name, _, _ in entries if target.pair(mapping, name) is not None]
    if clash:
        raise Unfixable(f"default: already sets {', '.join(clash)}: decide which one stays")
    indent = mapping.value[0][0].start_mark.column
    if indent != key.start_mark.column + step:
        moved = "".join((" " * (indent - step) + line) if line.strip() else line
                        for line in moved.splitlines(keepends=True))  # follow default:'s own indentation
    end = target.last_end(mapping)
    at = end if text[end - 1 : end] == "\n" else min(source.line_end(end) + 1, len(text))
    prefix = "" if text[at - 1 : at] == "\n" or at == 0 else "\n"
    edits = [Edit(begin, stop, "") for _, begin, stop in entries] + [Edit(at, at, prefix + moved)]
    return _keep_final_newline(text, edits)


def _keep_final_newline(text: str, edits: list[Edit]) -> list[Edit]:
    """A file that ended without a line break still does."""
    if text.endswith("\n"):
        return edits
    last = max(edits, key=lambda edit: edit.start)
    if last.end >= len(text) and last.content.endswith("\n"):
        edits = [edit if edit is not last else Edit(edit.start, edit.end, edit.content[:-1]) for edit in edits]
    return edits
