"""Log hygiene: API keys never reach a log.

An Open311 client sends its key as the ``api_key`` parameter of the query string (the
GeoReport v2 spec), and the development server logs every request line; an error report
may quote a header. ``RedactSecrets`` sits on the desk's log handler and blanks, in the
rendered message of every record, what looks like a key: the value of ``api_key=``,
whatever follows ``Token `` in a header, and any ``mcu_…`` key of ours.
"""

import logging
import re

REDACTED = "[скрыто]"

_PATTERNS = (
    re.compile(r"(?i)(\bapi_key=)[^&\s\"']+"),
    re.compile(r"(?i)(\bToken\s+)[A-Za-z0-9_\-]{20,}"),
    re.compile(r"()\bmcu_[A-Za-z0-9_\-]{20,}"),
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
