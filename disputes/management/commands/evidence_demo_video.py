"""Write a real video to upload as dispute evidence on the demo: FFmpeg's moving test card,
encoded with PyAV (H.264 in MP4, or VP8 in WebM), 720p and 3 seconds by default.

    python manage.py evidence_demo_video                     # var/demo-videos/evidence-demo-720p.mp4
    python manage.py evidence_demo_video --height 480        # one the 720p rule refuses (IS-9)
    python manage.py evidence_demo_video --portrait out.mp4  # 720×1280, as a phone films upright

It then probes the file the way the upload does and says whether a 720p storefront takes it.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from pathlib import Path

import av
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disputes.evidence import EvidenceRejected, evidence_probe

ENCODERS = {
    "mp4": ("libx264", {"preset": "veryfast", "crf": "28"}),
    "webm": ("libvpx", {"deadline": "realtime", "cpu-used": "8", "b": "1500k"}),
}


def _even(value: int) -> int:
    return max(2, value // 2 * 2)


class Command(BaseCommand):
    help = "Write a short, real video (720p by default) to upload as dispute evidence."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="where to write it (default: var/demo-videos/evidence-demo-<height>p.<format>)",
        )
        parser.add_argument(
            "--height", type=int, default=720, help="the short side in pixels (default 720)"
        )
        parser.add_argument("--seconds", type=float, default=3.0, help="length (default 3)")
        parser.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
        parser.add_argument(
            "--portrait", action="store_true", help="upright phone video (e.g. 720×1280)"
        )
        parser.add_argument("--format", choices=sorted(ENCODERS), default="mp4")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args, **options):
        height, fps, seconds, fmt = (
            options["height"],
            options["fps"],
            options["seconds"],
            options["format"],
        )
        if not 144 <= height <= 2160:
            raise CommandError("--height must be between 144 and 2160.")
        if not 1 <= fps <= 60:
            raise CommandError("--fps must be between 1 and 60.")
        if not 0.5 <= seconds <= 60:
            raise CommandError("--seconds must be between 0.5 and 60.")
        short, long = _even(height), _even(math.ceil(height * 16 / 9 / 2) * 2)  # 480 -> 854
        width, height = (short, long) if options["portrait"] else (long, short)
        default = Path(settings.VAR_DIR) / "demo-videos" / f"evidence-demo-{short}p.{fmt}"
        path = Path(options["path"]) if options["path"] else default
        if path.exists() and options["path"] and not options["force"]:  # the default is ours
            raise CommandError(f"{path} exists; pass --force to overwrite it.")
        path.parent.mkdir(parents=True, exist_ok=True)
        frames = max(1, round(seconds * fps))
        self._write(path, width=width, height=height, fps=fps, frames=frames, fmt=fmt)

        self.stdout.write(
            f"Wrote {path.resolve()} ({width}×{height}, {frames / fps:g} s, {path.stat().st_size:,} bytes)."
        )
        try:
            with path.open("rb") as handle:
                facts = evidence_probe(handle, min_short_side=720, min_duration=1.0)
        except EvidenceRejected as refusal:
            self.stdout.write(f"A storefront asking for 720p refuses it: {refusal.message}")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"A storefront asking for 720p accepts it: {facts.width}×{facts.height}, "
                    f"{facts.duration_seconds:g} s, {facts.codec}, {facts.distinct_frames} distinct "
                    "frames. Upload it when you open a dispute on a completed order."
                )
            )

    def _write(
        self, path: Path, *, width: int, height: int, fps: int, frames: int, fmt: str
    ) -> None:
        codec, codec_options = ENCODERS[fmt]
        graph = av.filter.Graph()
        source = graph.add("testsrc2", f"size={width}x{height}:rate={fps}")
        graph.link_nodes(
            source, graph.add("format", "yuv420p"), graph.add("buffersink")
        ).configure()
        container_options = {"movflags": "+faststart"} if fmt == "mp4" else {}
        with av.open(str(path), "w", format=fmt, options=container_options) as out:
            out.metadata["creation_time"] = dt.datetime.now(dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.000000Z"
            )
            stream = out.add_stream(codec, rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = dict(codec_options)
            for index in range(frames):
                frame = graph.vpull()
                frame.pts, frame.time_base = index, Fraction(1, fps)
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
