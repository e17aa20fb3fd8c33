"""A photo taken on site, judged by its content, not by what the phone called it: only a JPEG or PNG
that decodes is kept, within a size and a count per case, with a small thumbnail for the worklist."""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

THUMBNAIL_PX = 320
_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_MAX_PIXELS = 60_000_000  # a decompression bomb is refused, not decoded
_OPENING = threading.Lock()


class PhotoRefused(ValueError):
    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(code)
        self.code, self.message_zh = code, message_zh


@dataclass(frozen=True)
class Photo:
    content_type: str
    width: int
    height: int
    sha256: str
    size: int
    thumbnail: bytes  # JPEG, at most THUMBNAIL_PX on its longer side, upright


def inspect(content: bytes, *, max_bytes: int) -> Photo:
    """The photo's facts and thumbnail, or PhotoRefused saying why in Chinese."""
    if not content:
        raise PhotoRefused("photo_empty", "照片文件为空")
    if len(content) > max_bytes:
        raise PhotoRefused("photo_too_large", f"照片超过 {max_bytes // (1024 * 1024)} MB，请压缩后重新上传")
    try:
        # Photos are inspected on worker threads, and warnings filters belong to the whole process:
        # one thread at a time changes them, just for the opening (which reads headers, not pixels)
        with _OPENING, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                kind = probe.format
                probe.verify()  # a truncated or corrupt file fails here
            opened = Image.open(io.BytesIO(content))
        with opened as image:
            if image.width * image.height > _MAX_PIXELS:
                raise PhotoRefused("photo_too_large", "照片像素过大，请用手机相机正常拍摄")
            image.load()
            upright = ImageOps.exif_transpose(image)
            width, height = upright.size
            thumb = upright.convert("RGB")
            thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buffer = io.BytesIO()
            thumb.save(buffer, "JPEG", quality=80)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise PhotoRefused("not_an_image", "文件不是可识别的照片，请上传 JPEG 或 PNG 图片") from None
    if kind not in _TYPES:
        raise PhotoRefused("photo_type", "只接受 JPEG 或 PNG 格式的照片")
    return Photo(_TYPES[kind], width, height, hashlib.sha256(content).hexdigest(), len(content), buffer.getvalue())
