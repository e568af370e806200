"""Real media for the evidence tests, made with PyAV in the test itself: video clips of any size
and length (moving or still, MP4/MOV/WebM/Matroska, optionally rotated like a phone's), JPEG and
PNG pictures, and files cut short. Plus ``evidence_storage``, a fixture that points
``STORAGES["evidence"]`` at a temporary folder (import it into a conftest), and
``use_evidence_storage`` to do the same from a fixture of your own.

Keep clips tiny: a few frames at 2 fps make a clip of a few seconds that encodes in well under a
second even at 1280×720.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

_CODECS = {
    "mp4": ("libx264", {"preset": "ultrafast", "crf": "35"}),
    "mov": ("libx264", {"preset": "ultrafast", "crf": "35"}),
    "mkv": ("libx264", {"preset": "ultrafast", "crf": "35"}),
    "webm": ("libvpx", {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}),
}
_MUXERS = {"mp4": "mp4", "mov": "mov", "mkv": "matroska", "webm": "webm"}
CONTENT_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "mkv": "video/x-matroska",
    "webm": "video/webm",
    "jpg": "image/jpeg",
    "png": "image/png",
}


def _test_card(width: int, height: int, fps: Fraction | int) -> av.filter.Graph:
    """FFmpeg's ``testsrc2``: colour bars, moving shapes and a running frame counter."""
    graph = av.filter.Graph()
    source = graph.add("testsrc2", f"size={width}x{height}:rate={fps}")
    graph.link_nodes(source, graph.add("format", "yuv420p"), graph.add("buffersink")).configure()
    return graph


def _frames(width: int, height: int, count: int, fps, moving: bool) -> list[av.VideoFrame]:
    graph = _test_card(width, height, fps)
    if moving:
        return [graph.vpull() for _ in range(count)]
    still = graph.vpull()
    return [still] * count


def video_clip(
    width: int = 1280,
    height: int = 720,
    *,
    frames: int = 6,
    fps: int | Fraction = 2,
    moving: bool = True,
    fmt: str = "mp4",
    rotation: int = 0,
    recorded_at: dt.datetime | None = None,
    faststart: bool = False,
) -> bytes:
    """An encoded clip, ``frames / fps`` seconds long (6 frames at 2 fps: 3 s).

    ``moving=False`` repeats one picture (a still dressed as a video); ``rotation`` sets the
    display rotation a phone writes (90: a landscape-coded clip shown upright as portrait);
    ``faststart`` puts the index first, so a cut-off file still opens and only its end is
    missing."""
    codec, options = _CODECS[fmt]
    with tempfile.TemporaryDirectory() as folder:
        target: io.BytesIO | str = (
            os.path.join(folder, f"clip.{fmt}") if faststart else io.BytesIO()
        )
        container_options = {"movflags": "+faststart"} if faststart else {}
        with av.open(target, "w", format=_MUXERS[fmt], options=container_options) as out:
            if recorded_at is not None:
                out.metadata["creation_time"] = recorded_at.astimezone(dt.UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S.000000Z"
                )
            stream = out.add_stream(codec, rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.bit_rate = 300_000
            stream.options = dict(options)
            if rotation:
                stream.set_display_rotation(rotation)
            for index, frame in enumerate(_frames(width, height, frames, fps, moving)):
                frame.pts = index
                frame.time_base = Fraction(1) / Fraction(fps)
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        if isinstance(target, io.BytesIO):
            return target.getvalue()
        return Path(target).read_bytes()


def _picture(width: int, height: int, codec: str, pix_fmt: str) -> bytes:
    frame = _test_card(width, height, 1).vpull().reformat(format=pix_fmt)
    encoder = av.CodecContext.create(codec, "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, pix_fmt
    encoder.time_base = Fraction(1, 1)
    frame.pts = 0
    return b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])


def jpeg_image(width: int = 1280, height: int = 720) -> bytes:
    """A real JPEG (a frame of the test card)."""
    return _picture(width, height, "mjpeg", "yuvj420p")


def png_image(width: int = 1280, height: int = 720) -> bytes:
    return _picture(width, height, "png", "rgb24")


def truncated(data: bytes, *, keep: float = 0.5) -> bytes:
    """The first ``keep`` of a file, as an upload cut off half-way leaves it."""
    return data[: max(1, int(len(data) * keep))]


def uploaded(
    data: bytes, name: str = "evidence.mp4", content_type: str | None = None
) -> TemporaryUploadedFile:
    """``data`` as Django hands over a file the capped handlers streamed to disk. The name and
    content type are what a client claims; the probe ignores both."""
    ext = name.rsplit(".", 1)[-1].lower()
    claimed = content_type or CONTENT_TYPES.get(ext, "application/octet-stream")
    upload = TemporaryUploadedFile(name, claimed, len(data), None)
    upload.write(data)
    upload.flush()
    upload.seek(0)
    return upload


def in_memory(data: bytes, name: str = "evidence.mp4", content_type: str | None = None):
    """``data`` as an in-memory upload (what Django's default handlers make of a small file)."""
    ext = name.rsplit(".", 1)[-1].lower()
    claimed = content_type or CONTENT_TYPES.get(ext, "application/octet-stream")
    return SimpleUploadedFile(name, data, content_type=claimed)


def use_evidence_storage(settings, folder: Path) -> Path:
    """Point ``STORAGES["evidence"]`` at ``folder`` for one test (``settings`` is pytest-django's
    fixture, which restores it after); answers the folder."""
    storages = {alias: dict(conf) for alias, conf in settings.STORAGES.items()}
    storages["evidence"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(folder),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
    settings.STORAGES = storages
    return folder


@pytest.fixture
def evidence_storage(settings, tmp_path) -> Path:
    """``STORAGES["evidence"]`` in a temporary folder; answers that folder. Import it into a
    conftest, or make a fixture of your own with ``use_evidence_storage``."""
    return use_evidence_storage(settings, tmp_path / "evidence")
