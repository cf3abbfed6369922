"""What the fault tests share."""

# Fast retries and sweeps so a fault heals within seconds, not minutes.
FAULT_ENV = {
    "HN_RELAY_STALE_SECONDS": "3",
    "HN_RELAY_SWEEP_SECONDS": "1",
    "HN_RELAY_BACKOFF_BASE_SECONDS": "0.2",
    "HN_RELAY_BACKOFF_MAX_SECONDS": "1",
    "HN_RELAY_MAX_ATTEMPTS": "50",
}
