"""Check the system packages the project needs and install missing ones when allowed.

Runs with the system Python before the virtual environment exists, so it uses only the
standard library. On Debian/Ubuntu as root (or with passwordless sudo) it installs with
apt-get and says so; otherwise it stops with one message naming exactly what to install.
The PostgreSQL server and PostGIS are handled by devdb.py, and only when no DATABASE_URL is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# executable -> Debian package that provides it
REQUIRED = {
    "node": "nodejs",
    "npm": "npm",
    "chromium": "chromium",  # end-to-end tests drive the system browser
    "ogrinfo": "gdal-bin",  # the OGC API Features test reads the API with GDAL
    "fc-list": "fontconfig",  # the printable tour sheet (WeasyPrint) finds fonts with it
}

# shared library (as ctypes.util.find_library names it) -> Debian package that provides it
REQUIRED_LIBRARIES = {
    # WeasyPrint lays out text with Pango; DejaVu is the sheet's font
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
}
REQUIRED_FILES = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf": "fonts-dejavu-core"}


def _apt_prefix() -> list[str] | None:
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        ok = subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
        return ["sudo", "-n"] if ok else None
    return None


def main() -> int:
    from ctypes.util import find_library

    missing = sorted(
        {pkg for exe, pkg in REQUIRED.items() if shutil.which(exe) is None}
        | {pkg for lib, pkg in REQUIRED_LIBRARIES.items() if find_library(lib) is None}
        | {pkg for path, pkg in REQUIRED_FILES.items() if not os.path.exists(path)}
    )
    if not missing:
        return 0
    prefix = _apt_prefix()
    if prefix is None:
        print(
            "Missing system packages. Please install them and run the command again:\n"
            f"    sudo apt-get install {' '.join(missing)}",
            file=sys.stderr,
        )
        return 1
    print(f"[system-deps] installing {' '.join(missing)} with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
