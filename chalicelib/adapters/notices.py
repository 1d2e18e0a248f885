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

    def subscribe(self, protocol: str, endpoint: str) -> str:
        """Subscribe an e-mail address or phone number; the subscription's ARN (an e-mail
        address must still confirm it through the mail SNS sends)."""
        try:
            response = self._sns.subscribe(TopicArn=self.topic_arn, Protocol=protocol,
                                           Endpoint=endpoint, ReturnSubscriptionArn=True)
        except ClientError as error:
            raise translate(error, "subscribe to alerts") from error
        return str(response["SubscriptionArn"])

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            self._sns.unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NotFound":
                return
            raise translate(error, "unsubscribe from alerts") from error
