"""Live data: Sentry and GitHub build the incident payload from a deployment id.

Entry points: `assembler.assemble(deployment_id, settings)` and
`assembler.assemble_from_sentry_issue(issue_id, settings)`, both returning an `Assembly`
(never raising for expected failures); settings in `settings.IntegrationSettings`.
"""
