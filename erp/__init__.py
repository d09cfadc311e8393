"""Platform plumbing: settings, database, Temporal client, embedded servers and the CLI."""
