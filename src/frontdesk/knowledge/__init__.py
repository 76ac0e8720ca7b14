"""Knowledge base: chunking tenants' documents and retrieving chunks for a visitor message."""
