"""Django's SQLite backend that makes the folder of its database file when it first connects."""
