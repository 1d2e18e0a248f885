import hmac
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain import cameras
from chalicelib.domain.cameras import (
    FIXED,
    MOBILE,
    Camera,
    InvalidCamera,
    InvalidCredential,
    new_camera,
    new_credential,
    parse_credential,
    revoke,
    rotate_credential,
    set_active,
    verify_credential,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DEFAULT_N = cameras.SCRYPT_N


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash new credentials at low cost; verification reads the cost from each stored hash."""
    monkeypatch.setattr(cameras, "SCRYPT_N", 2**10)


def fixed_camera(camera_id: str = "pole-12") -> tuple[Camera, str]:
    return new_camera(camera_id=camera_id, name="El Camino & Lawrence NB", agency="SCPD",
                      kind=FIXED, lat=37.3541, lon=-121.9552, heading=15.0, now=NOW)


def test_new_camera_credential_verifies_and_only_its_hash_is_kept() -> None:
    camera, credential = fixed_camera()
    assert credential.startswith("pkc_pole-12.")
    assert credential.split(".", 1)[1] not in camera.credential_hash
    assert camera.credential_hash.startswith("scrypt$1024$8$1$")
    assert camera.credential_id.startswith("cr-") and camera.active
    assert verify_credential(credential, camera)


def test_default_cost_hashes_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cameras, "SCRYPT_N", DEFAULT_N)
    assert DEFAULT_N == 2**11
    camera, credential = fixed_camera()
    assert camera.credential_hash.startswith("scrypt$2048$8$1$")
    assert verify_credential(credential, camera)


def test_wrong_secret_or_other_camera_does_not_verify() -> None:
    camera, credential = fixed_camera()
    _, other_credential = fixed_camera("pole-13")
    assert not verify_credential(other_credential, camera)
    camera_id, secret = parse_credential(credential)
    tampered = f"pkc_{camera_id}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    assert not verify_credential(tampered, camera)
    # The hash is bound to the camera id: copied onto another camera, it verifies nothing.
    assert not verify_credential(f"pkc_pole-13.{secret}", replace(camera, camera_id="pole-13"))
    assert not verify_credential("not a credential", camera)


def test_revoked_or_inactive_camera_never_verifies() -> None:
    camera, credential = fixed_camera()
    assert not verify_credential(credential, revoke(camera, NOW))
    assert not verify_credential(credential, set_active(camera, False))
    assert verify_credential(credential, set_active(set_active(camera, False), True))


def test_rotation_replaces_the_credential_and_lifts_revocation() -> None:
    camera, old = fixed_camera()
    rotated, new = rotate_credential(revoke(camera, NOW), NOW)
    assert rotated.revoked_at is None and rotated.rotated_at == NOW.isoformat()
    assert rotated.credential_id != camera.credential_id
    assert verify_credential(new, rotated)
    assert not verify_credential(old, rotated)


def test_verification_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    camera, credential = fixed_camera()
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(first: bytes, second: bytes) -> bool:
        calls.append((first, second))
        return original(first, second)

    monkeypatch.setattr(cameras.hmac, "compare_digest", spy)
    assert verify_credential(credential, camera)
    assert not verify_credential(credential, revoke(camera, NOW))
    assert len(calls) == 2  # the hash is compared even for a revoked camera


def test_each_credential_has_its_own_salt() -> None:
    first, first_hash = new_credential("cam-1")
    second, second_hash = new_credential("cam-1")
    assert first != second
    assert first_hash.split("$")[4] != second_hash.split("$")[4]


@pytest.mark.parametrize("stored", [
    "", "plain", "scrypt$16384$8$1$zz$00", "scrypt$1048576$8$1$00$" + "00" * 32,
    "scrypt$16384$8$1$$" + "00" * 32, "pbkdf2$16384$8$1$00$" + "00" * 32,
])
def test_malformed_or_abusive_stored_hash_never_verifies(stored: str) -> None:
    camera, credential = fixed_camera()
    assert not verify_credential(credential, replace(camera, credential_hash=stored))


@pytest.mark.parametrize("text", [
    "", "pkc_", "pkc_cam-1", "pkc_cam-1.", "pkc_Cam-1." + "a" * 43, "pkc_-cam." + "a" * 43,
    "pkx_cam-1." + "a" * 43, "pkc_cam-1." + "a" * 10, "pkc_cam-1." + "a!" * 30,
    "pkc_cam-1." + "a" * 300,
])
def test_parse_credential_refuses_non_credentials(text: str) -> None:
    with pytest.raises(InvalidCredential):
        parse_credential(text)


def test_parse_credential() -> None:
    assert parse_credential("pkc_cam-1." + "a_b-" * 11) == ("cam-1", "a_b-" * 11)


@pytest.mark.parametrize(("changes", "message"), [
    ({"camera_id": "Pole 12"}, "camera id"),
    ({"camera_id": "x" * 64}, "camera id"),
    ({"kind": "drone"}, "kind"),
    ({"lat": None}, "needs lat, lon and heading"),
    ({"lat": 91.0}, "lat"),
    ({"lon": -180.5}, "lon"),
    ({"heading": 360.0}, "heading"),
    ({"heading": -1.0}, "heading"),
    ({"name": " "}, "name"),
])
def test_camera_attributes_are_validated(changes: dict[str, object], message: str) -> None:
    camera, _ = fixed_camera()
    with pytest.raises(InvalidCamera, match=message):
        replace(camera, **changes)  # type: ignore[arg-type]


def test_mobile_camera_has_no_stored_position() -> None:
    camera, credential = new_camera(camera_id="unit-4", name="Patrol 4", agency="SCPD",
                                    kind=MOBILE, now=NOW)
    assert camera.lat is None and verify_credential(credential, camera)
    with pytest.raises(InvalidCamera, match="mobile"):
        new_camera(camera_id="unit-5", name="Patrol 5", agency="SCPD", kind=MOBILE, lat=1.0,
                   now=NOW)
