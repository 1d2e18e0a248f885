from chalicelib.services.purge import purge_images_of_expired_records
from tests.unit.fakes import FakeRawImages, StoredObject


def removal(key: str, by_ttl: bool = True) -> dict[str, object]:
    record: dict[str, object] = {
        "eventName": "REMOVE",
        "dynamodb": {"OldImage": {"image_key": {"S": key}}},
    }
    if by_ttl:
        record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return record


def test_ttl_removal_deletes_every_version_of_the_image() -> None:
    images = FakeRawImages()
    images.objects["a.jpg"] = StoredObject(b"x", versions=3)
    summary = purge_images_of_expired_records([removal("a.jpg")], images)
    assert "a.jpg" not in images.objects
    assert (summary.images_purged, summary.versions_deleted) == (1, 3)


def test_removal_by_a_user_or_an_insert_does_not_purge() -> None:
    images = FakeRawImages()
    images.objects["a.jpg"] = StoredObject(b"x")
    insert = {"eventName": "INSERT", "dynamodb": {"NewImage": {"image_key": {"S": "a.jpg"}}}}
    summary = purge_images_of_expired_records([removal("a.jpg", by_ttl=False), insert], images)
    assert "a.jpg" in images.objects
    assert summary.images_purged == 0 and summary.records_seen == 2


def test_legal_hold_outranks_ttl() -> None:
    images = FakeRawImages()
    images.objects["a.jpg"] = StoredObject(b"x", legal_hold=True)
    summary = purge_images_of_expired_records([removal("a.jpg")], images)
    assert "a.jpg" in images.objects
    assert summary.kept_under_legal_hold == 1
