"""Secret redaction: one boundary for everything that leaves the process.

Slack bodies, CLI text and `--json`, the app's logs and LLM prompts all pass through
`sre.redaction.boundary`. The rules are the maintained Betterleaks/gitleaks set
(`sre.redaction.maintained`) plus our additions (`sre.redaction.rules`: URL passwords,
secret-like keys, key blocks over several lines), checked on the text and on its decoded
forms (`sre.redaction.scanner`); `sre.redaction.redactor.Redactor` learns full values and
hides them, and their fragments, wherever they appear later.
"""

from sre.redaction.keys import is_secret_key, secret_key_strength
from sre.redaction.logs import RedactingFilter, install_log_redaction
from sre.redaction.redactor import PLACEHOLDER, Redactor, redact
from sre.redaction.text import one_line, safe_text

__all__ = [
    "PLACEHOLDER",
    "RedactingFilter",
    "Redactor",
    "install_log_redaction",
    "is_secret_key",
    "one_line",
    "redact",
    "safe_text",
    "secret_key_strength",
]
