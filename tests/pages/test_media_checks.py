"""Upload checks: the type comes from the content, every file is decoded, nothing is stored
for a rejected file, stored files are named by their hash with a preview."""

from __future__ import annotations

import shutil

import pytest
from sqlmodel import select

from socialhub.models import LibraryItem, MediaFile
from socialhub.services import library, media
from socialhub.services.media import MediaError
from socialhub.services.media_probe import inspect
from tests.connections.conftest import make_user

# A sentence for the creator, not the decoder's own words.
UNREADABLE = r"cannot be read: it is damaged, cut short or not really an image\.$"


def test_image_and_video_are_read_from_their_content(media_dir):
    photo = inspect(media_dir / "portrait.jpg", name="portrait.jpg")
    assert (photo.kind, photo.sniffed.mime_type, photo.width, photo.height) == (
        "image",
        "image/jpeg",
        1080,
        1350,
    )
    clip = inspect(media_dir / "landscape.mp4", name="landscape.mp4")
    assert (clip.kind, clip.width, clip.height, clip.codec) == ("video", 640, 360, "h264")
    assert clip.frame_rate == pytest.approx(30) and clip.duration_seconds == pytest.approx(4, abs=0.1)


def test_a_png_named_jpg_is_a_png(media_dir, tmp_path):
    renamed = shutil.copy(media_dir / "square.png", tmp_path / "holiday.jpg")
    assert inspect(renamed, name="holiday.jpg").sniffed.mime_type == "image/png"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"\xff\xd8\xff\xe0" + b"this is not really a jpeg" * 40, UNREADABLE),
        (b"%PDF-1.7 a document", "is not a JPEG"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), UNREADABLE),
    ],
    ids=["zero-byte", "fake-jpeg", "pdf", "png-header-only"],
)
def test_bad_files_get_a_sentence(tmp_path, content, words):
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)
    with pytest.raises(MediaError, match=words) as exc:
        inspect(path, name="upload.jpg")
    assert "upload.jpg" in str(exc.value)


def test_truncated_image_and_video_are_refused(media_dir, tmp_path):
    data = (media_dir / "portrait.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="cannot be read"):
        inspect(tmp_path / "cut.jpg", name="cut.jpg")
    clip = (media_dir / "landscape.mp4").read_bytes()
    for name, cut in {"head.mp4": clip[:3000], "tail.mp4": clip[: int(len(clip) * 0.6)]}.items():
        (tmp_path / name).write_bytes(cut)
        with pytest.raises(MediaError, match="cut short|damaged"):
            inspect(tmp_path / name, name=name)


def test_over_size_is_refused_before_reading(media_dir):
    with pytest.raises(MediaError, match=r"limit here is 0 MB|limit here is"):
        inspect(media_dir / "landscape.mp4", name="landscape.mp4", max_bytes=1000)


def test_a_tiny_image_is_refused(tmp_path):
    from tests.pages.conftest import make_image

    with pytest.raises(MediaError, match="at least 32"):
        inspect(make_image(tmp_path / "icon.png", size=(16, 16), fmt="PNG"), name="icon.png")


def test_stored_by_hash_with_preview_and_nothing_for_a_rejected_file(db, media_dir, tmp_path):
    user = make_user(db)
    item = library.create_item(db, user_id=user.id, title="", caption="Sunset", tags="#Travel, beach")
    for name in ("portrait.jpg", "landscape.mp4"):
        src = media_dir / name
        library.add_media(
            db, user_id=user.id, item_id=item.id, src=src, info=inspect(src, name=name), original_name=name
        )
    db.commit()
    files = db.exec(select(MediaFile).order_by(MediaFile.position)).all()
    assert [f.position for f in files] == [0, 1]
    for f in files:
        stored = media.absolute_path(f)
        assert stored.exists() and f.original_name not in str(stored)
        assert len(stored.stem) == 64  # the SHA-256 of the content
        assert media.preview_data_uri(f).startswith("data:image/jpeg;base64,")
    assert item.title == "portrait" and item.tags == ["travel", "beach"]
    # A rejected upload leaves no row and no file.
    before = sorted(p.name for p in media.media_root().rglob("*"))
    bad = tmp_path / "fake.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not an image" * 10)
    with pytest.raises(MediaError):
        inspect(bad, name="fake.jpg")
    assert sorted(p.name for p in media.media_root().rglob("*")) == before
    assert len(db.exec(select(LibraryItem)).all()) == 1
