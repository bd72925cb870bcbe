"""Library, composer and calendar tests: real files made by Pillow and ffmpeg, the real
database, the sandbox over HTTP and the engine in-process (fixtures from tests/publishing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

from tests.publishing.conftest import media_app, publish_env  # noqa: F401  (fixtures)


def make_image(path: Path, size=(1080, 1350), fmt="JPEG", color=(220, 90, 60)) -> Path:
    Image.new("RGB", size, color).save(path, fmt)
    return path


def make_video(path: Path, size=(640, 360), seconds=4, rate=30) -> Path:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size={size[0]}x{size[1]}:rate={rate}",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-movflags",
            "+faststart",
            str(path),
        ],  # fmt: skip
        check=True,
        timeout=120,
    )
    return path


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """Files made once per session: a portrait photo, a wide photo, a landscape and a vertical video."""
    d = tmp_path_factory.mktemp("library-media")
    make_image(d / "portrait.jpg")
    make_image(d / "wide.jpg", size=(2000, 500), color=(40, 120, 200))
    make_image(d / "square.png", size=(800, 800), fmt="PNG")
    make_video(d / "landscape.mp4")
    make_video(d / "vertical.mp4", size=(360, 640), seconds=5)
    return d
