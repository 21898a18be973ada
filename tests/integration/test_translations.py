"""Every user-visible string has a German translation (English is the source language)."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import ROOT


def test_every_string_has_german(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "app/babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    po_path = ROOT / "app" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    have = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        have[key] = all(strings) and not m.fuzzy
    missing = sorted(k for k in wanted if not have.get(k))
    assert missing == [], "run `python -m app.devtools.translate` and add German for: " + repr(missing)
