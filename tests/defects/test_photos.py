import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from defects import services
from defects.models import DefectPhoto
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}


def jpeg(name="leak.jpg", size=(800, 600), fmt="JPEG"):
    out = io.BytesIO()
    Image.new("RGB", size, (120, 140, 160)).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_photo_is_stored_under_a_generated_name_with_a_thumbnail(make_defect, staff):
    defect = make_defect()
    photo = services.photo_add(defect=defect, actor=staff, upload=jpeg("../../etc/passwd.jpg"), caption="天窗")
    assert photo.image.name.startswith(f"defects/{defect.project_id}/") and "passwd" not in photo.image.name
    assert (photo.width, photo.height, photo.content_type) == (800, 600, "image/jpeg")
    with default_storage.open(photo.thumbnail.name) as fh:
        assert max(Image.open(fh).size) == 320
    assert defect.events.last().kind == "photo_added"


@pytest.mark.parametrize(("name", "body"), [
    ("fake.jpg", b"MZ\x90\x00 not an image at all"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("page.jpg", b"<html><script>alert(1)</script></html>"),
    ("empty.jpg", b""),
])
def test_non_images_are_refused_and_nothing_is_stored(make_defect, staff, name, body):
    defect = make_defect()
    with pytest.raises(ValidationError) as exc:
        services.photo_add(defect=defect, actor=staff, upload=SimpleUploadedFile(name, body, content_type="image/jpeg"))
    assert exc.value.code == "not_an_image"
    assert DefectPhoto.objects.count() == 0
    assert not default_storage.exists(f"defects/{defect.project_id}")


def test_a_photo_over_10_mb_is_refused(make_defect, staff):
    defect = make_defect()
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (50 * 1024 * 1024), content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.photo_add(defect=defect, actor=staff, upload=big)
    assert exc.value.code == "too_large"
    assert DefectPhoto.objects.count() == 0


def test_png_with_alpha_is_kept_as_png(make_defect, staff):
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (1, 2, 3, 100)).save(out, format="PNG")
    photo = services.photo_add(defect=make_defect(), actor=staff, upload=SimpleUploadedFile("a.png", out.getvalue()))
    assert (photo.content_type, photo.image.name.endswith(".png")) == ("image/png", True)


def test_photo_is_served_as_attachment_with_nosniff(client, staff, make_defect):
    photo = services.photo_add(defect=make_defect(), actor=staff, upload=jpeg())
    client.force_login(staff)
    response = client.get(f"/defects/photos/{photo.pk}/full/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_photo_of_another_project_is_404(client, staff, make_defect, other_project):
    photo = services.photo_add(defect=make_defect(), actor=staff, upload=jpeg())
    outsider = UserFactory(projects=[other_project])
    client.force_login(outsider)
    assert client.get(f"/defects/photos/{photo.pk}/full/").status_code == 404
    assert client.get(f"/defects/photos/{photo.pk}/thumb/").status_code == 404


def test_photo_needs_login(client, staff, make_defect):
    photo = services.photo_add(defect=make_defect(), actor=staff, upload=jpeg())
    response = client.get(f"/defects/photos/{photo.pk}/full/")
    assert response.status_code == 302


def test_uploading_a_non_image_through_the_page_shows_an_error(client, staff, make_defect):
    defect = make_defect()
    client.force_login(staff)
    response = client.post(f"/defects/{defect.pk}/photos/", {"image": SimpleUploadedFile("x.jpg", b"<svg/>")}, follow=True)
    assert response.status_code == 200
    assert "照片" in response.content.decode() or "photo" in response.content.decode()
    assert DefectPhoto.objects.count() == 0


def test_api_photo_upload_refuses_svg(staff_api, make_defect):
    defect = make_defect()
    response = staff_api.post(f"/api/v1/defects/{defect.pk}/photos/",
                              {"image": SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")}, format="multipart")
    assert response.status_code == 400
    assert DefectPhoto.objects.count() == 0


def test_api_refuses_a_50_mb_body_before_parsing_it(staff_api, make_defect):
    defect = make_defect()
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (50 * 1024 * 1024), content_type="image/jpeg")
    response = staff_api.post(f"/api/v1/defects/{defect.pk}/photos/", {"image": big}, format="multipart")
    assert (response.status_code, list(response.json())) == (400, ["image"])
    assert DefectPhoto.objects.count() == 0


def test_page_refuses_a_50_mb_photo(client, staff, make_defect):
    defect = make_defect()
    client.force_login(staff)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (50 * 1024 * 1024), content_type="image/jpeg")
    response = client.post(f"/defects/{defect.pk}/photos/", {"image": big}, follow=True)
    assert "10 MB" in response.content.decode()
    assert DefectPhoto.objects.count() == 0
