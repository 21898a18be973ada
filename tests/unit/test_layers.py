"""The layers' import contracts (pyproject.toml, import-linter) hold: geo/ is pure, models
know no services, services know no pages, API or input schemas, the input layer imports no
pages or API, pages and API do not import each other, no cycles between services."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# What makes a module depend on an HTTP request being handled; services run from the command
# line and the job queue too, so they are handed what they need instead.
REQUEST_HELPERS = {"request", "url_for", "render_template", "render_template_string",
                   "has_request_context", "test_request_context", "session", "redirect",
                   "flash", "make_response", "jsonify", "abort"}


def _request_helpers_imported(path: Path, root: Path = ROOT) -> list[str]:
    name = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            found += [f"{name}:{node.lineno} {a.name}" for a in node.names
                      if a.name in REQUEST_HELPERS]
        if isinstance(node, ast.Attribute) and node.attr == "test_request_context":
            found.append(f"{name}:{node.lineno} test_request_context")
    return found


def test_services_use_no_request_helpers():
    found = [hit for path in sorted((ROOT / "app" / "services").rglob("*.py"))
             for hit in _request_helpers_imported(path)]
    assert found == []


def test_the_request_helper_check_sees_a_violation(tmp_path):
    bad = tmp_path / "probe.py"
    bad.write_text("from flask import current_app, url_for\n\n"
                   "with current_app.test_request_context():\n    pass\n", encoding="utf-8")
    assert _request_helpers_imported(bad, tmp_path) == [
        "probe.py:1 url_for", "probe.py:3 test_request_context"]
