"""Django's SQLite backend that makes the folder of its database file when it first connects.

Settings create no folders at import (issue 9); the embedded database's folder (``var/``) is
made here, at the first connection, by whichever command gets there first.
"""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params.get("database") or "")
        # In-memory databases (":memory:", the test runner's "file:memorydb_…") have no folder.
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
