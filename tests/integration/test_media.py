"""Photos and recordings: content sniffing, bomb guard, corrupt files, orientation, no
metadata in public files, private originals, and files that vanish with a rollback."""

import io
import math
import struct

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from tests.conftest import CORPUS

PHOTOS = CORPUS / "photos"


def _dms(value: float):
    d = int(value)
    m = int((value - d) * 60)
    s = ((value - d) * 60 - m) * 60
    return (IFDRational(d), IFDRational(m), IFDRational(round(s * 10000), 10000))


def jpeg_with_gps(lat: float, lon: float, size=(800, 600), orientation: int | None = None) -> bytes:
    """A camera-like JPEG made here, with EXIF GPS (the corpus has none inside our city)."""
    img = Image.new("RGB", size, (120, 160, 200))
    for x in range(0, size[0], 40):
        img.paste((200, 80, 60), (x, 0, x + 20, 40))
    exif = Image.Exif()
    exif[0x0110] = "Stadtspur Test Phone"
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N" if lat >= 0 else "S"
    gps[2] = _dms(abs(lat))
    gps[3] = "E" if lon >= 0 else "W"
    gps[4] = _dms(abs(lon))
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments before the image data."""
    assert data[:2] == b"\xff\xd8"
    markers, i = [], 2
    while i < len(data):
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: metadata lies before it
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        markers.append(marker)
        i += 2 + length
    return markers


def assert_no_metadata(data: bytes):
    markers = jpeg_segments(data)
    # APP1 (EXIF/XMP), APP2 (ICC), APP13 (IPTC), COM (comments): none of them.
    assert not {0xE1, 0xE2, 0xED, 0xFE} & set(markers), markers
    img = Image.open(io.BytesIO(data))
    assert not img.getexif()
    assert "exif" not in img.info and "xmp" not in img.info and "icc_profile" not in img.info


@pytest.fixture
def media(app, db_session, media_root):
    from app.services import media as media_service

    with app.test_request_context():
        yield media_service


def files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_phone_photo_gets_variants_without_any_metadata(media, media_root, resident, db_session):
    checked = media.check_photo((PHOTOS / "mei__Apple_iPhone_4.jpg").read_bytes())
    assert checked.gps is not None  # Rome: read, but not kept
    row = media.store_photo(checked, uploader=resident)
    db_session.flush()
    assert set(row.variants) == {"large", "medium", "thumb", "public"}
    for key in row.variants.values():
        data = media.public_path(key).read_bytes()
        assert_no_metadata(data)
    thumb = Image.open(io.BytesIO(media.public_path(row.variants["thumb"]).read_bytes()))
    assert max(thumb.size) == 320
    # The private copy is not public and, as its GPS was not confirmed, carries none either.
    original = media.private_path(row.storage_key)
    assert original.is_file() and "private" in original.parts
    assert not Image.open(io.BytesIO(original.read_bytes())).getexif().get_ifd(0x8825)


def test_original_keeps_gps_only_when_confirmed_as_position(media, resident, db_session):
    data = jpeg_with_gps(47.4997, 8.7241)
    checked = media.check_photo(data)
    lon, lat = checked.gps
    assert math.isclose(lat, 47.4997, abs_tol=1e-4) and math.isclose(lon, 8.7241, abs_tol=1e-4)
    row = media.store_photo(checked, uploader=resident, keep_gps=True)
    assert media.private_path(row.storage_key).read_bytes() == data
    assert_no_metadata(media.public_path(row.variants["large"]).read_bytes())


@pytest.mark.parametrize("name", [f"exifpy__landscape_{n}.jpg" for n in range(1, 9)])
def test_orientation_is_applied(media, name):
    checked = media.check_photo((PHOTOS / name).read_bytes())
    assert checked.image.size == (600, 450)  # every variant displays as landscape


def test_heic_from_a_phone_is_accepted(media, resident):
    checked = media.check_photo((PHOTOS / "exifpy__spring_1440x960.heic").read_bytes())
    assert checked.format == "HEIF"
    row = media.store_photo(checked, uploader=resident)
    assert row.mime == "image/heic"
    assert_no_metadata(media.public_path(row.variants["medium"]).read_bytes())


def test_heif_content_with_jpg_name_is_sniffed(media):
    checked = media.check_photo((PHOTOS / "exifpy__heic_hdlr_box.jpg").read_bytes())
    assert checked.format == "HEIF"


@pytest.mark.parametrize("data,code", [
    (b"Dear diary, this is not a photo at all.\n" * 20, "unsupported_type"),
    ((PHOTOS / "pillow__truncated_jpeg.jpg").read_bytes(), "corrupt"),
    ((PHOTOS / "mei__IllegalArgumentException.HeifReader.processBoxes.heif").read_bytes(),
     "unsupported_type"),
])
def test_bad_photos_are_refused_clearly(media, data, code):
    from app.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        media.check_photo(data)
    assert info.value.code == code and info.value.field == "photo"


def test_decompression_bomb_is_refused_before_decoding(media, app, monkeypatch):
    from app.errors import ValidationError

    # A small PNG that claims 30000 x 30000 pixels: 900 megapixels once decoded.
    img = Image.new("1", (30000, 30000))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 500_000
    with pytest.raises(ValidationError) as info:
        media.check_photo(out.getvalue())
    assert info.value.code == "too_many_pixels"
    # Between the limit and twice the limit Pillow only warns: that counts as an error too.
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 300_000)
    small = io.BytesIO()
    Image.new("RGB", (800, 600)).save(small, "JPEG")
    with pytest.raises(ValidationError) as info:
        media.check_photo(small.getvalue())
    assert info.value.code == "too_many_pixels"


def test_zero_and_nan_gps_mean_no_position(media):
    for name in ("mei__Samsung_GT-I9000_Galaxy_S.jpg", "mei__Nikon_D5000.jpg",
                 "pillow__exif_gps.jpg", "exifpy__no_exif.jpg"):
        assert media.check_photo((PHOTOS / name).read_bytes()).gps is None, name


def test_files_of_a_rolled_back_transaction_are_removed(media, media_root, resident, db_session):
    checked = media.check_photo((PHOTOS / "exifpy__landscape_1.jpg").read_bytes())
    media.store_photo(checked, uploader=resident)
    assert len(files_under(media_root)) == 4  # the original and three variants
    db_session.rollback()
    assert files_under(media_root) == []


def test_files_of_a_committed_transaction_stay(media, media_root, resident, db_session):
    checked = media.check_photo((PHOTOS / "exifpy__landscape_1.jpg").read_bytes())
    media.store_photo(checked, uploader=resident)
    db_session.commit()
    assert len(files_under(media_root)) == 4


# --- audio ----------------------------------------------------------------------------------


def make_audio(fmt: str, codec: str, seconds: float = 2.0, rate: int = 48000) -> bytes:
    import av
    import numpy as np

    out_buf = io.BytesIO()
    out = av.open(out_buf, "w", format=fmt)
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    n = int(seconds * rate)
    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    sample_format = stream.codec_context.format.name
    for i in range(0, n, 960):
        chunk = samples[i : i + 960]
        array = (chunk * 32767).astype(np.int16) if sample_format == "s16" else chunk
        frame = av.AudioFrame.from_ndarray(array.reshape(1, -1), format=sample_format, layout="mono")
        frame.sample_rate = rate
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return out_buf.getvalue()


@pytest.mark.parametrize("fmt,codec,mime", [
    ("webm", "libopus", "audio/webm"),
    ("ogg", "libopus", "audio/ogg"),
    ("wav", "pcm_s16le", "audio/wav"),
    ("ipod", "aac", "audio/mp4"),
])
def test_recordings_are_measured_and_reencoded(media, resident, fmt, codec, mime):
    import av

    data = make_audio(fmt, codec, seconds=2.0, rate=44100 if codec == "aac" else 48000)
    checked = media.check_audio(data)
    assert checked.mime == mime
    assert abs(checked.duration_s - 2.0) < 0.1
    row = media.store_audio(checked, uploader=resident)
    public = media.public_path(row.variants["public"])
    with av.open(str(public)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert not {k for k in container.metadata if k not in
                    ("major_brand", "minor_version", "compatible_brands", "encoder")}


def test_recordings_too_long_or_not_audio_are_refused(media, app, monkeypatch):
    from app.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        media.check_audio((PHOTOS / "exifpy__landscape_1.jpg").read_bytes())
    assert info.value.code == "unsupported_type"
    with pytest.raises(ValidationError) as info:
        media.check_audio(b"RIFF....WAVEnot really")
    assert info.value.field == "audio"
    monkeypatch.setitem(app.config, "MAX_AUDIO_SECONDS", 1)
    with pytest.raises(ValidationError) as info:
        media.check_audio(make_audio("ogg", "libopus", seconds=3.0))
    assert info.value.code == "too_long"


def test_truncated_photo_is_refused_even_after_a_pdf_was_rendered(app):
    """WeasyPrint flips a Pillow global on import; rendering a sheet must not make the upload
    pipeline accept damaged photos."""
    from app.errors import ValidationError
    from app.services.media import check_photo
    from app.services.tour_print import render_pdf

    render_pdf("<p>x</p>", "@page { size: A4 }")
    with app.app_context(), pytest.raises(ValidationError):
        check_photo((PHOTOS / "pillow__truncated_jpeg.jpg").read_bytes())
