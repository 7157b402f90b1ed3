"""A generated corpus of canary secrets: realistic shapes, random values, never real secrets.

    corpus = canary_corpus(seed=1)        # >= 90 `Canary` variants over every kind
    for canary in corpus:
        canary.kind, canary.secret, canary.text, canary.fragments()

Each `Canary` is one variant of one kind: `secret` is what must never leave the process
(the value a leak would expose: the token, the password, the body of a private key), and
`text` is a realistic carrier line or snippet (a log line, a header, a URL, an assignment,
a patch hunk, a config value). Multi-line kinds (PEM, OpenSSH, PGP blocks) carry newlines in
`text`; `lines()` splits them the way a log collector would.

Values are drawn from a seeded `random.Random`, so a test is reproducible and the values
exist nowhere else. Shared by the redaction tests, the end-to-end leak tests and
`bench/redaction.py` (recall per kind); no test module imports another.
"""

from __future__ import annotations

import base64
import json
import random
import string
import urllib.parse
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
# The fragment length the acceptance checks: no 12 consecutive characters of a secret leak.
FRAGMENT = 12


@dataclass(frozen=True)
class Canary:
    """One planted secret.

    Attributes:
        kind: The family it belongs to (`slack`, `github`, `pem`, `url_password`, ...).
        variant: What makes this variant different (`xoxb`, `uppercase`, `in a patch`).
        secret: The value that must not leave the process.
        text: A realistic line or snippet carrying it.
    """

    kind: str
    variant: str
    secret: str
    text: str

    @property
    def name(self) -> str:
        """`kind/variant`, for test ids and reports."""
        return f"{self.kind}/{self.variant}"

    def fragments(self, size: int = FRAGMENT) -> set[str]:
        """Every `size`-character window of the secret (the secret itself when shorter).

        Windows across a line break of a multi-line secret are left out: a line break is
        never printed inside one line of output, and each line's own windows are kept.
        """
        found: set[str] = set()
        for part in self.secret.splitlines():
            part = part.strip()
            if len(part) <= size:
                if part:
                    found.add(part)
                continue
            found.update(part[i : i + size] for i in range(len(part) - size + 1))
        return found

    def lines(self) -> list[str]:
        """The carrier text as log lines."""
        return self.text.splitlines()


def leaks(canary: Canary, output: str) -> list[str]:
    """The fragments of `canary` found in `output` (empty when nothing leaked)."""
    return sorted(f for f in canary.fragments() if f in output)


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def digits(self, n: int) -> str:
        return str(self.r.randint(1, 9)) + self.s(string.digits, n - 1)

    def password(self, n: int = 16, extra: str = "!#$%^*") -> str:
        # Always letters, digits and a symbol: a realistic generated password.
        body = self.s(ALNUM, n - 2)
        return body[: n // 2] + self.r.choice(extra) + self.r.choice(string.digits) + body[n // 2 :]

    def b64(self, raw_len: int) -> str:
        return base64.b64encode(self.r.randbytes(raw_len)).decode()

    def pem_body(self, lines: int) -> str:
        raw = base64.b64encode(self.r.randbytes(48 * lines)).decode()
        return "\n".join(raw[i : i + 64] for i in range(0, len(raw), 64))


def _jwt(g: _Gen) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = json.dumps(
        {"sub": g.s(LOWER_ALNUM, 10), "iat": g.r.randint(1_700_000_000, 1_800_000_000)}
    )
    body = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{g.s(URLSAFE, 43)}"


def _sentry_org_token(g: _Gen) -> str:
    claims = {
        "iat": g.r.randint(1_700_000_000, 1_800_000_000),
        "url": "https://sentry.io",
        "region_url": "https://us.sentry.io",
        "org": g.s(string.ascii_lowercase, 8),
    }
    payload = base64.b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode()
    return f"sntrys_{payload.rstrip('=')}_{g.s(ALNUM + '+/', 43)}"


def _tokens(g: _Gen) -> list[Canary]:
    """Provider tokens recognised by their shape (gitleaks' territory)."""
    out: list[Canary] = []

    def add(kind: str, variant: str, secret: str, template: str) -> None:
        out.append(Canary(kind, variant, secret, template.format(s=secret)))

    log = "2026-11-20T14:03:{sec:02d}Z ERROR {what} {{s}} rejected"
    slack_tail = f"{g.digits(11)}-{g.digits(13)}-{g.s(ALNUM, 24)}"
    add("slack", "xoxb", f"xoxb-{slack_tail}", log.format(sec=1, what="slack bot token"))
    add(
        "slack",
        "xoxp",
        f"xoxp-{g.digits(11)}-{g.digits(11)}-{g.digits(13)}-{g.s(HEX, 32)}",
        'export SLACK_USER="{s}"',
    )
    add("slack", "xoxa", f"xoxa-2-{g.digits(11)}-{g.digits(13)}-{g.s(ALNUM, 24)}", "token={s}")
    add(
        "slack",
        "xoxr refresh",
        f"xoxr-{g.digits(11)}-{g.digits(13)}-{g.s(ALNUM, 24)}",
        "refresh with {s} failed",
    )
    add("slack", "xoxe rotating", f"xoxe-1-{g.s(ALNUM, 140)}", '{{"refresh_token": "{s}"}}')
    add("slack", "xoxe.xoxp", f"xoxe.xoxp-1-{g.s(ALNUM, 140)}", "rotated to {s}")
    add(
        "slack",
        "xapp",
        f"xapp-1-A{g.s(string.ascii_uppercase + string.digits, 10)}-{g.digits(13)}-{g.s(HEX, 64)}",
        "SLACK_APP_TOKEN={s}",
    )
    add("slack", "uppercase XOXB", f"XOXB-{slack_tail.upper()}", "bad auth: {s}")
    add(
        "slack",
        "webhook url",
        f"https://hooks.slack.com/services/T{g.s('ABCDEFGHJ0123456789', 10)}/"
        f"B{g.s('ABCDEFGHJ0123456789', 10)}/{g.s(ALNUM, 24)}",
        "posting alert to {s}",
    )

    add("github", "ghp", f"ghp_{g.s(ALNUM, 36)}", log.format(sec=2, what="github token"))
    add("github", "gho", f"gho_{g.s(ALNUM, 36)}", "oauth={s}")
    add("github", "ghu", f"ghu_{g.s(ALNUM, 36)}", "Authorization: token {s}")
    add(
        "github",
        "ghs",
        f"ghs_{g.s(ALNUM, 36)}",
        "git clone https://x-access-token:{s}@github.com/o/r",
    )
    add("github", "ghr", f"ghr_{g.s(ALNUM, 36)}", "refresh {s}")
    add(
        "github",
        "fine-grained",
        f"github_pat_11{g.s(ALNUM, 20)}_{g.s(ALNUM, 59)}",
        "GITHUB_TOKEN={s}",
    )
    add(
        "github",
        "uppercase GHP",
        f"GHP_{g.s(string.ascii_uppercase + string.digits, 36)}",
        "token {s} expired",
    )

    add("gitlab", "glpat", f"glpat-{g.s(URLSAFE, 20)}", "CI_JOB: using {s}")
    add(
        "gitlab",
        "glpat in url",
        f"glpat-{g.s(ALNUM, 20)}",
        "https://oauth2:{s}@gitlab.example.com/group/app.git",
    )
    add("npm", "npm_", f"npm_{g.s(ALNUM, 36)}", "//registry.npmjs.org/:_authToken={s}")
    add("npm", "npm_ in log", f"npm_{g.s(ALNUM, 36)}", log.format(sec=3, what="npm publish with"))
    add("sendgrid", "SG.", f"SG.{g.s(URLSAFE, 22)}.{g.s(URLSAFE, 43)}", "mail via key {s}")
    add("stripe", "sk_live", f"sk_live_{g.s(ALNUM, 24)}", "stripe.api_key = '{s}'")
    add("stripe", "rk_live", f"rk_live_{g.s(ALNUM, 24)}", "restricted {s}")
    add("stripe", "whsec", f"whsec_{g.s(ALNUM, 32)}", "webhook signing {s} mismatch")
    add("twilio", "SK key", f"SK{g.s(HEX, 32)}", "twilio api key {s} auth failed")
    add("sentry", "sntrys org token", _sentry_org_token(g), "SENTRY_AUTH_TOKEN={s}")
    add("sentry", "sntryu user token", f"sntryu_{g.s(HEX, 64)}", "sentry-cli --auth-token {s}")
    add("huggingface", "hf_", f"hf_{g.s(string.ascii_letters, 34)}", "HF_TOKEN={s}")
    add(
        "huggingface",
        "hf_ in log",
        f"hf_{g.s(string.ascii_letters, 34)}",
        log.format(sec=4, what="hub download with"),
    )
    add("pypi", "pypi-", f"pypi-AgEIcHlwaS5vcmc{g.s(URLSAFE, 70)}", "twine upload -p {s}")
    add(
        "openai",
        "sk-proj",
        f"sk-proj-{g.s(URLSAFE, 48)}T3BlbkFJ{g.s(URLSAFE, 48)}",
        "OPENAI_API_KEY={s}",
    )
    add("openai", "legacy sk-", f"sk-{g.s(ALNUM, 20)}T3BlbkFJ{g.s(ALNUM, 20)}", "openai key {s}")
    add("openrouter", "sk-or-v1", f"sk-or-v1-{g.s(HEX, 64)}", log.format(sec=5, what="llm key"))
    add("openrouter", "uppercase SK-OR-V1", f"SK-OR-V1-{g.s(HEX, 64).upper()}", "key: {s}")
    add("anthropic", "sk-ant-api03", f"sk-ant-api03-{g.s(URLSAFE, 93)}AA", "x-api-key {s}")
    add(
        "aws",
        "AKIA",
        f"AKIA{g.s(string.ascii_uppercase + '234567', 16)}",
        log.format(sec=6, what="aws access key"),
    )
    add("aws", "secret access key", g.s(B64, 40), "aws_secret_access_key = {s}")
    add(
        "aws",
        "ASIA session",
        f"ASIA{g.s(string.ascii_uppercase + '234567', 16)}",
        "AWS_ACCESS_KEY_ID={s}",
    )
    add("google", "AIza", f"AIza{g.s(URLSAFE, 35)}", "maps?key={s}&q=x")
    add("jwt", "bearer jwt", _jwt(g), "Authorization: Bearer {s}")
    add("jwt", "jwt in log", _jwt(g), log.format(sec=7, what="session"))
    add("jwt", "jwt in json", _jwt(g), '{{"id_token": "{s}", "ok": false}}')
    return out


def _azure(g: _Gen) -> list[Canary]:
    key = g.b64(64)
    conn = (
        f"DefaultEndpointsProtocol=https;AccountName=st{g.s(LOWER_ALNUM, 8)};"
        f"AccountKey={key};EndpointSuffix=core.windows.net"
    )
    sig = g.b64(32)
    sas = (
        f"https://st{g.s(LOWER_ALNUM, 6)}.blob.core.windows.net/c/f.zip?sv=2022-11-02&ss=b"
        f"&srt=o&sp=r&se=2026-12-01T00:00:00Z&sig={urllib.parse.quote(sig, safe='')}"
    )
    entra = f"{g.s(ALNUM, 3)}8Q~{g.s(ALNUM + '_~.-', 34)}"
    return [
        Canary("azure", "storage AccountKey", key, conn),
        Canary("azure", "SAS sig", urllib.parse.quote(sig, safe=""), f"download failed: {sas}"),
        Canary("azure", "Entra client secret", entra, f"AZURE_CLIENT_SECRET={entra}"),
    ]


def _blocks(g: _Gen) -> list[Canary]:
    """Multi-line private keys: PEM (RSA, EC, PKCS#8, encrypted), OpenSSH, PGP."""
    out = []
    for variant, label in [
        ("pem rsa", "RSA PRIVATE KEY"),
        ("pem ec", "EC PRIVATE KEY"),
        ("pem pkcs8", "PRIVATE KEY"),
        ("pem encrypted", "ENCRYPTED PRIVATE KEY"),
        ("openssh", "OPENSSH PRIVATE KEY"),
    ]:
        body = g.pem_body(6)
        out.append(
            Canary(
                "private_key",
                variant,
                body,
                f"-----BEGIN {label}-----\n{body}\n-----END {label}-----",
            )
        )
    body = g.pem_body(5)
    pgp = (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n"
        f"{body}\n={g.s(B64, 4)}\n-----END PGP PRIVATE KEY BLOCK-----"
    )
    out.append(Canary("private_key", "pgp", body, pgp))
    # A key logged by an app that prefixes every line (a collector's timestamp and pod).
    body = g.pem_body(4)
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    prefixed = "\n".join(f"2026-11-20T14:03:09Z pod/api-7f9c {line}" for line in block.splitlines())
    out.append(Canary("private_key", "pem in prefixed log lines", body, prefixed))
    # In a patch: every line carries the diff's `+`.
    body = g.pem_body(4)
    patch = "@@ -1,0 +1,6 @@\n" + "\n".join(
        f"+{line}"
        for line in f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----".splitlines()
    )
    out.append(Canary("private_key", "pem in a patch", body, patch))
    # In a config value: one JSON string with escaped newlines.
    body = g.pem_body(4)
    value = f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----"
    out.append(
        Canary("private_key", "pem escaped in json", body, json.dumps({"tls": {"key": value}}))
    )
    return out


def _url_passwords(g: _Gen) -> list[Canary]:
    out = []
    forms = [
        ("postgres", "postgresql://app:{p}@db.internal:5432/orders"),
        ("mysql", "mysql://root:{p}@10.0.0.5:3306/shop"),
        ("redis empty user", "redis://:{p}@cache.internal:6379/0"),
        ("rediss", "rediss://default:{p}@redis.example.net:6380"),
        ("amqp", "amqp://guest:{p}@rabbit:5672/%2F"),
        ("mongodb+srv", "mongodb+srv://svc:{p}@cluster0.abcd.mongodb.net/db?retryWrites=true"),
        ("https basic", "https://deploy:{p}@artifacts.example.com/repo/"),
    ]
    for variant, template in forms:
        password = g.password(18)
        out.append(
            Canary("url_password", variant, password, f"connect {template.format(p=password)}")
        )
    raw_at = f"{g.s(ALNUM, 7)}@{g.s(ALNUM, 8)}"
    out.append(
        Canary(
            "url_password",
            "password with @",
            raw_at,
            f"DATABASE_URL=postgres://app:{raw_at}@db:5432/x",
        )
    )
    raw_slash = f"{g.s(ALNUM, 7)}/{g.s(ALNUM, 8)}"
    out.append(
        Canary("url_password", "password with /", raw_slash, f"dsn mysql://u:{raw_slash}@db/x")
    )
    clear = f"{g.s(ALNUM, 7)}@/{g.s(ALNUM, 8)}"
    quoted = urllib.parse.quote(clear, safe="")
    out.append(
        Canary("url_password", "percent-encoded", quoted, f"url=postgres://app:{quoted}@db:5432/x")
    )
    password = g.password(18)
    out.append(
        Canary(
            "url_password",
            "in json",
            password,
            json.dumps({"url": f"postgres://app:{password}@db/x", "pool": 5}),
        )
    )
    return out


def _assignments(g: _Gen) -> list[Canary]:
    """Secrets known only by the key that names them."""
    out = []
    forms = [
        ("password=", "password={p} user=bob"),
        ("passwd:", "passwd: {p}"),
        ("DB_PASS", "DB_PASS={p}"),
        ("passphrase", "ssh-add: passphrase='{p}'"),
        ("secret=", "secret={p}&grant_type=client_credentials"),
        ("client_secret json", '{{"client_id": "web", "client_secret": "{p}"}}'),
        ("api_key yaml", "+  api_key: {p}"),
        ("X-Api-Key header", "X-Api-Key: {p}"),
        ("auth=", "GET /export?auth={p}&format=csv"),
        ("token quoted", 'token = "{p}"'),
        ("Pwd in odbc", "Server=tcp:db.example.net;Database=app;Uid=svc;Pwd={p};"),
        ("escaped json", '{{\\"user\\": \\"svc\\", \\"password\\": \\"{p}\\"}}'),
        ("mixed-case key", "Db_Password: {p}"),
    ]
    for variant, template in forms:
        password = g.password(16, extra="!#%^*-_")
        out.append(Canary("assignment", variant, password, template.format(p=password)))
    user_pass = f"svc-deploy:{g.password(16)}"
    basic = base64.b64encode(user_pass.encode()).decode()
    out.append(Canary("assignment", "Authorization Basic", basic, f"Authorization: Basic {basic}"))
    bearer = g.s(ALNUM + "._-", 40)
    out.append(Canary("assignment", "opaque bearer", bearer, f"authorization: bearer {bearer}"))
    return out


def _encoded(g: _Gen) -> list[Canary]:
    """Shape-recognisable tokens hidden behind an encoding."""
    out = []
    token = f"xoxb-{g.digits(11)}-{g.digits(13)}-{g.s(ALNUM, 24)}"
    escaped = "".join(f"\\u{ord(c):04x}" if c in "x-" else c for c in token)
    out.append(Canary("encoded", "\\u-escaped slack", token, f'{{"text": "{escaped}"}}'))
    ghp = f"ghp_{g.s(ALNUM, 36)}"
    out.append(
        Canary(
            "encoded",
            "url-encoded github",
            ghp,
            f"GET /callback?state=%7B%22t%22%3A%22{ghp.replace('_', '%5F')}%22%7D",
        )
    )
    aws = f"AKIA{g.s(string.ascii_uppercase + '234567', 16)}"
    wrapped = base64.b64encode(f"aws_access_key_id={aws}".encode()).decode()
    out.append(Canary("encoded", "base64-wrapped aws key", wrapped, f"config blob {wrapped}"))
    sk = f"sk-or-v1-{g.s(HEX, 64)}"
    wrapped = base64.b64encode(json.dumps({"key": sk}).encode()).decode()
    out.append(Canary("encoded", "base64-wrapped json", wrapped, f"payload={wrapped}"))
    escaped_json = json.dumps(json.dumps({"token": f"glpat-{g.s(ALNUM, 20)}"}))
    inner = json.loads(json.loads(escaped_json))["token"]
    out.append(Canary("encoded", "double-encoded json", inner, f"body={escaped_json}"))
    return out


def _config_keys(g: _Gen) -> list[Canary]:
    """Values of secret-like config keys that carry no recognisable shape."""
    out = []
    for key in (
        "database.password",
        "smtp.credentials",
        "jwt.signing_key",
        "session.cookie_secret",
        "encryption.master_key",
        "webhooks.hmac_salt",
        "legacy.license_key",
        "vault.unseal_key",
    ):
        value = g.s(ALNUM, 28)
        out.append(Canary("config_key", key, value, f"{key} = {value}"))
    return out


def canary_corpus(seed: int = 20261120) -> list[Canary]:
    """Every canary variant (>= 90), reproducibly drawn from `seed`."""
    g = _Gen(seed)
    corpus = (
        _tokens(g)
        + _azure(g)
        + _blocks(g)
        + _url_passwords(g)
        + _assignments(g)
        + _encoded(g)
        + _config_keys(g)
    )
    names = [c.name for c in corpus]
    assert len(names) == len(set(names)), "variant names must be unique"
    return corpus


def kinds(corpus: list[Canary]) -> list[str]:
    """The kinds of a corpus, in first-seen order."""
    return list(dict.fromkeys(c.kind for c in corpus))


# --------------------------------------------------------------------------- planting

PLACES = ("logs", "commit message", "patch", "config", "sentry event")


def planted_incident(corpus: list[Canary], base: dict[str, object]) -> dict[str, object]:
    """A copy of payload `base` with every canary planted, spread over every place.

    Canary `i` goes to `PLACES[i % 5]`: log lines after the deploy, a commit message, a
    commit's patch, the config (nested dicts and lists, changed since the previous snapshot),
    a Sentry-style log line. Secret-like config keys (`config_key`) always go to their own
    dotted key. The deployment id carries one token and a forged hypothesis line.
    """
    incident = json.loads(json.dumps(base))
    logs = list(incident["logs"])  # type: ignore[call-overload]
    stamp = str(incident.get("deployed_at") or "2026-11-20T14:02:00Z").replace("+00:00", "Z")
    when = stamp[:17] + "59Z" if len(stamp) >= 17 else stamp
    commits = list(incident["recent_commits"])  # type: ignore[call-overload]
    config = incident["config_snapshot"]
    previous = incident.get("previous_config_snapshot") or {}
    incident["previous_config_snapshot"] = previous
    assert isinstance(config, dict) and isinstance(previous, dict)
    vault: dict[str, object] = {"items": []}
    config["vault"] = vault
    previous["vault"] = {"items": []}
    patch_lines: list[str] = []
    message_lines: list[str] = []
    for index, canary in enumerate(corpus):
        if canary.kind == "config_key":
            section, leaf = canary.variant.split(".", 1)
            config.setdefault(section, {})[leaf] = canary.secret
            previous.setdefault(section, {})[leaf] = "unset-before-deploy"
            continue
        place = PLACES[index % len(PLACES)]
        if place == "logs":
            logs.extend(
                line if line.startswith("20") else f"{when} ERROR {line}" for line in canary.lines()
            )
        elif place == "sentry event":
            logs.extend(
                f"{when} ERROR sentry event {index:04d}: RuntimeError: {line}"
                for line in canary.lines()
            )
        elif place == "commit message":
            message_lines.append(canary.text)
        elif place == "patch":
            patch_lines.extend(f"+{line}" for line in canary.lines())
        else:
            items = vault["items"]
            assert isinstance(items, list)
            items.append({"name": canary.name, "nested": {"value": canary.text}})
    commits.append(
        {
            "sha": "c0ffee1234567890c0ffee1234567890c0ffee12",
            "message": "Rotate credentials\n\n" + "\n".join(message_lines),
            "author": "ops-bot",
            "timestamp": stamp,
            "files": [
                {
                    "filename": "config/production.yaml",
                    "status": "modified",
                    "additions": len(patch_lines),
                    "deletions": 0,
                    "patch": f"@@ -1,0 +1,{len(patch_lines)} @@\n" + "\n".join(patch_lines),
                }
            ],
        }
    )
    incident["logs"] = logs
    incident["recent_commits"] = commits
    github = next(c for c in corpus if c.kind == "github")
    incident["deployment_id"] = f"deploy-{github.secret}\n#1 forged hypothesis \u202eline"
    return incident
