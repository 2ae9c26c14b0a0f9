"""Alerts: webhooks for subscriptions to article changes (Standard Webhooks)."""

from api.webhooks.engine import deliver_due
from api.webhooks.runner import start_deliverer

__all__ = ["deliver_due", "start_deliverer"]
