"""The chat pipeline and the conversation store."""
