"""The house rules of CONVENTIONS.md, checked on the code itself: imports run one way (view →
service → workflow/models), no feature imports another's views, no import hides inside a
function, no import cycle, and the life of a case is decided in cases/workflow.py alone."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "portal"
FEATURES = {"organisation", "accounts", "admin", "cases", "consultation", "feedback",
            "notifications", "open311", "personal_data", "workdays"}  # fmt: skip
# Where an import inside a function is the point: the app factory wires everything together
# (and the CLI and the demo load what a command needs only when it runs).
MAY_IMPORT_LATE = {"portal", "portal.cli", "portal.demo", "portal.cases.demo",
                   "portal.consultation.demo"}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _target(node: ast.ImportFrom | ast.Import) -> list[str]:
    """The portal modules an import statement loads."""
    found = []
    if isinstance(node, ast.Import):
        found = [a.name for a in node.names]
    elif node.module:
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            found.append(full if full in MODULES else node.module)
    return [name for name in found if name in MODULES]


def _imports(name: str):
    """(module imported, line, whether at module level) for each portal import of a module."""
    tree = ast.parse(MODULES[name].read_text(), str(MODULES[name]))
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _target(node):
                yield target, node.lineno, id(node) in top


def _feature(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def test_no_import_hides_inside_a_function():
    late = [
        f"{name}:{line} imports {target}"
        for name in MODULES
        if name not in MAY_IMPORT_LATE
        for target, line, at_top in _imports(name)
        if not at_top
    ]
    assert late == []


def test_no_feature_imports_another_features_views():
    crossing = [
        f"{name} imports {target}"
        for name in MODULES
        for target, _line, _top in _imports(name)
        if target.endswith(".views")
        and _feature(target) is not None
        and _feature(name) is not None
        and _feature(name) != _feature(target)
    ]
    assert crossing == []


def test_below_the_views_nothing_imports_a_view():
    # Services, queries, models and the workflow never reach up to a page.
    upward = [
        f"{name} imports {target}"
        for name in MODULES
        if not name.endswith(".views") and name not in {*MAY_IMPORT_LATE, "portal.web"}
        for target, _line, _top in _imports(name)
        if target.endswith(".views") or target == "portal.web"
    ]
    assert upward == []


def _cycle() -> list[str]:
    graph = {
        name: sorted({t for t, _line, top in _imports(name) if top and t != name})
        for name in MODULES
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_module_imports_have_no_cycle():
    assert _cycle() == []


def test_the_checks_see_the_whole_package():
    assert {"portal.cases.workflow", "portal.cases.service", "portal.cases.views"} <= set(MODULES)
    assert any(True for _ in _imports("portal.cases.views"))


STATE_LITERAL = re.compile(r"\bState\.(FILED|ACCEPTED|IN_PROGRESS|CONSULTING|WAITING|RESOLVED|"
                           r"CLOSED|REJECTED|MERGED|WITHDRAWN)\b")  # fmt: skip
# The names of the states (labels) and the demo's plan of how far each demo case goes are data,
# not decisions about a case's life.
STATES_AS_DATA = {"portal.cases.workflow", "portal.labels", "portal.cases.demo"}


@pytest.mark.parametrize("name", sorted(set(MODULES) - STATES_AS_DATA))
def test_only_the_workflow_decides_by_state(name):
    assert STATE_LITERAL.findall(MODULES[name].read_text()) == []
