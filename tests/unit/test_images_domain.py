import json
from datetime import date

import pytest

from chalicelib.domain.images import (
    JPEG,
    PNG,
    ImageKey,
    InvalidImageKey,
    MalformedMessage,
    objects_from_notification,
    sniff_content_type,
)


def notification(key: str, event: str = "ObjectCreated:Post") -> str:
    return json.dumps({"Records": [{
        "eventName": event, "eventTime": "2026-11-29T10:00:00Z",
        "s3": {"bucket": {"name": "raw"},
               "object": {"key": key, "size": 1234, "versionId": "v1"}},
    }]})


def test_image_key_round_trips() -> None:
    key = ImageKey.parse("cameras/cam-7/2026-11-29/frame_01.jpg")
    assert key == ImageKey("cam-7", date(2026, 11, 29), "frame_01.jpg")
    assert key.key == "cameras/cam-7/2026-11-29/frame_01.jpg"


@pytest.mark.parametrize("key", [
    "cameras/cam-7/2026-11-29/frame.gif",
    "cameras/Cam 7/2026-11-29/frame.jpg",
    "cameras/cam-7/2026-13-40/frame.jpg",
    "cameras/cam-7/frame.jpg",
    "uploads/cam-7/2026-11-29/frame.jpg",
    "cameras/cam-7/2026-11-29/../../x.jpg",
])
def test_image_key_rejects_keys_outside_the_camera_layout(key: str) -> None:
    with pytest.raises(InvalidImageKey):
        ImageKey.parse(key)


def test_notification_keys_are_url_decoded() -> None:
    [ref] = objects_from_notification(notification("cameras/cam-7/2026-11-29/a+b%21.jpg"))
    assert ref.key == "cameras/cam-7/2026-11-29/a b!.jpg"
    assert (ref.bucket, ref.version_id, ref.size) == ("raw", "v1", 1234)


def test_test_event_and_non_create_events_yield_nothing() -> None:
    assert objects_from_notification(json.dumps({"Event": "s3:TestEvent"})) == []
    assert objects_from_notification(notification("k.jpg", "ObjectRemoved:Delete")) == []


@pytest.mark.parametrize("body", ["not json", "[]", "{}", '{"Records": ["x"]}',
                                  '{"Records": [{"eventName": "ObjectCreated:Put"}]}'])
def test_malformed_messages_raise(body: str) -> None:
    with pytest.raises(MalformedMessage):
        objects_from_notification(body)


def test_content_type_is_sniffed_from_bytes() -> None:
    assert sniff_content_type(b"\xff\xd8\xff\xe0rest") == JPEG
    assert sniff_content_type(b"\x89PNG\r\n\x1a\nrest") == PNG
    assert sniff_content_type(b"GIF89a") is None
    assert sniff_content_type(b"") is None
