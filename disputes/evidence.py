"""Dispute evidence: uploads streamed to disk under a cap, probed with PyAV, stored privately,
served with HTTP Range to the people the disputes views allow (IS-9, DS-13).

Nothing the client says about a file is trusted: not its name, not its Content-Type. The probe
reads the file itself. Its first bytes must be a container we accept (MP4/MOV, WebM/Matroska;
JPEG or PNG where a picture is allowed); PyAV then opens it *with that format named* (so FFmpeg
never guesses a playlist or a concat list that would open other files) and checks, in order:
a video stream; the short side against the storefront's minimum (a portrait 720×1280 phone video
passes a 720p rule, 854×480 does not); every packet present to the end of the file (a truncated
upload is refused); the duration; and that the frames decoded show more than one distinct
picture (a still photo wrapped in a video is refused). Each refusal is an ``EvidenceRejected``
whose message says why, in plain words, e.g. "The video is 480p; the terms ask for at least
720p."

**Uploading.** A view that takes evidence must install the capped handlers before anything reads
``request.POST`` or ``request.FILES``. ``CsrfViewMiddleware`` reads ``request.POST`` before the
view runs, so the view is ``csrf_exempt`` and applies ``csrf_protect`` itself, after the handlers
are in place (Django's documented pattern for custom upload handlers). ``evidence_upload_view``
does exactly that::

    @login_required
    @evidence_upload_view(lambda request, **kwargs: policy.evidence_max_bytes(request.storefront))
    def dispute_new(request, order_id): ...

or by hand::

    @csrf_exempt
    def dispute_new(request, order_id):
        if request.method == "POST":
            evidence_upload_handlers(request, max_bytes=...)
        return _dispute_new(request, order_id)

    @csrf_protect
    def _dispute_new(request, order_id): ...

A request whose Content-Length is over the cap (plus a small allowance for the form's other
fields, ``EVIDENCE_FORM_ALLOWANCE_BYTES``) is refused before a byte of it is read; otherwise the
file streams to a temporary file on disk (never whole in memory) and the handler stops the
upload as soon as the file data passes the cap. Either way ``EvidenceRejected`` (413) is raised
from the first read of ``request.POST``/``FILES``; the page middleware turns it into an error page
(views under ``/admin/`` or ``/api/`` catch it themselves). What the web server does with the
unread rest of the body is its own affair: gunicorn drops it with the connection; Django's
development server drains it.

**Storing.** Files go to ``storages["evidence"]`` (settings: a private folder under ``VAR_DIR``
by default, object storage in production by configuration only) as
``<storefront-slug>/<random>.<ext>``, with a JPEG poster frame beside a video. No URL is ever
made for them: ``evidence_response`` streams them through a view that has checked the viewer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

import av
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from storefronts.exceptions import UserError

log = logging.getLogger(__name__)

STORAGE_ALIAS = "evidence"
VIDEO_FORMATS = "MP4, MOV or WebM"


class EvidenceRejected(UserError):
    """A file the probe refused, or an upload over the cap; the message says why."""

    status = 400
    code = "evidence_rejected"


@dataclass(frozen=True)
class EvidenceFacts:
    """What the probe read from the file itself (never from what the client said)."""

    kind: str  # "video" | "image"
    content_type: str  # "video/mp4", "video/webm", "video/x-matroska", "image/jpeg", "image/png"
    width: int  # as displayed: a phone's rotation flag is applied
    height: int
    duration_seconds: float | None
    codec: str
    size_bytes: int
    recorded_at: dt.datetime | None  # the container's creation_time, when it has one
    distinct_frames: int


@dataclass(frozen=True)
class SavedEvidence:
    name: str  # the file's name in storages["evidence"]: "<storefront-slug>/<random>.<ext>"
    poster_name: str  # a JPEG poster frame stored beside it ("" for images)
    facts: EvidenceFacts


# --- Uploads: capped, streamed to disk ----------------------------------------------------------


def _mb(size: int) -> str:
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"
    return f"{size // 1024} KB"


def _too_large(max_bytes: int) -> EvidenceRejected:
    return EvidenceRejected(
        f"The file is larger than {_mb(max_bytes)}, the most these terms accept. Record a shorter "
        "video, or at a lower quality setting, and upload it again.",
        status=413,
        code="evidence_too_large",
    )


def _content_length(request: HttpRequest) -> int:
    raw = str(request.META.get("CONTENT_LENGTH") or "").strip()
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 18 else 0


class CappedUploadHandler(FileUploadHandler):
    """Counts file bytes as they arrive and stops the upload once they pass ``max_bytes``.

    It sits first and passes every chunk on to the ``TemporaryFileUploadHandler`` behind it, so
    the file goes to disk and the parser never buffers more than one chunk. Raising from here
    (not ``StopUpload``, which would make Django read the rest of the body to discard it) ends the
    parse at once; the partial temporary file is deleted first, the parser closes (and so
    deletes) any it had completed."""

    def __init__(self, request: HttpRequest | None = None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        allowance = settings.EVIDENCE_FORM_ALLOWANCE_BYTES
        if content_length and content_length > self.max_bytes + allowance:
            raise _too_large(self.max_bytes)
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.content_length and self.received + self.content_length > self.max_bytes:
            raise self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            raise self._stop()
        return raw_data

    def _stop(self) -> EvidenceRejected:
        """Delete the partial file the handlers behind this one are writing now (the parser
        closes only the files it completed), then refuse."""
        for handler in getattr(self.request, "upload_handlers", ()):
            partial = getattr(handler, "file", None) if handler is not self else None
            if partial is not None:
                partial.close()
        return _too_large(self.max_bytes)

    def file_complete(self, file_size: int):
        return None


def evidence_upload_handlers(request: HttpRequest, *, max_bytes: int) -> None:
    """Install the capped, streaming-to-disk handlers before ``request.POST``/``FILES`` is read.

    ``max_bytes`` caps the request's files together. An honest Content-Length over the cap (plus
    ``EVIDENCE_FORM_ALLOWANCE_BYTES`` for the other fields) is refused here, before any of the
    body is read; a request the allowance lets through is stopped by the handler as soon as its
    file data passes the cap. Setting handlers after the body was parsed raises Django's
    AttributeError: the view is wired wrongly."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    if _content_length(request) > max_bytes + settings.EVIDENCE_FORM_ALLOWANCE_BYTES:
        raise _too_large(max_bytes)
    request.upload_handlers = [
        CappedUploadHandler(request, max_bytes=max_bytes),
        TemporaryFileUploadHandler(request),
    ]


def evidence_upload_view(max_bytes: Callable[..., int]):
    """Decorator for a view that takes evidence: ``csrf_exempt`` outside, the capped handlers
    installed on a POST (``max_bytes(request, *args, **kwargs)``), then ``csrf_protect``, so the
    CSRF check still runs, on a body read through the handlers."""

    def decorator(view):
        protected = csrf_protect(view)

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                evidence_upload_handlers(request, max_bytes=max_bytes(request, *args, **kwargs))
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


# --- Probing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Container:
    kind: str  # "video" | "image"
    av_format: str  # the demuxer PyAV is told to use
    content_type: str
    ext: str
    label: str  # for messages


_EBML = b"\x1a\x45\xdf\xa3"
_PNG = b"\x89PNG\r\n\x1a\n"
_BMFF_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_STILL_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}


def _sniff(head: bytes) -> _Container | None:
    """The container from the file's first bytes; ``None`` for anything we do not accept."""
    if head[4:8] in _BMFF_BOXES:
        brand = head[8:12] if head[4:8] == b"ftyp" else b""
        if brand in _STILL_BRANDS:
            return _Container("heif", "", "", "", "a HEIC/AVIF picture")
        ext = "mov" if brand == b"qt  " or head[4:8] != b"ftyp" else "mp4"
        # QuickTime and MP4 are one family; browsers play both as video/mp4.
        return _Container("video", "mp4", "video/mp4", ext, "MP4")
    if head.startswith(_EBML):
        if b"webm" in head[:64]:
            return _Container("video", "matroska", "video/webm", "webm", "WebM")
        return _Container("video", "matroska", "video/x-matroska", "mkv", "Matroska")
    if head.startswith(b"\xff\xd8\xff"):
        return _Container("image", "jpeg_pipe", "image/jpeg", "jpg", "JPEG")
    if head.startswith(_PNG):
        return _Container("image", "png_pipe", "image/png", "png", "PNG")
    return None


def _recorded_at(*metadatas: dict) -> dt.datetime | None:
    for metadata in metadatas:
        raw = str(metadata.get("creation_time") or "").strip()
        if not raw:
            continue
        try:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            continue
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if value.year >= 2000:  # 1970/1904 means "never set" in many muxers
            return value
    return None


_SIGNATURE_SIDE = 64
_CHANGED_LEVEL = 12  # a cell this much brighter or darker than before has changed
_CHANGED_CELLS = 4  # this many changed cells (of 64×64) make a new picture


def _signature(frame: av.VideoFrame) -> bytes:
    """A 64×64 grey thumbnail: compression noise averages out, a moving object does not."""
    small = frame.reformat(width=_SIGNATURE_SIDE, height=_SIGNATURE_SIDE, format="gray")
    plane = small.planes[0]
    raw = bytes(plane)
    if plane.line_size == _SIGNATURE_SIDE:
        return raw[: _SIGNATURE_SIDE * _SIGNATURE_SIDE]
    return b"".join(
        raw[row * plane.line_size : row * plane.line_size + _SIGNATURE_SIDE]
        for row in range(_SIGNATURE_SIDE)
    )


def _differs(a: bytes, b: bytes) -> bool:
    changed = 0
    for x, y in zip(a, b, strict=True):
        if abs(x - y) > _CHANGED_LEVEL:
            changed += 1
            if changed >= _CHANGED_CELLS:
                return True
    return False


def _upright(frame: av.VideoFrame) -> av.VideoFrame:
    """The frame as it is meant to be seen: a phone records landscape pixels and a rotation."""
    rotation = (frame.rotation or 0) % 360
    if rotation not in (90, 180, 270):
        return frame
    graph = av.filter.Graph()
    source = graph.add_buffer(
        width=frame.width,
        height=frame.height,
        format=frame.format.name,
        time_base=frame.time_base or Fraction(1, 25),
    )
    if rotation == 90:  # counter-clockwise, as VideoFrame.rotation counts
        steps = [graph.add("transpose", "cclock")]
    elif rotation == 270:
        steps = [graph.add("transpose", "clock")]
    else:
        steps = [graph.add("hflip"), graph.add("vflip")]
    graph.link_nodes(source, *steps, graph.add("buffersink")).configure()
    graph.vpush(frame)
    return graph.vpull()


def _displayed(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation % 180 == 90 else (width, height)


def _check_size(kind: str, width: int, height: int, min_short_side: int) -> None:
    short, long = min(width, height), max(width, height)
    if short <= 0:
        raise EvidenceRejected(gettext("The file's video has no picture size; it looks damaged."))
    limit = settings.EVIDENCE_MAX_LONG_SIDE
    what = "video" if kind == "video" else "picture"
    if long > limit:
        raise EvidenceRejected(
            gettext(
                "The %(what)s is %(width)s×%(height)s, larger than we can check (at most %(limit)s pixels on its long side). Record at 1080p or 4K."
            )
            % {"what": what, "width": width, "height": height, "limit": limit}
        )
    if short < min_short_side:
        if kind == "video":
            raise EvidenceRejected(
                gettext(
                    "The video is %(short)sp; the terms ask for at least %(min_short_side)sp. Record it again with the camera set to %(min_short_side)sp (HD) or better."
                )
                % {"short": short, "min_short_side": min_short_side}
            )
        raise EvidenceRejected(
            gettext(
                "The picture is %(width)s×%(height)s; the terms ask for at least %(min_short_side)s pixels on its short side."
            )
            % {"width": width, "height": height, "min_short_side": min_short_side}
        )


_INCOMPLETE = (
    "The video is damaged or incomplete: it stops before its end. Upload the whole original "
    "recording again."
)


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


class _Probe:
    """One pass over the file: demux every packet (cheap), decode the first
    ``EVIDENCE_PROBE_MAX_FRAMES`` of them (enough to see movement), keep a poster frame."""

    def __init__(self, container: av.container.InputContainer, spec: _Container):
        self.container = container
        self.spec = spec
        self.poster: av.VideoFrame | None = None
        self.distinct = 0
        self.frames = 0
        self.rotation = 0
        self.frame_size: tuple[int, int] | None = None
        self.poster_at: float | None = None
        self.last_signature: bytes | None = None

    def run(self, *, min_short_side: int) -> float | None:
        """Decode and count; answer the duration measured from the packets (``None`` for a
        picture)."""
        stream = self.container.streams.video[0]
        stream.thread_type = "AUTO"
        max_frames = settings.EVIDENCE_PROBE_MAX_FRAMES
        first_pts = end_pts = None
        packets = 0
        for packet in self.container.demux(stream):
            if packet.size == 0:  # the demuxer's final flush packet
                continue
            if packet.is_corrupt:
                raise EvidenceRejected(_INCOMPLETE)
            packets += 1
            if packet.pts is not None:
                first_pts = packet.pts if first_pts is None else min(first_pts, packet.pts)
                end = packet.pts + (packet.duration or 0)
                end_pts = end if end_pts is None else max(end_pts, end)
            if self.frames < max_frames:
                for frame in packet.decode():
                    self._see(frame, stream, min_short_side=min_short_side)
        if self.frames < max_frames:
            for frame in stream.decode(None):  # the frames the decoder still holds
                self._see(frame, stream, min_short_side=min_short_side)
        if self.frames == 0:
            raise EvidenceRejected(
                _INCOMPLETE if self.spec.kind == "video" else "The picture could not be read."
            )
        if self.spec.kind == "image":
            return None
        measured = _seconds(end_pts - first_pts, stream.time_base) if end_pts is not None else None
        self._check_complete(stream, packets, measured)
        return measured if measured else self._header_duration(stream)

    def _see(self, frame: av.VideoFrame, stream, *, min_short_side: int) -> None:
        """Count a decoded frame: the first sets the size as displayed (checked again, the
        header may have lied) and the poster; a later one up to a third in, at most 1 s, becomes
        the poster; each that differs from the last distinct one counts as a new picture."""
        self.frames += 1
        if self.frames == 1:
            self.rotation = frame.rotation or 0
            self.frame_size = _displayed(frame.width, frame.height, self.rotation)
            _check_size(self.spec.kind, *self.frame_size, min_short_side)
            self.poster_at = self._poster_time(stream)
            self.poster = frame
        elif self.poster_at is not None and frame.time is not None and frame.time <= self.poster_at:
            self.poster = frame
        signature = _signature(frame)
        if self.last_signature is None or _differs(signature, self.last_signature):
            self.distinct += 1
            self.last_signature = signature

    def _header_duration(self, stream) -> float | None:
        seconds = _seconds(stream.duration, stream.time_base)
        if seconds is None and self.container.duration:
            seconds = self.container.duration / av.time_base
        return seconds

    def _poster_time(self, stream) -> float | None:
        header = self._header_duration(stream)
        return min(1.0, header / 3) if header else None

    def _check_complete(self, stream, packets: int, measured: float | None) -> None:
        """A file cut short still carries its header: fewer packets than it lists, or a
        duration it does not reach, means the end is missing."""
        if stream.frames and packets < stream.frames:
            raise EvidenceRejected(_INCOMPLETE)
        header = self._header_duration(stream)
        if header and measured is not None and measured < header * 0.9 - 0.1:
            raise EvidenceRejected(_INCOMPLETE)


def _open_source(upload: Any) -> tuple[IO[bytes], int, bool]:
    """A binary file to read the upload from, its size, and whether we opened it (and close)."""
    path_of = getattr(upload, "temporary_file_path", None)
    if path_of is not None:
        path = path_of()
        return open(path, "rb"), os.path.getsize(path), True  # noqa: SIM115 (closed by caller)
    if hasattr(upload, "open"):
        upload.open("rb")
    handle = getattr(upload, "file", upload)
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    return handle, size, False


def _probe(
    handle: IO[bytes], size: int, *, min_short_side: int, min_duration: float, allow_image: bool
) -> tuple[EvidenceFacts, _Container, av.VideoFrame | None]:
    if size == 0:
        raise EvidenceRejected(
            gettext("The file is empty. Choose the video recording and upload it again.")
        )
    head = handle.read(64)
    handle.seek(0)
    spec = _sniff(head)
    accepted = f"{VIDEO_FORMATS} video" + (", or a JPEG or PNG picture" if allow_image else "")
    if spec is None:
        raise EvidenceRejected(
            gettext(
                "This file is not a video we can check. Upload the recording as an %(accepted)s."
            )
            % {"accepted": accepted}
        )
    if spec.kind == "heif":
        raise EvidenceRejected(
            f"This file is {spec.label}, which we cannot check. Upload the video recording "
            f"({VIDEO_FORMATS})" + (", or the picture as JPEG or PNG." if allow_image else ".")
        )
    if spec.kind == "image" and not allow_image:
        raise EvidenceRejected(
            gettext(
                "This file is a %(label)s picture, not a video. Upload the video recording (%(video_formats)s)."
            )
            % {"label": spec.label, "video_formats": VIDEO_FORMATS}
        )
    try:
        container = av.open(handle, mode="r", format=spec.av_format)
    except av.FFmpegError:
        raise EvidenceRejected(
            gettext(
                "This file is damaged or incomplete: it could not be opened as %(label)s. Upload the original recording again."
            )
            % {"label": spec.label}
        ) from None
    with container:
        if not container.streams.video:
            raise EvidenceRejected(gettext("This file has no video in it."))
        stream = container.streams.video[0]
        context = stream.codec_context
        if context.width and context.height:  # the header's size, before decoding anything
            _check_size(spec.kind, context.width, context.height, min_short_side)
        probe = _Probe(container, spec)
        try:
            duration = probe.run(min_short_side=min_short_side)
        except av.FFmpegError:
            raise EvidenceRejected(
                _INCOMPLETE if spec.kind == "video" else "The picture is damaged."
            ) from None
        if spec.kind == "video":
            if duration is None or duration + 1e-6 < min_duration:
                shown = f"{duration:.1f}" if duration is not None else "of unknown length"
                raise EvidenceRejected(
                    gettext(
                        "The video is %(shown)s seconds long; the terms ask for at least %(min_duration)s seconds showing every step."
                    )
                    % {"shown": shown, "min_duration": f"{min_duration:g}"}
                )
            if probe.distinct < 2:
                raise EvidenceRejected(
                    gettext(
                        "The video shows a single still picture; the terms ask for a continuous "
                        "recording of the phone and every step on it."
                    )
                )
        width, height = probe.frame_size or (context.width, context.height)
        facts = EvidenceFacts(
            kind=spec.kind,
            content_type=spec.content_type,
            width=width,
            height=height,
            duration_seconds=round(duration, 3) if duration is not None else None,
            codec=context.name,
            size_bytes=size,
            recorded_at=_recorded_at(dict(container.metadata), dict(stream.metadata))
            if spec.kind == "video"
            else None,
            distinct_frames=probe.distinct if spec.kind == "video" else 1,
        )
        return facts, spec, probe.poster if spec.kind == "video" else None


def evidence_probe(
    upload: Any, *, min_short_side: int, min_duration: float, allow_image: bool = False
) -> EvidenceFacts:
    """Probe an uploaded file (or any binary file object) without storing it."""
    handle, size, opened = _open_source(upload)
    try:
        return _probe(
            handle,
            size,
            min_short_side=min_short_side,
            min_duration=min_duration,
            allow_image=allow_image,
        )[0]
    finally:
        if opened:
            handle.close()


_POSTER_LONG_SIDE = 960


def _poster_jpeg(frame: av.VideoFrame) -> bytes:
    """The poster frame upright, at most 960 px on its long side, as a baseline JPEG."""
    frame = _upright(frame)
    scale = min(1.0, _POSTER_LONG_SIDE / max(frame.width, frame.height))
    # yuvj420p wants even sides.
    width = max(2, int(frame.width * scale) // 2 * 2)
    height = max(2, int(frame.height * scale) // 2 * 2)
    picture = frame.reformat(width=width, height=height, format="yuvj420p")
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qscale": "4"}
    picture.pts = 0
    return b"".join(bytes(packet) for packet in [*encoder.encode(picture), *encoder.encode(None)])


def _storage() -> Storage:
    return storages[STORAGE_ALIAS]


def evidence_save(
    *,
    storefront,
    upload: Any,
    min_short_side: int,
    min_duration: float,
    allow_image: bool = False,
) -> SavedEvidence:
    """Probe ``upload`` (refusing with ``EvidenceRejected``) and store it, with a poster frame for
    a video, privately in ``storages["evidence"]`` under a random name in the storefront's folder.

    Files are written at once, not on commit: a caller whose transaction then fails should
    remove them with ``evidence_delete`` (they are unreachable either way: no row names them)."""
    handle, size, opened = _open_source(upload)
    try:
        facts, spec, poster_frame = _probe(
            handle,
            size,
            min_short_side=min_short_side,
            min_duration=min_duration,
            allow_image=allow_image,
        )
        poster = _poster_jpeg(poster_frame) if poster_frame is not None else b""
    finally:
        if opened:
            handle.close()
    storage = _storage()
    token = secrets.token_hex(16)
    if hasattr(upload, "seek"):
        upload.seek(0)
    name = storage.save(f"{storefront.slug}/{token}.{spec.ext}", upload)
    if hasattr(upload, "temporary_file_path"):
        # A file system storage moved the temporary file into place; closing the upload now lets
        # Django forget it (its own close tolerates the file being gone).
        upload.close()
    poster_name = ""
    if poster:
        try:
            poster_name = storage.save(f"{storefront.slug}/{token}-poster.jpg", ContentFile(poster))
        except Exception:
            storage.delete(name)
            raise
    log.info(
        "evidence stored: %s (%s %dx%d %s, %s bytes)",
        name,
        facts.codec,
        facts.width,
        facts.height,
        facts.duration_seconds,
        facts.size_bytes,
    )
    return SavedEvidence(name=name, poster_name=poster_name, facts=facts)


def evidence_delete(*, name: str, poster_name: str = "") -> None:
    """Remove stored evidence (and its poster), e.g. when the dispute that named it was not
    saved after all."""
    storage = _storage()
    for stored in (name, poster_name):
        if stored:
            storage.delete(stored)


# --- Serving, with HTTP Range -------------------------------------------------------------------

_RANGE = re.compile(r"^bytes\s*=\s*([0-9]{0,18})\s*-\s*([0-9]{0,18})$", re.ASCII | re.IGNORECASE)
_CHUNK = 64 * 1024


class _Unsatisfiable(Exception):
    pass


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` for a single satisfiable ``bytes=`` range; ``None`` to send the whole
    file (no Range, another unit, or several ranges, which this server does not combine);
    ``_Unsatisfiable`` for a malformed or out-of-file bytes range (RFC 9110 §14)."""
    header = header.strip()
    if not header.lower().startswith("bytes"):
        return None
    if "," in header:
        return None
    match = _RANGE.match(header)
    if not match:
        raise _Unsatisfiable
    first_raw, last_raw = match.groups()
    if first_raw:
        first = int(first_raw)
        last = int(last_raw) if last_raw else size - 1
        if last < first or first >= size:
            raise _Unsatisfiable
        return first, min(last, size - 1)
    if not last_raw or int(last_raw) == 0 or size == 0:
        raise _Unsatisfiable
    return max(0, size - int(last_raw)), size - 1


def _read_range(storage: Storage, name: str, first: int, length: int) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
        handle.seek(first)
        remaining = length
        while remaining > 0:
            data = handle.read(min(_CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def _private_headers(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Even opened directly, the file is never a page: no scripts, no plugins, no framing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def evidence_response(request: HttpRequest, *, name: str, content_type: str) -> HttpResponse:
    """Stream a stored file: 200 whole, 206 for a ``Range`` (so a player can seek), 416 for a
    range outside the file. The caller has already checked who may see it."""
    storage = _storage()
    if not name or not storage.exists(name):
        raise Http404("No such evidence.")
    size = storage.size(name)
    etag = '"' + hashlib.sha256(f"{name}:{size}".encode()).hexdigest()[:32] + '"'
    wanted = request.headers.get("Range", "")
    if wanted and request.headers.get("If-Range", etag).strip() != etag:
        wanted = ""  # the client's copy is another file: send this one whole
    try:
        byte_range = _byte_range(wanted, size) if wanted else None
    except _Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return _private_headers(response)
    first, last = byte_range or (0, size - 1)
    length = max(0, last - first + 1)
    body: Iterator[bytes] | list[bytes] = (
        [] if request.method == "HEAD" or length == 0 else _read_range(storage, name, first, length)
    )
    response = StreamingHttpResponse(
        body, status=206 if byte_range else 200, content_type=content_type
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if byte_range:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    ext = os.path.splitext(name)[1] or ""
    response["Content-Disposition"] = f'inline; filename="evidence{ext}"'
    return _private_headers(response)


def evidence_poster_response(request: HttpRequest, *, name: str) -> HttpResponse:
    """A video's poster frame (JPEG), with the same private headers."""
    return evidence_response(request, name=name, content_type="image/jpeg")
