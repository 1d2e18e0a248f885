"""The camera upload signer: each ticket is signed by a session that may write its one key."""

import base64
import json
from typing import Any

from chalicelib.adapters.upload_signer import SESSION_SECONDS, ScopedUploadSigner

KEY = "cameras/cam-1/2026-11-29/abc.jpg"
DATA_KEY = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/k-1"


class FakeSts:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        return {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret",
                                "SessionToken": "session-token"}}


def test_the_post_is_signed_by_a_session_limited_to_the_tickets_key() -> None:
    sts = FakeSts()
    signer = ScopedUploadSigner(sts, "us-gov-west-1", "arn:role/upload", "raw-bucket", DATA_KEY)
    post = signer.presigned_post(KEY, "image/jpeg", 1234, {"captured-at": "2026-11-29T11:59Z"},
                                 300, session_name="cam-1-abc")
    [call] = sts.calls
    assert (call["RoleArn"], call["RoleSessionName"]) == ("arn:role/upload", "cam-1-abc")
    assert call["DurationSeconds"] == SESSION_SECONDS
    statements = json.loads(call["Policy"])["Statement"]
    assert [(item["Action"], item["Resource"]) for item in statements] == [
        ("s3:PutObject", f"arn:aws-us-gov:s3:::raw-bucket/{KEY}"),
        ("kms:GenerateDataKey", DATA_KEY)]
    assert post["fields"]["x-amz-security-token"] == "session-token"
    conditions = json.loads(base64.b64decode(post["fields"]["policy"]))["conditions"]
    assert {"key": KEY} in conditions and {"bucket": "raw-bucket"} in conditions
    assert ["content-length-range", 1234, 1234] in conditions
    assert {"x-amz-meta-captured-at": "2026-11-29T11:59Z"} in conditions
