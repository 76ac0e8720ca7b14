"""Authentication and authorization: API keys, the AuthContext dependency, permissions."""
