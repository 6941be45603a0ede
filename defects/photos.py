"""Checking and re-encoding uploaded defect photos by their content, never by name or declared type.

Re-encoding through Pillow drops metadata (GPS in EXIF) and anything appended to the image
(polyglot files), so what is stored is only pixels in a format we chose.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is a decompression bomb, not a defect photo
THUMB_SIZE = (320, 320)
# Pillow format → (content type, extension, save format)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg", "JPEG"),
    "PNG": ("image/png", "png", "PNG"),
    "WEBP": ("image/webp", "webp", "WEBP"),
    # GIF and MPO (phones' multi-picture JPEG) are accepted and stored as a plain JPEG of the first frame.
    "GIF": ("image/jpeg", "jpg", "JPEG"),
    "MPO": ("image/jpeg", "jpg", "JPEG"),
}


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _not_an_image() -> ValidationError:
    return ValidationError(_("The file is not a photo (JPEG, PNG or WebP)."), code="not_an_image")


def process_upload(upload) -> ProcessedImage:
    """Validate ``upload`` (a Django UploadedFile) and return the re-encoded image and its thumbnail.

    Raises ValidationError for files over 10 MB, anything Pillow cannot decode as one of the
    allowed formats (SVG, HTML, PDFs renamed .jpg...), and images of more than 40 megapixels.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 10 MB."), code="too_large")
    upload.seek(0)
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValidationError(_("The photo is larger than 10 MB."), code="too_large")
    if not raw:
        raise _not_an_image()
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in FORMATS:
                raise _not_an_image()
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="too_many_pixels")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            fmt = image.format
            image.load()
            image = ImageOps.exif_transpose(image)
            content_type, extension, save_as = FORMATS[fmt]
            if save_as == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format=save_as, **({"quality": 88} if save_as in ("JPEG", "WEBP") else {}))
            thumb = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
            thumb.thumbnail(THUMB_SIZE)
            thumb_out = io.BytesIO()
            thumb.save(thumb_out, format="JPEG", quality=80)
            return ProcessedImage(out.getvalue(), thumb_out.getvalue(), content_type, extension, image.width, image.height)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, TypeError):
        raise _not_an_image() from None


def storage_names(*, project_id: int, extension: str) -> tuple[str, str]:
    """Server-generated names: nothing of the uploaded file name reaches the storage."""
    stem = uuid.uuid4().hex
    return f"defects/{project_id}/{stem}.{extension}", f"defects/{project_id}/{stem}_thumb.jpg"


def request_too_large(request) -> bool:
    """Refuse an upload by its declared length before Django parses (and spools) the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > MAX_BYTES + 64 * 1024  # the photo plus the multipart envelope and a caption
