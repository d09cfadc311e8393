"""Onboarding: a new company set up and run through the HTTP API alone; policy administration."""
