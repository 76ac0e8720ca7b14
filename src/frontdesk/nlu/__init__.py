"""Natural-language understanding: language detection and intent classification."""
