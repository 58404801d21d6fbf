"""`freeze -v`: why each distribution and module is in the binary, and what was left out.

Every line comes from what the analysis recorded while it walked the imports (the module's
reason: the file and line of the import that first reached it, or the hint that asked for
it), never from a guess made afterwards. A distribution's own modules come in because the
distribution is bundled whole (see analyzer/thirdparty_rules.py), so they are counted under
it rather than listed one by one; the line of the distribution says which import brought it.
"""

from __future__ import annotations

import re
from collections import Counter

from freezer.analysis import Analysis, BundledModule
from freezer.progress import Progress

_WHOLE = re.compile(r" \((?:whole distribution|test suite), ")


def member_of_whole(mod: BundledModule) -> bool:
    """A module bundled because its distribution is (not itself imported first)."""
    return bool(_WHOLE.search(mod.reason))


_SITE = re.compile(r"^/\S*?/(?:site|dist)-packages/")


def short_path(reason: str, stdlib: str = "") -> str:
    """A reason's file as python's own messages would be read: relative to site-packages
    (requests/adapters.py:17) or to the stdlib's directory, where it lies in either."""
    if stdlib and reason.startswith(stdlib.rstrip("/") + "/"):
        return reason[len(stdlib.rstrip("/")) + 1:]
    return _SITE.sub("", reason)


def reason_text(mod: BundledModule, stdlib: str = "") -> str:
    """A module's reason as the user reads it."""
    return reason_words(mod.reason, stdlib)


def reason_words(reason: str, stdlib: str = "") -> str:
    """A reason the analysis recorded ("app.py:3", "--trace:0", "start-up") as the user reads
    it, for -v and for each step of `freeze why`'s chains, its file relative to
    site-packages or the standard library (short_path)."""
    reason = short_path(re.sub(r":0$", "", reason), stdlib)
    if reason in ("--include-module", "--collect", "--trace"):
        return f"asked for by {reason}"
    if reason == "start-up":
        return "imported by CPython's or freezer's start-up"
    if reason.startswith("standard library"):
        return "standard library, carried whole"
    if reason == "command line":
        return "the entry point given on the command line"
    return f"imported at {reason}" if re.search(r":\d+$", reason) else reason


def dist_reason(analysis: Analysis, bundled_for: str) -> str:
    """A distribution's reason, with the import behind it: "for rich.console (imported at
    app.py:2)"."""
    if bundled_for.startswith("for "):
        name = bundled_for[4:]
        mod = next((m for m in analysis.modules if m.name == name), None)
        if mod is not None and not member_of_whole(mod):
            return f"{bundled_for} ({reason_text(mod, analysis.target.get('stdlib', ''))})"
    return bundled_for or "?"


def explain(progress: Progress, analysis: Analysis) -> None:
    """Print -v's decisions."""
    stdlib = analysis.target.get("stdlib", "")
    members = Counter(m.dist for m in analysis.modules if m.dist and member_of_whole(m))
    for dist in analysis.dists:
        progress.decision(f"distribution {dist.name} {dist.version}: "
                          f"{dist_reason(analysis, dist.bundled_for)}, bundled whole "
                          f"({members.get(dist.name, 0)} more modules)")
    for mod in analysis.modules:
        if mod.origin == "runtime" or member_of_whole(mod):
            continue
        owner = mod.dist or mod.origin
        progress.decision(f"module {mod.name} ({owner}): {reason_text(mod, stdlib)}")
    if analysis.cold:
        count = sum(1 for a in analysis.cold if a.endswith(".py"))
        progress.decision(f"{count} more standard-library modules carried as sources, "
                          "compiled on first import: no import of them was seen, but python "
                          "could import them (--pruned leaves them out)")
    for item in analysis.left_out:
        at = f" (imported at {short_path(item.at, stdlib)})" if item.at else ""
        progress.decision(f"left out {item.name}: {item.why}{at}")
    for name in analysis.dropped:
        progress.decision(f"left out {name}: --pruned, no import of it was seen")
