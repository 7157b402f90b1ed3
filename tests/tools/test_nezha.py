"""tools/datasets/nezha.py: parsing the Nezha export formats into scenario files."""

from __future__ import annotations

import json

import pytest

from sre.payload import scenario_from_document

FAULTS = json.dumps(
    {
        "09": [
            {
                "inject_time": "2023-01-29 09:03:53",
                "inject_timestamp": "1674954273",
                "inject_pod": "ts-basic-service-5dc8d4f9fd-46997",
                "inject_type": "return",
            }
        ],
        "08": [
            {
                "inject_time": "2023-01-29 08:43:04",
                "inject_timestamp": "1674953044",
                "inject_pod": "ts-contacts-service-866bd68c97-xcqfx",
                "inject_type": "cpu_contention",
            }
        ],
    }
)
T0843 = 1674981784  # 2023-01-29 08:43:04 UTC


def _envelope(text: str) -> str:
    return json.dumps({"log": text + "\n", "stream": "stdout"})


def _log_csv(rows: list[tuple[str, int, str, str]]) -> str:
    """A Loki export as Nezha stored it: header, then rows newest first."""
    lines = ["Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log"]
    for stamp, ns, pod, log in rows:
        quoted = '"' + log.replace('"', '""') + '"'
        lines.append(f"{stamp},{ns},10.0.0.1,{pod},server,t,s,{quoted}")
    return "\n".join(lines) + "\n"


def test_service_of_drops_replicaset_and_pod_hashes(nezha):
    """A pod name loses its ReplicaSet hash and pod suffix."""
    assert nezha.service_of("ts-basic-service-5dc8d4f9fd-46997") == "ts-basic-service"


def test_fault_list_is_in_time_order_and_read_as_utc(nezha):
    """Faults of every hour come out in time order, `inject_time` read as UTC."""
    faults = nezha.parse_fault_list(FAULTS)
    assert [f.pod for f in faults] == [
        "ts-contacts-service-866bd68c97-xcqfx",
        "ts-basic-service-5dc8d4f9fd-46997",
    ]
    assert faults[0].at == T0843
    assert nezha.iso_utc(faults[0].at) == "2023-01-29T08:43:04Z"


def test_container_line_unwraps_the_docker_envelope(nezha):
    """The `log` field is taken without its newline; other text is kept as it is."""
    assert nezha.container_line(_envelope("09:00:00.001 INFO ok")) == "09:00:00.001 INFO ok"
    assert nezha.container_line("plain text\n") == "plain text"
    assert nezha.container_line('{"msg": "no log key"}') == '{"msg": "no log key"}'


def test_log_export_is_read_oldest_first_with_collector_prefix(nezha):
    """Rows exported newest first become `<timestamp> <pod> <line>`, oldest first."""
    text = _log_csv(
        [
            ("2023-01-29T08:42:02Z", 2, "ts-a-service-5dc8d4f9fd-46997", _envelope("second")),
            ("2023-01-29T08:42:01Z", 1, "ts-a-service-5dc8d4f9fd-46997", _envelope("first")),
        ]
    )
    rows = nezha.parse_log_export(text, first_order=10)
    assert [r.line for r in rows] == [
        "2023-01-29T08:42:01Z ts-a-service-5dc8d4f9fd-46997 first",
        "2023-01-29T08:42:02Z ts-a-service-5dc8d4f9fd-46997 second",
    ]
    assert [r.order for r in rows] == [11, 12]


def test_merge_orders_by_time_and_drops_repeats_of_one_instant(nezha):
    """Lines sort by collector time then export order; a repeat at the same instant goes."""
    row = nezha.LogRow
    merged = nezha.merge_logs(
        [row(5, 1, "late"), row(1, 3, "b"), row(1, 2, "a"), row(1, 4, "a"), row(7, 5, "a")]
    )
    assert merged == ["a", "b", "late", "a"]


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("16:42:22.382 ERROR t.s.Impl#1 boom", "ERROR"),
        ("16:42:22.382 INFO  t.s.Impl#1 fine", "INFO"),
        ('{"severity": "warning", "msg": "x"}', "WARNING"),
        ("GET /index.html 200", ""),
    ],
)
def test_trainticket_level(nezha, line, level):
    """Levels come from the `HH:MM:SS.mmm LEVEL` prefix or a JSON severity field."""
    assert nezha.trainticket_level(line) == level


def test_thin_logs_keeps_everything_that_fits(nezha):
    """Lines under the budget are returned whole, k = 1."""
    lines = ["t p 00:00:00.1 INFO a", "t p 00:00:00.2 ERROR b"]
    assert nezha.thin_logs(lines, 10_000) == (lines, 1)


def test_thin_logs_drops_only_info_with_the_smallest_k(nezha):
    """Over budget, every k-th INFO line is kept (smallest k that fits) and errors stay."""
    infos = [f"t p 00:00:00.{i} INFO line-{i:03d}" for i in range(1, 9)]
    lines = [*infos, "t p 00:00:01.0 ERROR keep-me"]
    size = nezha._encoded_size
    budget = size([*infos[1::2], lines[-1]])  # exactly every 2nd INFO line fits
    kept, k = nezha.thin_logs(lines, budget)
    assert k == 2
    assert kept == [*infos[1::2], "t p 00:00:01.0 ERROR keep-me"]


def test_windows_skip_earlier_faults_and_take_200_seconds_after(nezha):
    """Baseline: last 5 quiet rows of the 30 minutes before; current: (t, t + 200 s]."""
    t = 10_000
    rows = [{"TimeStamp": str(t + d)} for d in (-2000, -600, -540, -480, -420, -360, -300)]
    rows += [{"TimeStamp": str(t + d)} for d in (-240, -60, 0, 60, 200, 260)]
    busy = [(t - 250, t - 10)]  # an earlier fault covers -240 and -60
    baseline, current = nezha.split_windows(rows, t, busy)
    assert [int(r["TimeStamp"]) - t for r in baseline] == [-480, -420, -360, -300, 0]
    assert [int(r["TimeStamp"]) - t for r in current] == [60, 200]


def test_column_series_drops_nan_zero_and_empty(nezha):
    """Non-finite values go; an all-zero or current-less series is dropped."""
    base = [{"c": "1.0"}, {"c": "nan"}, {"c": "2.1234567"}]
    cur = [{"c": "5"}, {"c": "inf"}]
    assert nezha.column_series(base, cur, "c", "%") == {
        "baseline": [1.0, 2.123457],
        "current": [5.0],
        "unit": "%",
    }
    assert nezha.column_series([{"c": "0"}], [{"c": "0"}], "c", "%") is None
    assert nezha.column_series(base, [{"c": "nan"}], "c", "%") is None
    assert nezha.column_series([], cur, "c", "%")["baseline"] is None


def test_window_metrics_names_series_by_service_and_entry(nezha):
    """Pod files give `<service>.<column>`, front_service.csv gives `entry.<column>`."""
    t = 10_000
    pod_rows = [
        {"TimeStamp": str(t - 60), "CpuUsageRate(%)": "1", "PodWorkload(Ops)": "0"},
        {"TimeStamp": str(t + 60), "CpuUsageRate(%)": "90", "PodWorkload(Ops)": "0"},
    ]
    front_rows = [
        {"TimeStamp": str(t - 60), "LatencyP99(s)": "0.2"},
        {"TimeStamp": str(t + 60), "LatencyP99(s)": "1.5"},
    ]
    metrics = nezha.window_metrics(
        {
            "ts-a-service-5dc8d4f9fd-46997_metric.csv": pod_rows,
            "front_service.csv": front_rows,
            "notes.csv": pod_rows,
        },
        t,
        [],
    )
    assert list(metrics) == ["entry.LatencyP99(s)", "ts-a-service.CpuUsageRate(%)"]
    assert metrics["ts-a-service.CpuUsageRate(%)"] == {
        "baseline": [1.0],
        "current": [90.0],
        "unit": "%",
    }


def test_export_minutes_are_the_available_ones_around_the_injection(nezha):
    """From one minute before to three after, only those exported."""
    available = {"08_42", "08_43", "08_45", "08_47"}
    assert nezha.export_minutes(T0843, available) == ["08_42", "08_43", "08_45"]


def test_built_scenario_is_a_valid_scenario_with_the_label(nezha):
    """The document validates as a scenario; the fault kind's categories are expected."""
    fault = nezha.parse_fault_list(FAULTS)[1]
    metrics = {"x.CpuUsageRate(%)": {"baseline": [1.0], "current": [2.0], "unit": "%"}}
    document = nezha.build_scenario(fault, ["a line"], 3, ["09_03_log.csv"], metrics)
    scenario = scenario_from_document(document, "built")
    assert scenario.name == "nezha-tt-2023-01-29-0903-return"
    assert scenario.expected.categories == ["code_regression", "dependency_failure"]
    assert scenario.expected.suspects == ["ts-basic-service", "ts-basic-service-5dc8d4f9fd-46997"]
    assert scenario.incident.recent_commits == [] and scenario.incident.deployed_at is None
    assert "every 3-th" in document["description"]


def test_unknown_fault_kind_is_refused(nezha):
    """A fault type outside the table is an error naming it, not a guessed label."""
    fault = nezha.Fault(at=T0843, when="2023-01-29 08:43:04", pod="p-5dc8d4f9fd-46997", kind="x")
    with pytest.raises(nezha.SnapshotError, match="'x'"):
        nezha.build_scenario(fault, [], 1, [], {})


def test_out_inside_the_project_is_refused(nezha, capsys, in_repository):
    """Writing into the repository is refused before anything is read."""
    assert nezha.main(["--mirror", "/nonexistent", "--out", "tests/tools/out"]) == 2
    assert "must be outside the project" in capsys.readouterr().err


def test_a_wrong_mirror_is_a_clear_error(nezha, tmp_path, capsys):
    """A path that is not a git directory gives one line and status 2."""
    assert nezha.main(["--mirror", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "not a git repository" in capsys.readouterr().err


def test_converts_a_small_snapshot_end_to_end(nezha, make_git_snapshot, tmp_path):
    """A snapshot laid out like Nezha's gives one valid scenario per fault of the day."""
    day = "rca_data/2023-01-29"
    pod = "ts-contacts-service-866bd68c97-xcqfx"
    metric = "Time,TimeStamp,PodName,CpuUsageRate(%)\n"
    metric += f"x,{T0843 - 60},{pod},2\nx,{T0843 + 60},{pod},95\n"
    log = _log_csv(
        [("2023-01-29T08:43:10Z", (T0843 + 6) * 10**9, pod, _envelope("08:43:10.1 ERROR slow"))]
    )
    git_dir = make_git_snapshot(
        {
            f"{day}/2023-01-29-fault_list.json": FAULTS,
            f"{day}/log/08_43_log.csv": log,
            f"{day}/metric/{pod}_metric.csv": metric,
            "rca_data/2099-01-01/2099-01-01-fault_list.json": "another day: never read",
        }
    )
    out = tmp_path / "out"
    assert nezha.main(["--mirror", str(git_dir), "--out", str(out), "--commit", "HEAD"]) == 0
    files = sorted((out / "nezha-trainticket-dev").glob("*.json"))
    assert [f.name for f in files] == [
        "nezha-tt-2023-01-29-0843-cpu-contention.json",
        "nezha-tt-2023-01-29-0903-return.json",
    ]
    first = scenario_from_document(json.loads(files[0].read_text()), files[0].name)
    assert first.incident.logs == [f"2023-01-29T08:43:10Z {pod} 08:43:10.1 ERROR slow"]
    cpu = first.incident.metrics["ts-contacts-service.CpuUsageRate(%)"]
    assert cpu.baseline == [2.0] and cpu.current == [95.0]
    assert first.expected.category == "resource_exhaustion"
