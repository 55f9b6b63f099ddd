"""Debian's Chromium, as the browser tests and bench/page_weight.py start it.

The flags keep it headless and quiet: no sandbox (root in CI), no GPU, and none of the background
connections to Google's services that this machine's closed network would refuse.
"""

import os
import shutil

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


def chromium_path() -> str | None:
    return shutil.which(CHROMIUM)


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
