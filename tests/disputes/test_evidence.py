"""Dispute evidence is checked by the machine, not trusted from the client (IS-9, DS-13): real
clips encoded with PyAV in the test, probed, stored privately, streamed back with HTTP Range."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest
from django.core.files.storage import storages
from django.core.handlers.wsgi import WSGIRequest
from django.core.management import CommandError, call_command
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import include, path

from disputes.evidence import (
    EvidenceRejected,
    evidence_delete,
    evidence_poster_response,
    evidence_probe,
    evidence_response,
    evidence_save,
    evidence_upload_handlers,
    evidence_upload_view,
)
from tests.conftest import RETAIL_HOST
from tests.disputes import clips

ROOT = Path(__file__).resolve().parents[2]
MIN_SHORT_SIDE = 720  # the demo storefronts' evidence_min_video_height (IS-9)
MIN_SECONDS = 2.0
MB = 1024 * 1024  # the storefront caps uploads in these (evidence_max_upload_mb)


@pytest.fixture
def evidence_storage(settings, tmp_path) -> Path:
    return clips.use_evidence_storage(settings, tmp_path / "evidence")


def save(storefront, data: bytes, name: str = "evidence.mp4", **options):
    options.setdefault("min_short_side", MIN_SHORT_SIDE)
    options.setdefault("min_duration", MIN_SECONDS)
    return evidence_save(storefront=storefront, upload=clips.uploaded(data, name), **options)


def refusal(data: bytes, name: str = "evidence.mp4", **options) -> EvidenceRejected:
    options.setdefault("min_short_side", MIN_SHORT_SIDE)
    options.setdefault("min_duration", MIN_SECONDS)
    with pytest.raises(EvidenceRejected) as caught:
        evidence_probe(clips.uploaded(data, name), **options)
    assert caught.value.status == 400
    return caught.value


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- What the probe accepts ---------------------------------------------------------------------


def test_a_1280x720_video_is_accepted_and_stored_privately_with_a_poster(retail, evidence_storage):
    # IS-9: a real video container, short side >= 720, long enough, moving.
    data = clips.video_clip(1280, 720, frames=6, fps=2)

    saved = save(retail, data)

    facts = saved.facts
    assert (facts.kind, facts.content_type, facts.codec) == ("video", "video/mp4", "h264")
    assert (facts.width, facts.height) == (1280, 720)
    assert facts.duration_seconds == pytest.approx(3.0)
    assert facts.size_bytes == len(data)
    assert facts.distinct_frames == 6
    # Stored under the storefront's folder with a random name the client did not choose.
    assert saved.name.startswith("imeiserver/") and saved.name.endswith(".mp4")
    assert "evidence" not in saved.name.split("/", 1)[1]
    stored = evidence_storage / saved.name
    assert stored.read_bytes() == data
    assert stored.stat().st_mode & 0o777 == 0o600
    # A JPEG poster beside it, scaled for the admin page.
    poster = evidence_storage / saved.poster_name
    assert saved.poster_name.startswith("imeiserver/") and saved.poster_name.endswith(".jpg")
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    with av.open(str(poster)) as picture:
        assert (picture.streams.video[0].width, picture.streams.video[0].height) == (960, 540)


def test_two_uploads_of_the_same_file_get_different_names(retail, evidence_storage):
    data = clips.video_clip(1280, 720)
    assert save(retail, data).name != save(retail, data).name


def test_a_portrait_720x1280_phone_video_is_accepted(retail, evidence_storage):
    # IS-9: "720p" is the short side, so an upright phone video of 720×1280 passes.
    saved = save(retail, clips.video_clip(720, 1280))

    assert (saved.facts.width, saved.facts.height) == (720, 1280)


def test_a_phone_video_with_a_rotation_flag_is_measured_and_postered_upright(
    retail, evidence_storage
):
    # IS-9: phones store landscape pixels plus "rotate 90°"; the facts and poster are as seen.
    saved = save(retail, clips.video_clip(1280, 720, rotation=90))

    assert (saved.facts.width, saved.facts.height) == (720, 1280)
    with av.open(str(evidence_storage / saved.poster_name)) as picture:
        stream = picture.streams.video[0]
        assert stream.width < stream.height


def test_webm_is_accepted_and_served_as_webm_with_its_recording_time(retail, evidence_storage):
    recorded = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=5)
    saved = save(retail, clips.video_clip(1280, 720, fmt="webm", recorded_at=recorded))

    assert saved.facts.content_type == "video/webm"
    assert saved.facts.codec == "vp8"
    assert saved.name.endswith(".webm")
    assert saved.facts.recorded_at == recorded


def test_a_video_held_in_memory_is_probed_the_same(retail, evidence_storage):
    data = clips.video_clip(1280, 720)
    saved = evidence_save(
        storefront=retail,
        upload=clips.in_memory(data),
        min_short_side=MIN_SHORT_SIDE,
        min_duration=MIN_SECONDS,
    )
    assert (evidence_storage / saved.name).read_bytes() == data


def test_a_picture_is_accepted_where_pictures_are_allowed(retail, evidence_storage):
    # Messages may carry a picture, "probed the same way".
    saved = save(retail, clips.jpeg_image(1280, 720), name="screen.jpg", allow_image=True)

    assert (saved.facts.kind, saved.facts.content_type) == ("image", "image/jpeg")
    assert (saved.facts.width, saved.facts.height, saved.facts.duration_seconds) == (
        1280,
        720,
        None,
    )
    assert saved.poster_name == ""
    assert saved.name.endswith(".jpg")


# --- What it refuses, and why -------------------------------------------------------------------


def test_an_854x480_video_is_refused_as_480p_and_nothing_is_stored(retail, evidence_storage):
    # IS-9: at least 720p.
    with pytest.raises(EvidenceRejected) as caught:
        save(retail, clips.video_clip(854, 480))

    assert "The video is 480p; the terms ask for at least 720p." in caught.value.message
    assert stored_files(evidence_storage) == []


def test_a_one_frame_still_is_refused(evidence_storage):
    # IS-9 / DS-13: a continuous recording, not a photo dressed as a video.
    error = refusal(clips.video_clip(1280, 720, frames=1), min_duration=0)

    assert "single still picture" in error.message


def test_the_same_picture_repeated_for_seconds_is_refused_as_a_still(evidence_storage):
    # IS-9 / DS-13: many frames, one picture.
    error = refusal(clips.video_clip(1280, 720, frames=6, moving=False))

    assert "single still picture" in error.message


def test_a_video_shorter_than_the_minimum_is_refused_with_its_length():
    error = refusal(clips.video_clip(1280, 720, frames=3, fps=2), min_duration=2)

    assert "The video is 1.5 seconds long; the terms ask for at least 2 seconds" in error.message


def test_a_jpeg_renamed_mp4_is_refused():
    # IS-9: the client's file name and content type are not trusted; the bytes are a JPEG.
    error = refusal(clips.jpeg_image(1280, 720), name="evidence.mp4")

    assert "This file is a JPEG picture, not a video." in error.message


@pytest.mark.parametrize(
    ("clip", "keep"),
    [
        pytest.param({"fmt": "mp4"}, 0.5, id="mp4-index-at-the-end"),
        pytest.param({"fmt": "mp4", "faststart": True}, 0.6, id="mp4-index-first"),
        pytest.param({"fmt": "webm"}, 0.6, id="webm"),
    ],
)
def test_a_truncated_file_is_refused(clip, keep):
    # IS-9: a file cut off on the way (or on purpose) is not a whole recording.
    error = refusal(clips.truncated(clips.video_clip(1280, 720, frames=6, **clip), keep=keep))

    assert "damaged or incomplete" in error.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(
            b"<html><script>alert(1)</script></html>", "not a video we can check", id="html"
        ),
        pytest.param(b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "not a video", id="playlist"),
    ],
)
def test_files_that_are_not_videos_are_refused(data, expected):
    assert expected in refusal(data).message


def test_a_png_is_refused_where_only_video_is_allowed():
    assert "PNG picture, not a video" in refusal(clips.png_image(), name="x.png").message


def test_a_picture_below_the_minimum_is_refused_in_pixels():
    error = refusal(clips.jpeg_image(640, 480), name="x.jpg", allow_image=True)

    assert "The picture is 640×480" in error.message


def test_a_video_larger_than_8k_is_refused_before_decoding(settings):
    settings.EVIDENCE_MAX_LONG_SIDE = 1000
    error = refusal(clips.video_clip(1280, 720, frames=2))

    assert "larger than we can check" in error.message


def test_evidence_delete_removes_the_video_and_its_poster(retail, evidence_storage):
    saved = save(retail, clips.video_clip(1280, 720))

    evidence_delete(name=saved.name, poster_name=saved.poster_name)

    assert stored_files(evidence_storage) == []


# --- Uploads: capped, streamed to disk, never read whole ---------------------------------------


class CountingInput(io.BytesIO):
    """A request body that counts the bytes the application reads from it."""

    bytes_read = 0

    def read(self, size=-1, /):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size=-1, /):
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def multipart_request(files: dict, *, content_length: int | None = None):
    body = encode_multipart(BOUNDARY, {"reason": "code_not_accepted", **files})
    wire = CountingInput(body)
    environ = RequestFactory().generic("POST", "/upload/").environ
    environ.update(
        {
            "wsgi.input": wire,
            "CONTENT_TYPE": MULTIPART_CONTENT,
            "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
        }
    )
    return WSGIRequest(environ), wire, len(body)


def test_an_upload_under_the_cap_is_streamed_to_a_file_on_disk(retail, evidence_storage):
    data = clips.video_clip(1280, 720)
    request, wire, total = multipart_request({"video": clips.in_memory(data)})

    evidence_upload_handlers(request, max_bytes=len(data))
    upload = request.FILES["video"]

    assert wire.bytes_read == total
    # On disk even though small: never held whole in memory.
    assert Path(upload.temporary_file_path()).read_bytes() == data
    assert request.POST["reason"] == "code_not_accepted"
    saved = evidence_save(
        storefront=retail, upload=upload, min_short_side=MIN_SHORT_SIDE, min_duration=MIN_SECONDS
    )
    assert (evidence_storage / saved.name).read_bytes() == data


def test_an_upload_one_byte_over_the_cap_is_refused(settings):
    data = clips.video_clip(1280, 720)
    request, _, _ = multipart_request({"video": clips.in_memory(data)})

    evidence_upload_handlers(request, max_bytes=len(data) - 1)
    with pytest.raises(EvidenceRejected) as caught:
        request.FILES  # noqa: B018 (reading it parses the body)

    assert caught.value.status == 413


def test_an_oversize_upload_is_refused_before_a_byte_is_read():
    # The Content-Length says it all: nothing of the body is read.
    request, wire, _ = multipart_request({"video": clips.in_memory(b"\0" * 3 * MB)})

    with pytest.raises(EvidenceRejected) as caught:
        evidence_upload_handlers(request, max_bytes=MB)

    assert caught.value.status == 413
    assert "larger than 1 MB" in caught.value.message
    assert wire.bytes_read == 0


def test_an_oversize_upload_is_stopped_at_the_cap_without_being_read_whole(settings, tmp_path):
    # A Content-Length the precheck lets through (here: a generous allowance for the other
    # fields) still cannot carry more file than the cap: the handler stops the upload there,
    # and the temporary file it had written is removed.
    settings.EVIDENCE_FORM_ALLOWANCE_BYTES = 8 * MB
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    cap = MB
    request, wire, total = multipart_request({"video": clips.in_memory(b"\0" * 3 * MB)})

    evidence_upload_handlers(request, max_bytes=cap)
    with pytest.raises(EvidenceRejected) as caught:
        request.POST  # noqa: B018 (reading it parses the body)

    assert caught.value.status == 413
    assert wire.bytes_read < cap + 200_000 < total
    assert list(tmp_path.iterdir()) == []


# The view pattern the disputes app uses, through the real middleware (CSRF included).
@evidence_upload_view(lambda request: MB)
def upload_view(request):
    if request.method != "POST":
        return HttpResponse(get_token(request))
    saved = evidence_save(
        storefront=request.storefront,
        upload=request.FILES["video"],
        min_short_side=MIN_SHORT_SIDE,
        min_duration=MIN_SECONDS,
    )
    return JsonResponse({"name": saved.name, "height": saved.facts.height})


urlpatterns = [path("evidence-upload/", upload_view), path("", include("config.urls"))]


@pytest.fixture
def csrf_client(retail):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=RETAIL_HOST)
    token = client.get("/evidence-upload/").content.decode()
    return client, token


@pytest.mark.urls("tests.disputes.test_evidence")
def test_the_upload_view_pattern_keeps_csrf_and_answers_each_case(csrf_client, evidence_storage):
    client, token = csrf_client
    video = clips.video_clip(1280, 720)

    def post(data: bytes, **fields):
        return client.post("/evidence-upload/", {"video": clips.in_memory(data), **fields})

    assert post(video).status_code == 403

    accepted = post(video, csrfmiddlewaretoken=token)
    assert accepted.status_code == 200
    assert accepted.json()["height"] == 720

    refused = post(clips.video_clip(854, 480), csrfmiddlewaretoken=token)
    assert refused.status_code == 400
    assert "The video is 480p; the terms ask for at least 720p." in refused.content.decode()

    too_big = post(b"\0" * (MB + 1), csrfmiddlewaretoken=token)
    assert too_big.status_code == 413
    assert "larger than 1 MB" in too_big.content.decode()


# --- Serving with HTTP Range --------------------------------------------------------------------


@pytest.fixture
def stored(evidence_storage):
    data = bytes(range(256)) * 40  # 10 240 bytes
    name = storages["evidence"].save("imeiserver/0123abcd.mp4", io.BytesIO(data))
    return name, data


def serve(name, **headers):
    request = RequestFactory().get("/evidence/", headers=headers)
    return evidence_response(request, name=name, content_type="video/mp4")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_file_is_served_privately_with_nosniff(stored):
    name, data = stored
    response = serve(name)

    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 10239),
        ("bytes=-50", 10190, 10239),
        ("bytes=10000-20000", 10000, 10239),
        ("Bytes = 5-5", 5, 5),
    ],
)
def test_a_range_request_gets_206_with_exactly_those_bytes(stored, header, first, last):
    # The admin's player seeks with these.
    name, data = stored
    response = serve(name, Range=header)

    assert response.status_code == 206
    assert body(response) == data[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "header", ["bytes=10240-", "bytes=99999-100000", "bytes=50-10", "bytes=-0", "bytes=x-y"]
)
def test_a_range_outside_the_file_or_malformed_gets_416(stored, header):
    name, data = stored
    response = serve(name, Range=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_several_ranges_or_a_stale_if_range_get_the_whole_file(stored):
    name, data = stored
    several = serve(name, Range="bytes=0-1,5-6")
    stale = serve(name, Range="bytes=0-1", If_Range='"another-version"')
    current = serve(name, Range="bytes=0-1", If_Range=serve(name)["ETag"])

    assert (several.status_code, body(several)) == (200, data)
    assert (stale.status_code, body(stale)) == (200, data)
    assert (current.status_code, body(current)) == (206, data[:2])


def test_head_answers_headers_only(stored):
    name, data = stored
    response = evidence_response(
        RequestFactory().head("/evidence/"), name=name, content_type="video/mp4"
    )
    assert response["Content-Length"] == str(len(data))
    assert body(response) == b""


def test_a_name_not_in_storage_is_404(evidence_storage):
    with pytest.raises(Http404):
        serve("imeiserver/missing.mp4")
    with pytest.raises(Http404):
        serve("")


def test_the_poster_is_served_as_jpeg(retail, evidence_storage):
    saved = save(retail, clips.video_clip(1280, 720))
    response = evidence_poster_response(RequestFactory().get("/poster/"), name=saved.poster_name)

    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response)[:3] == b"\xff\xd8\xff"


# --- Settings and the demo command --------------------------------------------------------------


def _settings_in_subprocess(tmp_path, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCE_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="development",
        VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
        **env_extra,
    )
    code = (
        "import json; from django.conf import settings as s\n"
        "print(json.dumps({'evidence': s.STORAGES['evidence'], 'public': [str(p) for p in "
        "[s.MEDIA_ROOT, s.STATIC_ROOT, *s.STATICFILES_DIRS]]}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_evidence_is_stored_privately_under_var_by_default(tmp_path):
    result = _settings_in_subprocess(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    options = answer["evidence"]["OPTIONS"]

    assert answer["evidence"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert Path(options["location"]) == tmp_path / "var" / "evidence"
    for public in answer["public"]:
        assert not Path(options["location"]).is_relative_to(public)
    assert (options["file_permissions_mode"], options["directory_permissions_mode"]) == (
        0o600,
        0o700,
    )
    assert not (tmp_path / "var").exists()  # made on the first save, not at import


def test_production_points_evidence_at_object_storage_by_configuration_alone(tmp_path):
    options = {"bucket_name": "unlock-evidence", "default_acl": "private"}
    result = _settings_in_subprocess(
        tmp_path,
        EVIDENCE_STORAGE_BACKEND="storages.backends.s3.S3Storage",
        EVIDENCE_STORAGE_OPTIONS=json.dumps(options),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["evidence"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": options,
    }
    assert not (tmp_path / "var").exists()  # nothing made at import

    broken = _settings_in_subprocess(tmp_path, EVIDENCE_STORAGE_OPTIONS="{bucket")
    assert broken.returncode != 0
    assert "EVIDENCE_STORAGE_OPTIONS is not valid JSON" in broken.stderr


def test_the_demo_command_writes_a_720p_video_the_probe_accepts(tmp_path):
    target = tmp_path / "demo.mp4"
    out = io.StringIO()

    call_command("evidence_demo_video", str(target), "--seconds", "1", "--fps", "6", stdout=out)

    assert "accepts it: 1280×720" in out.getvalue()
    with target.open("rb") as handle:
        facts = evidence_probe(handle, min_short_side=720, min_duration=1)
    assert (facts.width, facts.height, facts.content_type) == (1280, 720, "video/mp4")
    assert facts.recorded_at is not None


def test_the_demo_command_makes_a_480p_video_to_show_the_refusal(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    arguments = ["--height", "480", "--seconds", "1", "--fps", "4"]

    call_command("evidence_demo_video", *arguments, stdout=out)
    call_command("evidence_demo_video", *arguments, stdout=out)  # the default file is replaced

    assert (tmp_path / "demo-videos" / "evidence-demo-480p.mp4").exists()
    assert "854×480" in out.getvalue()
    assert "refuses it: The video is 480p; the terms ask for at least 720p." in out.getvalue()


def test_the_demo_command_keeps_a_file_it_was_pointed_at(tmp_path):
    target = tmp_path / "mine.mp4"
    target.write_bytes(b"keep me")

    with pytest.raises(CommandError, match="exists; pass --force"):
        call_command("evidence_demo_video", str(target), stdout=io.StringIO())
    assert target.read_bytes() == b"keep me"
