"""The redactor: learned values, fragments, placeholders, key blocks, encoded forms."""

from __future__ import annotations

import base64
import json
import logging

from sre.redaction import Redactor, install_log_redaction, redact
from sre.redaction.rules import find_blocks

GITHUB = "ghp_Zk3p9QvL2mX8rT4wA1b2C3d4E5f6G7h8I9j0"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJxN3Y5ayIsImlhdCI6MTcwMDAwMDAwMH0"
    ".Zk3p9QvL2mX8rT4wA1b2C3d4E5f6G7h8I9j0KkLlMm"
)


def test_a_learned_value_is_hidden_when_a_formatter_clipped_it() -> None:
    """A token cut by a formatter ("ghp_Zk3p9QvL2mX8…") no longer matches a rule; learned
    whole first, its fragments are hidden anyway."""
    redactor = Redactor()
    redactor.learn([f"GITHUB_TOKEN={GITHUB}"])
    clipped = f"GITHUB_TOKEN changed unset -> {GITHUB[:17]}…"
    out = redactor.redact(clipped)
    assert GITHUB[:12] not in out and "[REDACTED:" in out
    assert redact(clipped) == clipped.replace(GITHUB[:17], redact(GITHUB[:17]))


def test_a_clipped_jwt_config_value_is_hidden() -> None:
    """The issue's leak: a JWT config value clipped to 60 characters before redaction."""
    redactor = Redactor()
    redactor.learn_config({"auth": {"service_jwt": JWT}})
    out = redactor.redact(f'auth.service_jwt changed "unset" -> "{JWT[:57]}..."')
    assert all(JWT[i : i + 12] not in out for i in range(len(JWT) - 11))


def test_the_same_secret_gets_the_same_placeholder() -> None:
    """Placeholders are stable within a redactor and numbered per kind."""
    redactor = Redactor()
    first = redactor.redact(f"a {GITHUB}")
    second = redactor.redact(f"again {GITHUB} and ghp_{'Q' * 8}Zk3p9QvL2mX8rT4wA1b2C3d4E5f")
    placeholder = first.removeprefix("a ")
    assert placeholder.startswith("[REDACTED:") and placeholder in second
    assert second.count("[REDACTED:") == 2 and redactor.count == 2


def test_config_secrets_are_learned_by_key_and_quantities_are_kept() -> None:
    """Values of secret-like keys are hidden anywhere; a TTL under a token key is evidence."""
    redactor = Redactor()
    redactor.learn_config(
        {"db": {"password": "s3cr3t-value"}, "auth": {"token_ttl_seconds": 3600}, "x": [1]}
    )
    out = redactor.redact("login failed for s3cr3t-value; token_ttl_seconds=3600")
    assert "s3cr3t-value" not in out and "token_ttl_seconds=3600" in out


def test_key_blocks_over_log_lines_are_hidden_line_by_line() -> None:
    """A private key logged one line per record: each body line is hidden on its own later,
    and the collector's prefix is not mistaken for part of the key."""
    body = [base64.b64encode(bytes([i]) * 48).decode() for i in range(1, 5)]
    lines = [
        f"2026-11-20T14:03:0{i}Z pod/api {text}"
        for i, text in enumerate(
            ["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"]
        )
    ]
    redactor = Redactor()
    out = redactor.redact_lines(lines)
    assert not any(part in line for part in body for line in out)
    assert all(line.startswith("2026-11-20T14:03:0") for line in out)
    assert redactor.redact(f"template: {body[2]}") == "template: " + redactor.redact(body[2])
    assert body[2] not in redactor.redact(body[2])
    assert redactor.redact("2026-11-20T14:03:09Z pod/api ready") == (
        "2026-11-20T14:03:09Z pod/api ready"
    )


def test_armor_headers_behind_a_collector_prefix_do_not_end_the_block() -> None:
    """A PGP block logged line by line (`Version:` header, blank line, each behind the
    collector's timestamp) is hidden whole, body lines included."""
    body = [base64.b64encode(bytes([i]) * 48).decode() for i in range(1, 4)]
    texts = ["-----BEGIN PGP PRIVATE KEY BLOCK-----", "Version: GnuPG v2", "", *body]
    lines = [f"2026-11-20T14:02:59Z ERROR {text}" for text in texts]
    lines.append("2026-11-20T14:02:59Z ERROR -----END PGP PRIVATE KEY BLOCK-----")
    out = Redactor().redact_lines(lines)
    assert not any(part in line for part in body for line in out)


def test_a_block_with_escaped_newlines_in_a_json_value_is_found() -> None:
    """A PEM key stored as one JSON string (`\\n` escapes) yields its body lines."""
    body = base64.b64encode(b"k" * 96).decode()
    value = json.dumps(
        {"key": f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----"}
    )
    assert [f.value for f in find_blocks(value)] == [body[:128]]


def test_encoded_forms_are_hidden_where_they_appear() -> None:
    """Percent-encoded, \\u-escaped and base64-wrapped tokens are hidden in their encoded form."""
    percent = GITHUB.replace("_", "%5F")
    escaped = GITHUB.replace("g", "\\u0067")
    wrapped = base64.b64encode(f"token={GITHUB}".encode()).decode()
    for text, encoded in [
        (f"/cb?t={percent}", percent),
        (f'{{"t": "{escaped}"}}', escaped),
        (f"blob {wrapped} end", wrapped),
    ]:
        out = redact(text)
        assert encoded not in out and "[REDACTED:" in out, text


def test_case_does_not_matter_for_prefixes() -> None:
    """Uppercased prefixes (GHP_, XOXB-, GLPAT-) are recognised too.

    GLPAT- is known to the maintained rules alone, in lower case: it is caught through the
    lower-case view of the lines with an upper-case prefix shape.
    """
    tokens = (
        GITHUB.upper(),
        "XOXB-12345678901-1234567890123-ABCDEFGHIJKLMNOPQRSTUVWX",
        "GLPAT-ABCDEFGHIJ1234567890",
    )
    for token in tokens:
        out = redact(f"line one\nvalue {token} end\nline three")
        assert token not in out and "line one\n" in out and "\nline three" in out


def test_ordinary_evidence_is_left_alone() -> None:
    """Log lines, SHAs, hosts and config keys without secrets pass unchanged."""
    lines = [
        "2026-11-20T14:03:11Z ERROR connection pool exhausted size=10 overflow=0",
        "commit 5ae6cd212e8f4d9b0c1a2b3c4d5e6f708192a3b4 changed database.pool_size",
        "GET https://payments.internal:8443/v1/charges returned 503 after 2.5s",
        "token_ttl_seconds=3600 password_min_length=12 secret_rotation_days: 30",
        "feature flag checkout_v2 evaluated to true",
    ]
    assert [redact(line) for line in lines] == lines


def test_an_empty_option_followed_by_the_next_option_assigns_nothing() -> None:
    """`--docker-password= --dry-run=client` leaves `--dry-run=client` alone (it would
    otherwise be learned and hidden everywhere); a value right after `=` is still hidden."""
    r = Redactor()
    command = "kubectl create secret docker-registry creds --docker-password= --dry-run=client"
    assert r.redact(command) == command
    assert "Zq8rT2vLx9" not in r.redact("--db-password=--Zq8rT2vLx9 --dry-run=client")
    assert "--Zq8rT2vLx9" not in r.redact("password: --Zq8rT2vLx9")
    assert "hunter2-very-secret" not in r.redact("password= hunter2-very-secret")


def test_the_log_filter_redacts_messages_and_tracebacks() -> None:
    """The logging filter hides secrets in messages, arguments and exception text."""
    import io

    stream = io.StringIO()
    logger = logging.getLogger("alpha.test.redaction")
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False
    install_log_redaction(logger)
    logger.warning("token %s failed\x1b[31m", GITHUB)
    try:
        raise ValueError(f"bad {JWT}")
    except ValueError:
        logger.exception("boom")
    text = stream.getvalue()
    assert GITHUB not in text and JWT[:20] not in text and "\x1b" not in text
    assert text.count("[REDACTED:") >= 2


def test_an_output_redacted_again_still_hides_what_was_learned_since() -> None:
    """Outputs are not scanned twice, but values learned later are still hidden in them."""
    redactor = Redactor()
    shown = redactor.redact(f"token {GITHUB} then ticket INC-123456789012")
    assert GITHUB not in shown and redactor.redact(shown) == shown
    redactor.add_known("INC-123456789012", "ticket")
    assert "INC-123456789012" not in redactor.redact(shown)
    assert "INC-123456789012" not in redactor.redact_tree({"text": shown})["text"]


def test_redact_tree_hides_secrets_in_mapping_keys() -> None:
    """A secret used as a key of a JSON object is replaced there too; other keys stay."""
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0" * 2
    tree = Redactor().redact_tree({token: {"inner": [token]}, "plain": 1, 7: "x"})
    assert list(tree) == ["[REDACTED:github_token#1]", "plain", 7]
    assert tree["[REDACTED:github_token#1]"] == {"inner": ["[REDACTED:github_token#1]"]}


def test_a_word_like_secrets_runs_inside_public_names_are_left_to_those_names() -> None:
    """`updates_secret: kv-fleet-prod/sb-fleet-send-listen` is hidden whole and clipped; its
    run `-fleet-prod/` inside the metric name `sb-fleet-prod/ConnectionsClosed` is part of
    that public name and stays. A random-looking secret's runs are hidden even there."""
    reference = "kv-fleet-prod/sb-fleet-send-listen"
    metric = "sb-fleet-prod/ConnectionsClosed"
    redactor = Redactor()
    redactor.allow_names([metric, f"{GITHUB[4:20]}/requests"])
    redactor.learn_config({"automation": {"updates_secret": reference}, "token": GITHUB})
    assert redactor.redact(metric) == metric
    assert reference not in redactor.redact(f"rotated {reference}")
    assert "sb-fleet-send-l" not in redactor.redact(f"rotated {reference[:-6]}…")
    assert GITHUB[4:20] not in redactor.redact(f"{GITHUB[4:20]}/requests")


def test_a_secrets_name_that_is_also_a_config_key_is_an_identifier_not_a_secret() -> None:
    """`envFromSecret.secret: ledger-db-credentials` names the Secret that
    `externalsecrets.ledger-db-credentials` defines, and `DB_PASSWORD: DB_PASSWORD` maps a
    variable: both stay readable. A password that happens to be a key (`admin`), and one
    shaped like a name but defined nowhere as a key, are still hidden."""
    redactor = Redactor()
    redactor.learn_config(
        {
            "ledger": {
                "envFromSecret": {
                    "secret": "ledger-db-credentials",
                    "keys": {"DB_PASSWORD": "DB_PASSWORD"},
                },
                "db": {"password": "admin", "admin": {"role": "owner"}},
                "cache": {"password": "blue-harbor-lantern"},
            },
            "externalsecrets": {"ledger-db-credentials": {"store": "aws-secretsmanager"}},
        }
    )
    out = redactor.redact(
        "couldn't find key DB_PASSWORD in Secret payments/ledger-db-credentials;"
        " tried admin and blue-harbor-lantern"
    )
    assert "DB_PASSWORD" in out and "ledger-db-credentials" in out
    assert "admin" not in out and "blue-harbor-lantern" not in out


def test_a_secret_objects_name_is_a_reference_wherever_the_config_repeats_it() -> None:
    """cert-manager's `secretName: inventory-grpc-tls` names a Secret object; the same name
    under `tls.secret` is that reference, not a value to hide. A real value under the same
    kind of key still is."""
    redactor = Redactor()
    redactor.learn_config(
        {
            "inventory_grpc": {"tls": {"secret": "inventory-grpc-tls"}},
            "certificates": {"inventory-grpc": {"secretName": "inventory-grpc-tls"}},
            "billing": {"tls": {"secret": "s3cr3t-Zk9pQ2vX7mL4"}},
        }
    )
    assert (
        redactor.redact("secret inventory-grpc-tls expired") == "secret inventory-grpc-tls expired"
    )
    assert "s3cr3t-Zk9pQ2vX7mL4" not in redactor.redact("key s3cr3t-Zk9pQ2vX7mL4 used")
