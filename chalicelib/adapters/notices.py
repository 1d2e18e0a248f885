"""The notices topic (SNS, KMS-encrypted): hotlist alerts and administrator notices."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate


class Notices:
    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: str, kind: str) -> None:
        try:
            self._sns.publish(TopicArn=self.topic_arn, Subject=subject[:100], Message=message,
                              MessageAttributes={"kind": {"DataType": "String",
                                                          "StringValue": kind}})
        except ClientError as error:
            raise translate(error, "publish notice") from error
