"""Your own videos, measured as a player shows them: turned by their display matrix, timed from their first frame.

The clips are built here with ffmpeg (and a display matrix patched into an mp4's track
header, which ffmpeg 5.1 cannot write): phone-style turned clips, clips whose timestamps
start at 10 s (with their sound starting earlier or later than the picture), a variable
frame rate clip with held frames, odd sizes, 10-bit 4:4:4, non-square pixels, a 0.1 s clip.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omnisynth.datasets.verify import verify
from omnisynth.generators.clips.generator import VideoCorpusGenerator
from omnisynth.generators.errors import InputError
from omnisynth.schemas.recipe import load_recipe
from omnisynth.schemas.truth import SampleSpec

FF = ["ffmpeg", "-v", "error", "-y"]
H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
RED_CORNER = "color=blue:s=320x180:r=25:d=2,drawbox=x=0:y=0:w=80:h=45:color=red:t=fill"
# a display matrix's rotation (ffprobe's sign, counter-clockwise; -90 and 270 are one matrix) -> where the red
# top-left corner is on screen: (right half?, bottom half?)
TURNS = {-90: (True, False), 90: (False, True), 180: (True, True), 270: (True, False)}
TWO_COLOURS = ("color=red:s=160x120:r=25:d=2[a];color=blue:s=160x120:r=25:d=2[b];[a][b]concat=n=2:v=1:a=0,"
               "drawbox=w=12:h=12:color=black:t=fill")  # a mark: a plain colour is quarantined as a blank image
BEEP = "aevalsrc='0.5*sin(2*PI*880*t)*between(t,{0},{1})':s=44100:d=4.5"
# held frames: 25 red at 25 fps (0-0.96 s), one green at 1 s, one blue at 2 s, 25 white from 3 s (to 4 s)
VFR = ("color=black:s=64x48:r=25:d=2.08,geq=r='if(lt(N,25),255,if(lt(N,27),0,255))':g='if(eq(N,25)+gte(N,27),255,0)'"
       ":b='if(eq(N,26)+gte(N,27),255,0)',drawbox=w=8:h=8:t=fill,settb=1/1000,"
       "setpts='if(lt(N,25),N*0.04,if(eq(N,25),1,if(eq(N,26),2,3+(N-27)*0.04)))/TB'")


def _ff(*args) -> None:
    subprocess.run([*FF, *args], check=True, capture_output=True)


def _probe(path: Path) -> dict:
    return json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                                      str(path)], check=True, capture_output=True).stdout)


def _turn(path: Path, degrees: int) -> None:
    """Write ffprobe's `rotation: degrees` into the first track's tkhd matrix (version 0), as a phone does."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd") - 4 + 48
    c, s = round(math.cos(math.radians(degrees))), round(math.sin(math.radians(degrees)))
    assert data[at:at + 36] == struct.pack(">9i", 65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)
    data[at:at + 36] = struct.pack(">9i", c * 65536, -s * 65536, 0, s * 65536, c * 65536, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("videos")
    for deg in TURNS:
        name = d / f"turned_{deg}.mp4".replace("-", "m")
        _ff("-f", "lavfi", "-i", RED_CORNER, *H264, str(name))
        _turn(name, deg)
    two, beep = ["-f", "lavfi", "-i", TWO_COLOURS], ["-f", "lavfi", "-i"]
    _ff(*two, *beep, BEEP.format(1, 1.5), "-t", "4", *H264, "-c:a", "aac", "-output_ts_offset", "10", str(d / "late.mkv"))
    _ff(*two, *beep, BEEP.format(1, 1.5), "-t", "4", *H264, "-c:a", "aac", "-output_ts_offset", "10", str(d / "late.mp4"))
    # sound starting 0.5 s after the picture, and 0.32 s before it: the beep is at 1.0-1.5 s of the picture
    _ff(*two, "-itsoffset", "0.5", *beep, BEEP.format(0.5, 1), "-t", "4", *H264, "-c:a", "aac", "-output_ts_offset", "10",
        str(d / "sound_after.mkv"))
    _ff("-itsoffset", "0.32", *two, *beep, BEEP.format(1.32, 1.82), "-t", "4.32", *H264, "-c:a", "aac",
        "-fps_mode", "passthrough", "-output_ts_offset", "10", str(d / "sound_before.mp4"))
    _ff("-f", "lavfi", "-i", VFR, *H264, "-fps_mode", "passthrough", str(d / "held.mp4"))
    _ff("-f", "lavfi", "-i", "testsrc=size=321x241:rate=25:duration=2", "-c:v", "libvpx-vp9", "-deadline", "realtime",
        "-cpu-used", "8", "-b:v", "200k", str(d / "odd.webm"))
    _ff("-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=2", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv444p10le", str(d / "ten_bit.mp4"))
    _ff("-f", "lavfi", "-i", "testsrc=size=176x144:rate=25:duration=2,setsar=12/11", *H264, str(d / "anamorphic.mp4"))
    _ff("-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=0.1", "-f", "lavfi", "-i", "sine=duration=0.1",
        *H264, "-c:a", "aac", str(d / "tiny.mp4"))
    _ff("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i", "sine=duration=2",
        *H264, "-c:a", "aac", str(d / "plain.mp4"))
    return d


@pytest.fixture(scope="module")
def rendered(videos) -> dict:
    """file name -> (members, truth) or the InputError, each clip rendered once with frames, wav and mp4."""
    from omnisynth.datasets.store import as_store
    from omnisynth.pipelines.runner import take_corpus_inventory

    recipe = load_recipe("video_corpus_caption", [("generator.path", str(videos)),
                                                  ("generator.media", ["frames", "wav", "mp4"])])
    inventory = take_corpus_inventory(recipe, as_store(videos.parent / "no-output"))
    gen = VideoCorpusGenerator.from_recipe(recipe, inventory)
    out = {}
    for i in range(inventory.units):
        spec = SampleSpec(recipe.name, 0, i, 0)
        try:
            out[gen.source(spec)["path"]] = gen.render(spec)
        except InputError as exc:
            out[gen.source(spec)["path"]] = exc
    return out


def _image(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(data)).convert("RGB"), dtype=np.float32)


def _colour(data: bytes) -> str:
    r, g, b = (_image(data).reshape(-1, 3).mean(axis=0) > 128)
    return {(1, 0, 0): "red", (0, 1, 0): "green", (0, 0, 1): "blue", (1, 1, 1): "white"}[(int(r), int(g), int(b))]


def _frames(members, truth) -> list[tuple[float, dict, bytes]]:
    return [(m["time_s"], m, members[m["member"]]) for m in truth.clip.media if m["modality"] == "image"]


def _entry(truth, member: str) -> dict:
    return next(m for m in truth.clip.media if m["member"] == member)


def _held(members, tmp_path, name="x.mp4") -> dict:
    (tmp_path / name).write_bytes(members["mp4"])
    probe = _probe(tmp_path / name)
    return next(s for s in probe["streams"] if s["codec_type"] == "video") | {"format": probe["format"]}


@pytest.mark.parametrize("degrees", sorted(TURNS))
def test_a_turned_clip_gives_upright_frames_and_says_their_size(rendered, videos, degrees, tmp_path):
    name = f"turned_{degrees}.mp4".replace("-", "m")
    turns = [s.get("rotation") % 360 for s in _probe(videos / name)["streams"][0]["side_data_list"]]
    assert turns == [degrees % 360]  # built as meant
    members, truth = rendered[name]
    size = (180, 320) if degrees % 180 else (320, 180)
    assert (truth.clip.info["width"], truth.clip.info["height"]) == size  # the answer's "180x320 video"
    right, bottom = TURNS[degrees]
    for _, entry, jpg in _frames(members, truth):
        assert (entry["width"], entry["height"]) == Image.open(BytesIO(jpg)).size == size
        red = np.argwhere((_image(jpg)[..., 0] > 160) & (_image(jpg)[..., 2] < 96))
        (y, x), (h, w) = red.mean(axis=0), size[::-1]
        assert (x > w / 2, y > h / 2) == (right, bottom) and len(red) > 0.8 * 80 * 45
    held = _held(members, tmp_path)  # the mp4 member is upright too, and says so
    assert (held["width"], held["height"]) == size and not held.get("side_data_list")
    assert (_entry(truth, "mp4")["width"], _entry(truth, "mp4")["height"]) == size
    assert truth.clip.info["rotation"] == degrees % 360


@pytest.mark.parametrize("name", ["late.mkv", "late.mp4", "sound_after.mkv", "sound_before.mp4"])
def test_timestamps_that_start_late_count_from_the_first_frame(rendered, videos, name, tmp_path):
    streams = {s["codec_type"]: float(s["start_time"]) for s in _probe(videos / name)["streams"]}
    assert streams["video"] >= 10.0 and abs(streams["audio"] - streams["video"]) < 0.6  # built as meant
    members, truth = rendered[name]
    assert truth.meta["duration_s"] == truth.clip.duration == 4.0
    frames = _frames(members, truth)
    assert [t for t, _, _ in frames] == [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75]
    assert [_colour(jpg) for _, _, jpg in frames] == ["red"] * 4 + ["blue"] * 4
    assert [(e.kind, e.start) for e in truth.clip.events if e.modality == "visual"] == [("scene_change", 2.0)]
    sounds = [e for e in truth.clip.events if e.kind == "sound"]
    window = 0.05 + 1e-9  # sound is measured in 50 ms windows
    assert len(sounds) == 1 and abs(sounds[0].start - 1.0) <= window and abs(sounds[0].end - 1.5) <= window
    held = _held(members, tmp_path)  # re-encoded on the frames' clock
    assert float(held["start_time"]) == 0.0 and abs(float(held["duration"]) - 4.0) < 0.05
    assert _entry(truth, "mp4")["duration_s"] == 4.0


def test_variable_frame_rates_give_the_frame_on_screen_at_each_time(rendered):
    members, truth = rendered["held.mp4"]
    frames = _frames(members, truth)
    assert truth.clip.duration == 4.0 and [t for t, _, _ in frames] == [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75]
    # at 1.25 s and 1.75 s the green frame of 1 s is still shown: the next frame comes at 2 s
    assert [_colour(jpg) for _, _, jpg in frames] == ["red", "red", "green", "green", "blue", "blue", "white", "white"]
    assert truth.clip.info["shot_changes"] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("name,frame_size,mp4_size", [("odd.webm", (321, 241), (322, 242)),
                                                       ("ten_bit.mp4", (320, 240), (320, 240)),
                                                       ("anamorphic.mp4", (192, 144), (192, 144))])
def test_any_size_and_pixel_format_gives_an_h264_mp4_member_that_its_entry_describes(rendered, name, frame_size,
                                                                                     mp4_size, tmp_path):
    members, truth = rendered[name]
    assert {(m["width"], m["height"]) for _, m, _ in _frames(members, truth)} == {frame_size}
    assert {Image.open(BytesIO(jpg)).size for _, _, jpg in _frames(members, truth)} == {frame_size}
    held = _held(members, tmp_path)
    assert (held["codec_name"], held["pix_fmt"], held["width"], held["height"]) == ("h264", "yuv420p", *mp4_size)
    assert held.get("sample_aspect_ratio", "1:1") in ("1:1", "N/A")
    entry = _entry(truth, "mp4")
    assert (entry["width"], entry["height"], entry["duration_s"]) == (*mp4_size, 2.0)  # no sound: the picture's length
    assert truth.clip.duration == 2.0 and _entry(truth, "wav")["duration_s"] == 0.0


def test_a_tenth_of_a_second_clip_is_described_with_all_its_frames(rendered):
    members, truth = rendered["tiny.mp4"]
    assert truth.clip.duration == 0.1
    assert [t for t, _, _ in _frames(members, truth)] == [round((k + 0.5) * 0.1 / 8, 3) for k in range(8)]
    assert _entry(truth, "mp4")["duration_s"] == 0.1


def test_an_mp4_that_players_read_as_we_measured_travels_byte_for_byte(rendered, videos):
    members, truth = rendered["plain.mp4"]
    assert members["mp4"] == (videos / "plain.mp4").read_bytes()
    assert (_entry(truth, "mp4")["width"], _entry(truth, "mp4")["height"], _entry(truth, "mp4")["duration_s"]) == \
        (320, 240, 2.0)
    assert members["mp4"] != (videos / "late.mp4").read_bytes() and rendered["late.mp4"][0]["mp4"] != \
        (videos / "late.mp4").read_bytes()  # starts at 10 s: re-encoded


@pytest.mark.slow
def test_the_pipeline_keeps_them_all_and_verify_checks_sizes_against_the_members(run_recipe, videos, tmp_path):
    out, summary = run_recipe("video_corpus_caption", num_samples="all", generator__path=str(videos),
                              generator__media=["frames", "wav", "mp4"])
    assert summary.kept == len(list(videos.iterdir())) and summary.rejected == 0
    assert verify(out).errors == []
    with tarfile.open(next((out / "shards").glob("*.tar"))) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    samples = {json.loads(v)["meta"]["source"]: (k[:-5], json.loads(v)) for k, v in files.items() if k.endswith(".json")}
    key, turned = samples["turned_m90.mp4"]
    assert turned["answer"].startswith("A 2.0-second 180x320 video")
    assert samples["late.mkv"][1]["answer"].startswith("A 4.0-second 160x120 video with sound.")
    # a sample whose entry misstates its frame's size fails verify
    from omnisynth.datasets.verify import VerifyReport, _check_sample
    from omnisynth.schemas import load_sample_schema
    import jsonschema

    turned["media"][0]["width"], turned["media"][0]["height"] = 320, 180
    members = {k[len(key) + 1:]: v for k, v in files.items() if k.startswith(key + ".")} | {
        "json": json.dumps(turned).encode()}
    report = VerifyReport()
    _check_sample("s", key, members, jsonschema.Draft202012Validator(load_sample_schema()), report)
    assert report.errors == ["s.f00.jpg: media entry says 320x180 pixels, the member decodes to 180x320"]
