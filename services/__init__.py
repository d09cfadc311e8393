"""Transactional services over PostgreSQL, shared by activities and the API (they take a Session)."""
