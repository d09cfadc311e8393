"""Database tables (SQLModel) and the plain contracts passed between API, workflows and activities."""
