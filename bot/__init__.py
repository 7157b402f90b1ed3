"""The Slack app: `/alpha investigate`, Sentry alert triage, live Block Kit messages."""
