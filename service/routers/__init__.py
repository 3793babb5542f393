"""One router per resource: checks, digits, models, the KServe V2 protocol and health."""
