"""The one module that reads environment variables.

Every resource name and tunable the code needs arrives here, from the Lambda environment in AWS
(filled from the CloudFormation template's Globals) or from the local stack's provisioner. The
rest of the code receives a `Settings` value and never looks at `os.environ` or asks whether it
runs "locally": boto3 itself honours AWS_ENDPOINT_URL, which is how the local stack redirects it.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.policy.case_numbers import DEFAULT_CASE_NUMBER_RULE as _DEFAULT_CASE_NUMBERS
from chalicelib.policy.case_numbers import CaseNumberRule

# Environment variable names, in one place (powertools' shared/constants.py style).
READS_TABLE = "PLATEKEEPER_READS_TABLE"
PLATE_INDEX_TABLE = "PLATEKEEPER_PLATE_INDEX_TABLE"
IMAGES_TABLE = "PLATEKEEPER_IMAGES_TABLE"
AUDIT_TABLE = "PLATEKEEPER_AUDIT_TABLE"
HOLDS_TABLE = "PLATEKEEPER_HOLDS_TABLE"
RELEASES_TABLE = "PLATEKEEPER_RELEASES_TABLE"
AGENCIES_TABLE = "PLATEKEEPER_AGENCIES_TABLE"
HOTLIST_TABLE = "PLATEKEEPER_HOTLIST_TABLE"
CAMERAS_TABLE = "PLATEKEEPER_CAMERAS_TABLE"
ALERTS_TABLE = "PLATEKEEPER_ALERTS_TABLE"
RAW_BUCKET = "PLATEKEEPER_RAW_BUCKET"
EVIDENCE_BUCKET = "PLATEKEEPER_EVIDENCE_BUCKET"
REPORTS_BUCKET = "PLATEKEEPER_REPORTS_BUCKET"
INGEST_QUEUE_URL = "PLATEKEEPER_INGEST_QUEUE_URL"
INGEST_DLQ_URL = "PLATEKEEPER_INGEST_DLQ_URL"
NOTICES_TOPIC_ARN = "PLATEKEEPER_NOTICES_TOPIC_ARN"
DATA_KEY_ARN = "PLATEKEEPER_DATA_KEY_ARN"
CHECKPOINT_BUCKET = "PLATEKEEPER_CHECKPOINT_BUCKET"
CHECKPOINT_KEY_ARN = "PLATEKEEPER_CHECKPOINT_KEY_ARN"
EVIDENCE_SIGNING_KEY_ARN = "PLATEKEEPER_EVIDENCE_SIGNING_KEY_ARN"
USER_POOL_ID = "PLATEKEEPER_USER_POOL_ID"
USER_POOL_CLIENT_ID = "PLATEKEEPER_USER_POOL_CLIENT_ID"
RETENTION_DAYS = "PLATEKEEPER_RETENTION_DAYS"
AGENCY_NAME = "PLATEKEEPER_AGENCY_NAME"
TIME_ZONE = "PLATEKEEPER_TIME_ZONE"
POLICY_DOCUMENT = "PLATEKEEPER_POLICY_DOCUMENT"
SEARCH_APPROVALS_TABLE = "PLATEKEEPER_SEARCH_APPROVALS_TABLE"
SIGN_IN_ATTEMPTS_TABLE = "PLATEKEEPER_SIGN_IN_ATTEMPTS_TABLE"
ACCOUNT_REGISTER_TABLE = "PLATEKEEPER_ACCOUNT_REGISTER_TABLE"
CASE_NUMBER_PATTERN = "PLATEKEEPER_CASE_NUMBER_PATTERN"
CASE_NUMBER_EXAMPLE = "PLATEKEEPER_CASE_NUMBER_EXAMPLE"
EXTENDED_SEARCH_DAYS = "PLATEKEEPER_EXTENDED_SEARCH_DAYS"
MFA_FOR_PLATE_DATA = "PLATEKEEPER_MFA_FOR_PLATE_DATA"
REGION = "AWS_REGION"
# Camera uploads (tickets bound at ingest, derived data no camera can write).
DERIVED_BUCKET = "PLATEKEEPER_DERIVED_BUCKET"
UPLOAD_TICKETS_TABLE = "PLATEKEEPER_UPLOAD_TICKETS_TABLE"
FRAME_FINGERPRINTS_TABLE = "PLATEKEEPER_FRAME_FINGERPRINTS_TABLE"
UPLOAD_EXCEPTIONS_TABLE = "PLATEKEEPER_UPLOAD_EXCEPTIONS_TABLE"
CAMERA_UPLOAD_ROLE_ARN = "PLATEKEEPER_CAMERA_UPLOAD_ROLE_ARN"
# Running the program day to day: camera health, hotlist levels, alerts that reach officers.
CAMERA_STATS_TABLE = "PLATEKEEPER_CAMERA_STATS_TABLE"
HOTLIST_LISTS_TABLE = "PLATEKEEPER_HOTLIST_LISTS_TABLE"
ALERT_SUBSCRIPTIONS_TABLE = "PLATEKEEPER_ALERT_SUBSCRIPTIONS_TABLE"
HIGH_PRIORITY_TOPIC_ARN = "PLATEKEEPER_HIGH_PRIORITY_TOPIC_ARN"
DISPATCH_QUEUE_URL = "PLATEKEEPER_DISPATCH_QUEUE_URL"
DISPATCH_SECRET_ARN = "PLATEKEEPER_DISPATCH_SECRET_ARN"  # noqa: S105 - a variable name
DISPATCH_WEBHOOK_URL = "PLATEKEEPER_DISPATCH_WEBHOOK_URL"
MAP_TILE_URL = "PLATEKEEPER_MAP_TILE_URL"

# Policy 428.5: ALPR data is kept at least one year.
MINIMUM_RETENTION_DAYS = 365
DEFAULT_RETENTION_DAYS = 365
# Presigned URLs are credentials; keep their lifetime short (minutes).
UPLOAD_URL_SECONDS = 300
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# The agency's local time: the monthly audit judges "off hours" by it (months are UTC months).
DEFAULT_TIME_ZONE = "America/Los_Angeles"
# The posted policy (428.3.1(g)) shown on the public transparency page; an agency replaces this
# file with its own document, or points PLATEKEEPER_POLICY_DOCUMENT at another file.
DEFAULT_POLICY_DOCUMENT = str(Path(__file__).resolve().parent / "static" / "alpr-policy.md")
# Policy 428.6(b): the agency's case-number format (policy/case_numbers.py has the default and
# the placeholder values refused whatever the format).
DEFAULT_CASE_NUMBER_PATTERN = _DEFAULT_CASE_NUMBERS.pattern
DEFAULT_CASE_NUMBER_EXAMPLE = _DEFAULT_CASE_NUMBERS.example
# A search covering more days of history than this needs a warrant, court order or a
# supervisor's approval (policy/long_history.py); an exact search without `from` covers this many.
DEFAULT_EXTENDED_SEARCH_DAYS = 30
# CJIS Security Policy: multi-factor sign-in for every role that can see plate data or alerts.
DEFAULT_MFA_FOR_PLATE_DATA = True
# Deliveries of an ingest message before it is dead-lettered: the ingest queue's maxReceiveCount
# in infra/template.yaml (a test keeps the two equal).
INGEST_MAX_RECEIVES = 5
# While `make run` serves, it writes the local stack's environment here, so that command-line
# tools started in another terminal find it (python -m chalicelib.audit, chalicelib.evidence).
LOCAL_STACK_ENV_FILE = Path(__file__).resolve().parents[1] / "build" / "local-stack.env"


class SettingsError(ValueError):
    """The deployment's configuration is missing a value or holds one the policy forbids."""


@dataclass(frozen=True)
class Settings:
    """Resource names and policy settings of one deployment."""

    region: str
    reads_table: str
    plate_index_table: str
    images_table: str
    audit_table: str
    holds_table: str
    releases_table: str
    agencies_table: str
    hotlist_table: str
    cameras_table: str
    alerts_table: str
    raw_bucket: str
    evidence_bucket: str
    reports_bucket: str
    ingest_queue_url: str
    ingest_dlq_url: str
    notices_topic_arn: str
    data_key_arn: str
    checkpoint_bucket: str
    checkpoint_key_arn: str
    evidence_signing_key_arn: str
    user_pool_id: str
    user_pool_client_id: str
    derived_bucket: str
    upload_tickets_table: str
    frame_fingerprints_table: str
    upload_exceptions_table: str
    camera_upload_role_arn: str
    camera_stats_table: str
    hotlist_lists_table: str
    alert_subscriptions_table: str
    high_priority_topic_arn: str
    dispatch_queue_url: str
    dispatch_secret_arn: str
    agency_name: str
    search_approvals_table: str = ""
    sign_in_attempts_table: str = ""
    account_register_table: str = ""
    retention_days: int = DEFAULT_RETENTION_DAYS
    upload_url_seconds: int = UPLOAD_URL_SECONDS
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    time_zone: str = DEFAULT_TIME_ZONE
    policy_document: str = DEFAULT_POLICY_DOCUMENT
    # The dispatch (CAD) system's webhook ("" = none) and an XYZ map tile server for the
    # console's plot of camera positions ("" = none; e.g. https://tiles.example/{z}/{x}/{y}.png).
    dispatch_webhook_url: str = ""
    map_tile_url: str = ""
    case_number_pattern: str = DEFAULT_CASE_NUMBER_PATTERN
    case_number_example: str = DEFAULT_CASE_NUMBER_EXAMPLE
    extended_search_days: int = DEFAULT_EXTENDED_SEARCH_DAYS
    mfa_for_plate_data: bool = DEFAULT_MFA_FOR_PLATE_DATA

    def __post_init__(self) -> None:
        if self.retention_days < MINIMUM_RETENTION_DAYS:
            raise SettingsError(
                f"retention of {self.retention_days} days refused: policy 428.5 requires at least "
                f"{MINIMUM_RETENTION_DAYS} days"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise SettingsError(f"{TIME_ZONE}: unknown time zone {self.time_zone!r} "
                                "(use an IANA name such as America/Los_Angeles)") from error
        tiles = self.map_tile_url
        if tiles and not (tiles.startswith("https://")
                          and all(part in tiles for part in ("{z}", "{x}", "{y}"))):
            raise SettingsError(f"{MAP_TILE_URL}: an https:// address with {{z}}, {{x}} and "
                                "{y}, or empty")
        try:
            CaseNumberRule(self.case_number_pattern, self.case_number_example)
        except (ValueError, re.error) as error:
            raise SettingsError(f"{CASE_NUMBER_PATTERN}/{CASE_NUMBER_EXAMPLE}: {error}") from error
        if not 1 <= self.extended_search_days <= self.retention_days:
            raise SettingsError(f"{EXTENDED_SEARCH_DAYS} must be 1 to {self.retention_days} days")

    @property
    def case_numbers(self) -> CaseNumberRule:
        return CaseNumberRule(self.case_number_pattern, self.case_number_example)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


_REQUIRED = {
    "reads_table": READS_TABLE,
    "plate_index_table": PLATE_INDEX_TABLE,
    "images_table": IMAGES_TABLE,
    "audit_table": AUDIT_TABLE,
    "holds_table": HOLDS_TABLE,
    "releases_table": RELEASES_TABLE,
    "agencies_table": AGENCIES_TABLE,
    "hotlist_table": HOTLIST_TABLE,
    "cameras_table": CAMERAS_TABLE,
    "alerts_table": ALERTS_TABLE,
    "raw_bucket": RAW_BUCKET,
    "evidence_bucket": EVIDENCE_BUCKET,
    "reports_bucket": REPORTS_BUCKET,
    "ingest_queue_url": INGEST_QUEUE_URL,
    "ingest_dlq_url": INGEST_DLQ_URL,
    "notices_topic_arn": NOTICES_TOPIC_ARN,
    "data_key_arn": DATA_KEY_ARN,
    "checkpoint_bucket": CHECKPOINT_BUCKET,
    "checkpoint_key_arn": CHECKPOINT_KEY_ARN,
    "evidence_signing_key_arn": EVIDENCE_SIGNING_KEY_ARN,
    "user_pool_id": USER_POOL_ID,
    "user_pool_client_id": USER_POOL_CLIENT_ID,
    "search_approvals_table": SEARCH_APPROVALS_TABLE,
    "sign_in_attempts_table": SIGN_IN_ATTEMPTS_TABLE,
    "account_register_table": ACCOUNT_REGISTER_TABLE,
    "derived_bucket": DERIVED_BUCKET,
    "upload_tickets_table": UPLOAD_TICKETS_TABLE,
    "frame_fingerprints_table": FRAME_FINGERPRINTS_TABLE,
    "upload_exceptions_table": UPLOAD_EXCEPTIONS_TABLE,
    "camera_upload_role_arn": CAMERA_UPLOAD_ROLE_ARN,
    "camera_stats_table": CAMERA_STATS_TABLE,
    "hotlist_lists_table": HOTLIST_LISTS_TABLE,
    "alert_subscriptions_table": ALERT_SUBSCRIPTIONS_TABLE,
    "high_priority_topic_arn": HIGH_PRIORITY_TOPIC_ARN,
    "dispatch_queue_url": DISPATCH_QUEUE_URL,
    "dispatch_secret_arn": DISPATCH_SECRET_ARN,
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the environment; name every missing variable at once."""
    env = os.environ if environ is None else environ
    missing = sorted(name for name in _REQUIRED.values() if not env.get(name))
    if missing:
        raise SettingsError("missing environment variables: " + ", ".join(missing))
    names = {field: env[name] for field, name in _REQUIRED.items()}
    return Settings(
        region=env.get(REGION, "us-west-2"),
        agency_name=env.get(AGENCY_NAME, "Police Department"),
        retention_days=_days(env, RETENTION_DAYS, DEFAULT_RETENTION_DAYS),
        time_zone=env.get(TIME_ZONE) or DEFAULT_TIME_ZONE,
        policy_document=env.get(POLICY_DOCUMENT) or DEFAULT_POLICY_DOCUMENT,
        dispatch_webhook_url=env.get(DISPATCH_WEBHOOK_URL, ""),
        map_tile_url=env.get(MAP_TILE_URL, ""),
        case_number_pattern=env.get(CASE_NUMBER_PATTERN) or DEFAULT_CASE_NUMBER_PATTERN,
        case_number_example=env.get(CASE_NUMBER_EXAMPLE) or DEFAULT_CASE_NUMBER_EXAMPLE,
        extended_search_days=_days(env, EXTENDED_SEARCH_DAYS, DEFAULT_EXTENDED_SEARCH_DAYS),
        mfa_for_plate_data=_flag(env, MFA_FOR_PLATE_DATA, DEFAULT_MFA_FOR_PLATE_DATA),
        **names,  # type: ignore[arg-type]  # every _REQUIRED field is a str
    )


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name) or default)
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number of days") from error


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or str(default)).strip().lower()
    if text not in {"true", "false"}:
        raise SettingsError(f"{name} must be true or false")
    return text == "true"


def settings_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with `overrides` on top (a deployment's settings read from
    AWS by a command-line tool: chalicelib.accounts --stack)."""
    return {**os.environ, **overrides}


def adopt_local_stack_environment(path: Path = LOCAL_STACK_ENV_FILE,
                                  environ: MutableMapping[str, str] | None = None) -> bool:
    """For command-line tools: when no deployment is named (no PLATEKEEPER_AUDIT_TABLE) and the
    local stack is serving, take its environment from the file `make run` writes. Returns
    whether it did. Lines are NAME=value with shell quoting, as the file is written."""
    env = os.environ if environ is None else environ
    if env.get(AUDIT_TABLE) or not path.is_file():
        return False
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line)
        if len(words) == 1 and "=" in words[0]:
            name, _, value = words[0].partition("=")
            env[name] = value
    return True
