"""Lead capture and the lead endpoints."""
