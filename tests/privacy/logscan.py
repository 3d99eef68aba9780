"""Every log record of the test run is kept and scanned at the end for phone numbers and USCCs.

Wired into ``tests/conftest.py``: the session fixture below collects what the root logger
emits (the same records the production handlers would write), and ``personal_data_in_logs``
fails the run if any record holds a mobile number or a valid 统一社会信用代码.
"""

from __future__ import annotations

import logging
import re

import pytest
from stdnum.cn import uscc as uscc_check

# Not after a dot (a decimal fraction such as a task runtime) and not inside a run of letters,
# digits and hyphens (a task UUID such as ...-4b13805381234...): neither is a phone number.
PHONE_RE = re.compile(r"(?<![0-9A-Za-z.\-])1[3-9]\d{9}(?![0-9A-Za-z\-])")
USCC_RE = re.compile(
    r"(?<![0-9A-Za-z.\-])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z\-])"
)


def personal_data_in(text: str) -> list[str]:
    """The phone numbers and valid USCCs found in ``text``."""
    found = PHONE_RE.findall(text)
    found += [code for code in USCC_RE.findall(text) if uscc_check.is_valid(code)]
    return found


class CollectingHandler(logging.Handler):
    """Keeps the formatted text (with any traceback) of every record it sees."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
        except Exception:
            self.handleError(record)


_HANDLER = CollectingHandler()


@pytest.fixture(scope="session", autouse=True)
def personal_data_log_capture():
    """Attach the collecting handler to the root logger for the whole session."""
    root = logging.getLogger()
    root.addHandler(_HANDLER)
    yield _HANDLER
    root.removeHandler(_HANDLER)


def _mask(value: str) -> str:
    return value[:3] + "****" + value[-4:]


def personal_data_in_logs(session: pytest.Session) -> None:
    """At the end of the run: fail it if any log line held personal data (shown masked)."""
    leaks = [(text, found) for text in _HANDLER.texts if (found := personal_data_in(text))]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not leaks:
        if reporter and _HANDLER.texts:
            reporter.write_line(
                f"log scan: {len(_HANDLER.texts)} log records, no phone number or USCC"
            )
        return
    if reporter:
        reporter.write_line(
            f"log scan: {len(leaks)} log record(s) hold personal data (phone/USCC):", red=True
        )
        for text, found in leaks[:20]:
            first_line = text.splitlines()[0][:160]
            for value in found:
                first_line = first_line.replace(value, _mask(value))
            reporter.write_line(f"  {first_line}", red=True)
    session.exitstatus = 1
