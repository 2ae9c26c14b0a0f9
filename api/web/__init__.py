"""HTTP plumbing every resource shares: JSON bodies, content negotiation and
representations, the OpenAPI document's shapes, API keys, rate limits, idempotency,
request logs and metrics, and articles read from a request's raw text."""
