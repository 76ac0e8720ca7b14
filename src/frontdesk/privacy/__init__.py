"""Privacy: PII detection and redaction, contact extraction, field encryption."""
