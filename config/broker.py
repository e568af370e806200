"""kombu's filesystem transport (the embedded broker) that makes its folders when a channel opens.

Settings create no folders at import (issue 9), and the web process, the worker, beat and
``celery inspect`` may each be the first to use the broker, so the folders are made here, by
whichever opens a channel first. All of them live under ``var/broker/`` (settings).
"""

from pathlib import Path

from kombu.transport import filesystem


class FilesystemChannel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for folder in (
            self.data_folder_in,
            self.data_folder_out,
            self.processed_folder,
            self.control_folder,
        ):
            Path(folder).mkdir(parents=True, exist_ok=True)


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
