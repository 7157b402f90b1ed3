"""The known answers of the HolmesGPT `test_ask_holmes` fixtures that `holmes_ask.py` keeps.

`LABELS` maps a fixture folder to its answer, written from the fixture's own
`expected_output` (which each scenario's description quotes) in the terms of
`shared/spec/root-cause-taxonomy.md`: a second category where two are honest, and the
suspects a responder would act on. `NOT_KEPT` says why each other fixture that recorded
tool output is not converted (fixtures with no recordings, or skipped upstream, are
recognised by the converter itself).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    """The known answer of one kept fixture, and why."""

    categories: list[str]
    suspects: list[str]
    why: str


# Fixture -> answer. Each `why` says how the fixture's own expected output maps onto the
# taxonomy (shared/spec/root-cause-taxonomy.md); the description quotes that output.
LABELS: dict[str, Label] = {
    "02_what_is_wrong_with_pod": Label(
        ["resource_exhaustion"],
        ["giant-narwhal"],
        "the pod is OOMKilled: memory runs out (no change to blame)",
    ),
    "06_explain_issue": Label(
        ["resource_exhaustion", "infrastructure"],
        ["ephemeral-storage", "my-cluster-kafka"],
        "the node ran low on ephemeral storage and evicted the kafka pod: a disk "
        "resource, on a node",
    ),
    "07_high_latency": Label(
        ["database", "dependency_failure"],
        ["sp_CheckUserNotifications", "promotions"],
        "slow database calls (the promotions database's stored procedure) make the "
        "deployment slow: the database, or a slow dependency",
    ),
    "09_crashpod": Label(
        ["config_change"],
        ["DEPLOY_ENV", "payment-processing-worker"],
        "a required environment variable is missing from the workload's configuration",
    ),
    "12_job_crashing": Label(
        ["dependency_failure", "database"],
        ["prod-db"],
        "the job cannot reach its database at prod-db:3333",
    ),
    "13a_pending_node_selector_basic": Label(
        ["config_change", "infrastructure"],
        ["nodeSelector", "label=someLabel", "user-profile-import"],
        "the pod's nodeSelector matches no node: the pod's configuration, or the nodes' labels",
    ),
    "18_oom_kill_from_issues_history": Label(
        ["resource_exhaustion"],
        ["analytics-exporter-fast"],
        "the pod was OOMKilled",
    ),
    "21_job_fail_curl_no_svc_account": Label(
        ["config_change", "infrastructure"],
        ["kldsvklnsdiogjerkngernjk23432i90erfefjio.com", "get-data"],
        "the job's URL names a host that does not resolve: a wrong address in the job, or DNS",
    ),
    "24a_misconfigured_pvc_basic": Label(
        ["config_change"],
        ["redis-standard-pvc", "standard-v2"],
        "the PersistentVolumeClaim is misconfigured (its StorageClass does not exist)",
    ),
    "35_tempo": Label(
        ["database", "dependency_failure"],
        ["fraud-service"],
        "the fraud service is slow because of a database query, and slows its callers",
    ),
    "36_argocd_find_resource": Label(
        ["config_change"],
        ["my-demoshop-namespaces", "demo-app"],
        "the Argo CD application targets a namespace that does not exist",
    ),
    "37_argocd_wrong_namespace": Label(
        ["config_change"],
        ["my-demoshop-namespaces", "demo-app"],
        "the Argo CD application names `my-demoshop-namespaces` instead of `my-demoshop-namespace`",
    ),
    "38_rabbitmq_split_head": Label(
        ["infrastructure"],
        ["rabbitmq"],
        "a network partition between the RabbitMQ nodes",
    ),
    "54_not_truncated_when_getting_pods": Label(
        ["config_change", "infrastructure"],
        ["fast-fail-pod", "totallynonexistentregistry12345.io"],
        "the pod cannot pull its image from a registry host that does not resolve: a wrong "
        "image reference, or the registry/DNS",
    ),
}

# Fixtures with recordings that are not kept, and why (the others are skipped for a reason
# found in the fixture itself: no recordings, or `skip: true` upstream).
NOT_KEPT: dict[str, str] = {
    "01_how_many_pods": "a lookup question",
    "03_what_is_the_command_to_port_forward": "a how-to question",
    "05_image_version": "a lookup question",
    "111_tool_hallucination": "about the tools, not an incident",
    "13b_pending_node_selector_detailed": "the recordings of 13a_pending_node_selector_basic",
    "158_slack_chat_correct_date": "the expected output checks a date, not a cause",
    "161_conversation_compaction": "a lookup question",
    "162_get_runbooks": "runbooks only, no recorded system output",
    "19_detect_missing_app_details": "the expected output is about a name not found",
    "20_long_log_file_search": "a log search question",
    "24b_misconfigured_pvc_detailed": "the recordings of 24a_misconfigured_pvc_basic",
    "28_permissions_error": "about the investigator's permissions",
    "34_memory_graph": "a how-to question",
    "39_failed_toolset": "about a failing toolset",
    "41_setup_argo": "a how-to question",
    "42_dns_issues_result_new_tools": "recordings are documentation and node status only",
    "42_dns_issues_result_old_tools": "recordings are documentation and node status only",
    "42_dns_issues_steps_new_all_tools": "expects investigation steps; documentation only",
    "42_dns_issues_steps_new_tools": "recordings are documentation and node status only",
    "42_dns_issues_steps_old_tools": "expects investigation steps; documentation only",
    "44_slack_statefulset_logs": "a log fetch; the expected output says nothing is wrong",
    "45_fetch_deployment_logs_simple": "a log fetch; the expected output says nothing is wrong",
    "48_logs_since_thursday": "a log fetch listing several past errors",
    "49_logs_since_last_week": "a log fetch listing several past errors",
    "50_logs_since_specific_date": "a log fetch listing several past errors",
    "50a_logs_since_last_specific_month": "a log fetch listing several past errors",
    "51_logs_summarize_errors": "a log summary listing several errors",
    "52_logs_login_issues": "a log summary listing several errors",
    "53_logs_find_term": "a log search question",
    "57_wrong_namespace": "about a name not found",
    "58_counting_pods_by_status": "a counting question",
    "59_label_based_counting": "a counting question",
    "61_exact_match_counting": "a counting question",
    "62_fetch_error_logs_with_errors": "a log fetch question",
    "63_fetch_error_logs_no_errors": "a log fetch question",
    "64_keda_vs_hpa_confusion": "about which autoscaler exists, not an incident",
    "65_health_check_followup": "the expected output says the workload is healthy",
    "92_cpu_graph_conversation": "a how-to question",
    "93_calling_datadog": "a log fetch; the expected output says nothing is wrong",
    "93_events_since_specific_date": "a lookup question",
}
