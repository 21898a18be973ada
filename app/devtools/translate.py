"""Keep the German catalogue complete.

    python -m app.devtools.translate              # extract, merge, list untranslated strings
    python -m app.devtools.translate FILE.json    # ... and fill in {"English msgid": "Deutsch"}

For plural messages give a list: {"%(num)d stop": ["%(num)d Halt", "%(num)d Halte"]}.
Source strings are English, so only German needs a catalogue. The catalogue is rewritten
under a file lock so several people (or scripts) can run this at once.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
PYBABEL = Path(sys.executable).with_name("pybabel")


def extract_and_merge() -> None:
    subprocess.run(
        [str(PYBABEL), "extract", "-F", "app/babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "--omit-header", "-o", str(POT), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    subprocess.run(
        [str(PYBABEL), "update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "de",
         "--no-fuzzy-matching", "--ignore-obsolete", "--init-missing"],
        cwd=ROOT, check=True, capture_output=True,
    )


def untranslated(catalog) -> list[str]:
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, (list, tuple)) else [msg.string]
        if not all(strings):
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def main(argv: list[str]) -> int:
    with open(TRANSLATIONS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        extract_and_merge()
        with PO.open("rb") as fh:
            catalog = read_po(fh, locale="de")
        if len(argv) > 1:
            given = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
            for msg in catalog:
                key = msg.id if isinstance(msg.id, str) else msg.id[0]
                if key in given:
                    value = given[key]
                    msg.string = tuple(value) if isinstance(msg.id, (list, tuple)) else value
        with PO.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)
        missing = untranslated(catalog)
    for m in missing:
        print(f"untranslated: {m}")
    print(f"{len(catalog)} messages, {len(missing)} untranslated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
