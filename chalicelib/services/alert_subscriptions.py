"""People subscribe an e-mail address or a phone number to high-priority alerts (SNS).

Only holders of view_alerts may subscribe, each at most MAX_PER_PERSON endpoints; the owner or
an administrator (manage_users) removes one. Every change is recorded with the endpoint, so a
subscription made for somebody outside the agency can be found; administrators see every
subscription (endpoints masked), and each person sees their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.access import ROLE_PERMISSIONS, Caller, Permission
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import format_time
from chalicelib.domain.subscriptions import (
    MAX_PER_PERSON,
    InvalidSubscription,
    Subscription,
    masked,
    validate_endpoint,
)
from chalicelib.services.auditing import AuditWriter, entry_for


class SubscriptionRefused(Refused):
    """A subscription request the rules refuse."""


class SubscriptionStore(Protocol):
    def put(self, subscription: Subscription) -> None: ...

    def get(self, subscription_id: str) -> Subscription | None: ...

    def delete(self, subscription_id: str) -> None: ...

    def list_all(self) -> list[Subscription]: ...


class Topic(Protocol):
    def subscribe(self, protocol: str, endpoint: str) -> str: ...

    def unsubscribe(self, subscription_arn: str) -> None: ...


@dataclass(frozen=True)
class SubscriptionDependencies:
    subscriptions: SubscriptionStore
    topic: Topic
    audit: AuditWriter
    clock: Callable[[], datetime]


def manages_users(caller: Caller) -> bool:
    return any(Permission.MANAGE_USERS in ROLE_PERMISSIONS.get(role, frozenset())
               for role in caller.account.roles)


def subscribe(body: Mapping[str, Any], caller: Caller,
              deps: SubscriptionDependencies) -> Subscription:
    now = deps.clock()
    username = caller.account.username
    try:
        protocol, endpoint = validate_endpoint(str(body.get("protocol", "")),
                                               str(body.get("endpoint", "")))
    except InvalidSubscription as error:
        raise SubscriptionRefused("SUBSCRIPTION_INVALID", str(error)) from None
    mine = [item for item in deps.subscriptions.list_all() if item.username == username]
    if any(item.endpoint == endpoint for item in mine):
        raise SubscriptionRefused("SUBSCRIPTION_EXISTS", "this endpoint is already subscribed",
                                  409)
    if len(mine) >= MAX_PER_PERSON:
        deps.audit.append(entry_for(caller, "subscribe_alerts", now, allowed=False,
                                    refusal_code="TOO_MANY_SUBSCRIPTIONS",
                                    query={"protocol": protocol, "endpoint": endpoint}))
        raise SubscriptionRefused("TOO_MANY_SUBSCRIPTIONS",
                                  f"one person may subscribe at most {MAX_PER_PERSON} "
                                  "endpoints; remove one first", 409)
    arn = deps.topic.subscribe(protocol, endpoint)
    subscription = Subscription(uuid.uuid4().hex, username, protocol, endpoint, arn,
                                format_time(now))
    deps.subscriptions.put(subscription)
    deps.audit.append(entry_for(caller, "subscribe_alerts", now, allowed=True, result_count=1,
                                query={"protocol": protocol, "endpoint": endpoint,
                                       "subscription_id": subscription.subscription_id}))
    return subscription


def list_subscriptions(caller: Caller, deps: SubscriptionDependencies) -> list[Subscription]:
    """The caller's own subscriptions; an administrator's list holds everybody's."""
    everyone = manages_users(caller)
    found = [item for item in deps.subscriptions.list_all()
             if everyone or item.username == caller.account.username]
    deps.audit.append(entry_for(caller, "list_alert_subscriptions", deps.clock(), allowed=True,
                                result_count=len(found)))
    return found


def unsubscribe(subscription_id: str, caller: Caller, deps: SubscriptionDependencies) -> None:
    now = deps.clock()
    found = deps.subscriptions.get(subscription_id) if len(subscription_id) <= 64 else None
    if found is None:
        raise SubscriptionRefused("NOT_FOUND", "no such subscription", 404)
    if found.username != caller.account.username and not manages_users(caller):
        deps.audit.append(entry_for(caller, "unsubscribe_alerts", now, allowed=False,
                                    refusal_code="NOT_YOUR_SUBSCRIPTION",
                                    query={"subscription_id": subscription_id}))
        raise SubscriptionRefused("NOT_YOUR_SUBSCRIPTION",
                                  "only its owner or an administrator removes a subscription",
                                  403)
    deps.topic.unsubscribe(found.subscription_arn)
    deps.subscriptions.delete(subscription_id)
    deps.audit.append(entry_for(caller, "unsubscribe_alerts", now, allowed=True, result_count=1,
                                query={"subscription_id": subscription_id,
                                       "owner": found.username, "endpoint": found.endpoint}))


def subscription_view(subscription: Subscription, caller: Caller) -> dict[str, Any]:
    own = subscription.username == caller.account.username
    return {"subscription_id": subscription.subscription_id, "username": subscription.username,
            "protocol": subscription.protocol,
            "endpoint": subscription.endpoint if own else masked(subscription.endpoint),
            "pending_confirmation": subscription.subscription_arn.endswith(
                "pending confirmation"),
            "created_at": subscription.created_at}
