"""Frontdesk: multi-tenant AI chatbot platform."""
