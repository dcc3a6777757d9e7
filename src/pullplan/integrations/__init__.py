"""Integrations with other tools: signed inbound and outbound webhooks."""
