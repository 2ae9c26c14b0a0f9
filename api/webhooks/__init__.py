"""Alerts: webhooks for subscriptions to article changes (Standard Webhooks)."""

from .engine import deliver_due
from .runner import start_deliverer

__all__ = ["deliver_due", "start_deliverer"]
