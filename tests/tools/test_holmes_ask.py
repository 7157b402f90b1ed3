"""tools/datasets/holmes_ask.py: HolmesGPT tool-output recordings into scenario files."""

from __future__ import annotations

import json

from sre.payload import scenario_from_document
from sre.taxonomy import CATEGORIES

TEST_CASE = """\
user_prompt: "What is the issue with payment-processing-worker?"
expected_output:
  - The `DEPLOY_ENV` environment variable is undefined or missing
# a comment at column 0
before_test: |
  kubectl apply -f x.yaml
  sleep 5
tags:
  - easy
"""

HEADER = {
    "toolset_name": "kubernetes/core",
    "tool_name": "kubectl_describe",
    "match_params": {"kind": "pod", "name": "worker-747ccfb9db-78qds", "namespace": "app"},
}
STATUS_OK = {"schema_version": "robusta:v1.0.0", "status": "success", "invocation": None}
DESCRIBE = """\
Name:             worker-747ccfb9db-78qds
Namespace:        app
Containers:
  main-container:
    Image:          bash
    State:          Waiting
      Reason:       CrashLoopBackOff
Events:
  Type     Reason   Age  From     Message
  Warning  BackOff  10s  kubelet  Back-off restarting failed container
"""


def _recording(header: dict, body: str, status: dict | None = STATUS_OK) -> str:
    lines = [json.dumps(header)]
    if status is not None:
        lines.append(json.dumps(status))
    return "\n".join(lines) + "\n" + body


def _logs_header(pod: str) -> dict:
    return {
        "toolset_name": "kubernetes/logs",
        "tool_name": "fetch_pod_logs",
        "match_params": {"pod_name": pod, "namespace": "app"},
    }


def test_top_level_fields_keep_raw_values(holmes_ask):
    """Each top-level key keeps its text, continuation lines included, comments dropped."""
    fields = holmes_ask.top_level_fields(TEST_CASE)
    assert list(fields) == ["user_prompt", "expected_output", "before_test", "tags"]
    assert fields["before_test"] == "|\n  kubectl apply -f x.yaml\n  sleep 5"
    assert holmes_ask.one_line(fields["user_prompt"]) == (
        "What is the issue with payment-processing-worker?"
    )
    assert holmes_ask.one_line(fields["expected_output"]) == (
        "The `DEPLOY_ENV` environment variable is undefined or missing"
    )


def test_one_line_joins_block_scalars(holmes_ask):
    """A block scalar's indicator goes and its lines are joined."""
    assert holmes_ask.one_line("|\n  first line\n  second") == "first line second"


def test_recording_with_status_line(holmes_ask):
    """The tool, its parameters, the status and the output lines are read."""
    recording = holmes_ask.parse_recording(_recording(HEADER, DESCRIBE), "d.txt")
    assert recording.tool == "kubectl_describe"
    assert recording.params["name"] == "worker-747ccfb9db-78qds"
    assert recording.status == "success"
    assert recording.body[0] == "Name:             worker-747ccfb9db-78qds"


def test_old_format_recording_loses_its_stream_markers(holmes_ask):
    """`stdout:`/`stderr:` markers and blank lines are not output lines."""
    text = _recording(HEADER, "stdout:\nline one\n\nstderr:\nwarning two\n", status=None)
    recording = holmes_ask.parse_recording(text, "old.txt")
    assert recording.status is None
    assert recording.body == ["line one", "warning two"]


def test_a_file_that_is_not_a_recording(holmes_ask):
    """A manifest or runbook is not taken for a recording."""
    assert holmes_ask.parse_recording("apiVersion: v1\nkind: Pod\n", "m.yaml") is None
    assert holmes_ask.parse_recording('{"not": "a tool"}\nx\n', "j.txt") is None


def test_log_query_footer_is_dropped(holmes_ask):
    """HolmesGPT's LOG QUERY METADATA footer is not part of the pod's logs."""
    lines = ["exec format error", "", "=" * 80, "LOG QUERY METADATA", "=" * 80, "- Pod: x"]
    assert holmes_ask.drop_log_metadata(lines) == ["exec format error"]


def test_command_lines(holmes_ask):
    """A real recorded command is kept; otherwise one is made from the tool and parameters."""
    recording = holmes_ask.parse_recording(_recording(HEADER, DESCRIBE), "d.txt")
    assert holmes_ask.command_of(recording) == (
        "kubectl describe pod worker-747ccfb9db-78qds -n app"
    )
    recording.invocation = "kubectl get pods -n app"
    assert holmes_ask.command_of(recording) == "kubectl get pods -n app"
    other = holmes_ask.Recording("argocd_app_get", {"app_name": "demo"}, "success", ["x"], "a")
    assert holmes_ask.command_of(other) == "argocd_app_get app_name=demo"


def test_pod_containers_from_describe(holmes_ask):
    """Containers are the names of the `Containers:` section."""
    assert holmes_ask.pod_containers(DESCRIBE.splitlines()) == ["main-container"]


def test_convert_keeps_system_output_and_prefixes_pod_logs(holmes_ask):
    """Failed calls, documentation and repeats go; pod logs get the kubectl --prefix form."""
    pod = "worker-747ccfb9db-78qds"
    parse = holmes_ask.parse_recording
    recordings = [
        parse(_recording(HEADER, DESCRIBE), "describe.txt"),
        parse(_recording(HEADER, DESCRIBE), "describe_again.txt"),
        parse(_recording(_logs_header(pod), "DEPLOY_ENV is undefined\n"), "logs.txt"),
        parse(
            _recording(_logs_header("gone"), "NotFound", {**STATUS_OK, "status": "error"}),
            "failed.txt",
        ),
        parse(
            _recording({"tool_name": "fetch_webpage", "match_params": {}}, "<html>docs</html>"),
            "web.txt",
        ),
    ]
    converted = holmes_ask.convert(recordings)
    assert converted.kept == ["describe.txt", "logs.txt"]
    assert converted.dropped == [
        "describe_again.txt (a repeat)",
        "failed.txt (status error)",
        "web.txt (not system output)",
    ]
    assert converted.logs[0] == f"$ kubectl describe pod {pod} -n app"
    assert converted.logs[-2:] == [
        f"$ kubectl logs {pod} -n app --prefix",
        f"[pod/{pod}/main-container] DEPLOY_ENV is undefined",
    ]


def test_json_output_becomes_compact_lines(holmes_ask):
    """A Robusta envelope gives its data; a list gives one line per item."""
    envelope = {"schema_version": "robusta:v1.0.0", "status": "success", "data": [{"a": 1}, 2]}
    assert holmes_ask.json_lines(envelope) == ['{"a":1}', "2"]
    assert holmes_ask.json_lines({"node": "rabbit@x", "running": False}) == [
        '{"node":"rabbit@x","running":false}'
    ]


def test_prometheus_matrix_becomes_timestamped_series(holmes_ask):
    """Each result of a range query is a `points` series named by its labels."""
    body = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"pod": "frontend-5dc8d4f9fd-46997", "container": "app"},
                    "values": [[1757332688, "1.5"], [1757332703, "NaN"], [1757332718, "99"]],
                }
            ],
        },
    }
    header = {"tool_name": "execute_prometheus_range_query", "match_params": {}}
    status = {**STATUS_OK, "params": {"description": "CPU throttling %"}}
    text = _recording(header, json.dumps(body), status)
    converted = holmes_ask.convert([holmes_ask.parse_recording(text, "prom.txt")])
    assert converted.logs == []
    assert converted.metrics == {
        'CPU_throttling{container="app",pod="frontend-5dc8d4f9fd-46997"}': {
            "points": [["2025-09-08T11:58:08Z", 1.5], ["2025-09-08T11:58:38Z", 99.0]]
        }
    }


def test_labels_use_taxonomy_categories_and_name_suspects(holmes_ask):
    """Every label names known categories (at most two) and at least one suspect."""
    for fixture, label in holmes_ask.LABELS.items():
        assert label.categories and set(label.categories) <= set(CATEGORIES), fixture
        assert len(label.categories) <= 2, fixture
        assert label.suspects and all(len(s) >= 3 for s in label.suspects), fixture
        assert fixture not in holmes_ask.NOT_KEPT, fixture


def test_built_scenario_quotes_the_fixture(holmes_ask):
    """The scenario validates and its description names the fixture and its expected output."""
    fields = holmes_ask.top_level_fields(TEST_CASE)
    converted = holmes_ask.Converted(logs=["$ kubectl get pods", "x"], kept=["a.txt"])
    document = holmes_ask.build_scenario("09_crashpod", fields, converted, ["big.txt"], "c1ee1d43")
    scenario = scenario_from_document(document, "built")
    assert scenario.name == "holmes-ask-09_crashpod"
    assert scenario.expected.categories == ["config_change"]
    assert "test_ask_holmes/09_crashpod" in scenario.description
    assert "DEPLOY_ENV" in scenario.description and "big.txt" in scenario.description


def test_skip_reasons(holmes_ask):
    """Unlabelled fixtures say why: no test case, skipped upstream, no recordings, or table."""
    recording = holmes_ask.Recording("kubectl_describe", {}, "success", ["x"], "d.txt")
    assert holmes_ask.skip_reason("x", {}, []) == "no test_case.yaml"
    assert holmes_ask.skip_reason("x", {"skip": "true", "skip_reason": "flaky"}, [recording]) == (
        "skipped upstream: flaky"
    )
    assert "live cluster" in holmes_ask.skip_reason("x", {"user_prompt": "q"}, [])
    assert holmes_ask.skip_reason("01_how_many_pods", {"user_prompt": "q"}, [recording]) == (
        "a lookup question"
    )


def test_converts_a_small_snapshot_end_to_end(holmes_ask, make_git_snapshot, tmp_path):
    """Only labelled fixtures of test_ask_holmes are written; other folders are never read."""
    base = "tests/llm/fixtures/test_ask_holmes"
    pod = "worker-747ccfb9db-78qds"
    git_dir = make_git_snapshot(
        {
            f"{base}/09_crashpod/test_case.yaml": TEST_CASE,
            f"{base}/09_crashpod/kubectl_describe.txt": _recording(HEADER, DESCRIBE),
            f"{base}/09_crashpod/kubectl_logs.txt": _recording(_logs_header(pod), "undefined\n"),
            f"{base}/01_how_many_pods/test_case.yaml": "user_prompt: how many pods?\n",
            "tests/llm/fixtures/other_suite/01_x/test_case.yaml": "not ours: never read\n",
        }
    )
    out = tmp_path / "out"
    assert holmes_ask.main(["--mirror", str(git_dir), "--out", str(out), "--commit", "HEAD"]) == 0
    files = sorted((out / "holmes-ask").glob("*.json"))
    assert [f.name for f in files] == ["holmes-ask-09_crashpod.json"]
    scenario = scenario_from_document(json.loads(files[0].read_text()), "out")
    assert f"[pod/{pod}/main-container] undefined" in scenario.incident.logs
    assert "other_suite" not in files[0].read_text()


def test_out_inside_the_project_is_refused(holmes_ask, capsys, in_repository):
    """Writing into the repository is refused before anything is read."""
    assert holmes_ask.main(["--mirror", "/nonexistent", "--out", "."]) == 2
    assert "must be outside the project" in capsys.readouterr().err
