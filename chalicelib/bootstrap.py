"""The one place that builds and wires adapters; every dependency can be overridden in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import Any
from urllib.parse import urlsplit

from chalicelib.adapters import aws
from chalicelib.adapters.account_register import AccountRegister
from chalicelib.adapters.agencies_table import AgenciesTable
from chalicelib.adapters.agency_seed_file import load_seed
from chalicelib.adapters.alert_subscriptions_table import AlertSubscriptionsTable
from chalicelib.adapters.alerts_table import AlertsTable
from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.camera_stats_table import CameraStatsTable
from chalicelib.adapters.cameras_table import CamerasTable
from chalicelib.adapters.checkpoint_store import CheckpointStore
from chalicelib.adapters.dead_letters import DeadLetterQueue
from chalicelib.adapters.dispatch import DispatchQueue, WebhookPoster, WebhookSecret
from chalicelib.adapters.evidence_store import EvidenceStore
from chalicelib.adapters.hold_asks import HoldAsksTable
from chalicelib.adapters.holds_table import HoldsTable
from chalicelib.adapters.hotlist_lists_table import HotlistListsTable
from chalicelib.adapters.hotlist_table import HotlistTable
from chalicelib.adapters.identity import CognitoIdentity
from chalicelib.adapters.image_records import ImageRecords
from chalicelib.adapters.notices import Notices
from chalicelib.adapters.plate_index_table import PlateIndexTable
from chalicelib.adapters.policy_document import PolicyDocument, load_policy_document
from chalicelib.adapters.queue_depth import QueueDepth
from chalicelib.adapters.raw_images import RawImageStore
from chalicelib.adapters.read_holds import ReadHoldsTable
from chalicelib.adapters.reads_table import ReadsTable
from chalicelib.adapters.releases_reader import ReleaseRequestsReader
from chalicelib.adapters.releases_table import ReleasesTable
from chalicelib.adapters.report_store import ReportStore
from chalicelib.adapters.search_approvals_table import SearchApprovalsTable
from chalicelib.adapters.sign_in_attempts import SignInAttempts
from chalicelib.adapters.signing_key import KmsSigningKey
from chalicelib.adapters.upload_signer import ScopedUploadSigner
from chalicelib.adapters.uploads_tables import (
    FrameFingerprints,
    UploadExceptionsTable,
    UploadTicketsTable,
)
from chalicelib.domain.access import UserAccount
from chalicelib.domain.reads import Read
from chalicelib.services.accounts import AccountDependencies, user_account
from chalicelib.services.agencies import AgencyDependencies
from chalicelib.services.alert_feed import AlertFeedDependencies
from chalicelib.services.alert_subscriptions import SubscriptionDependencies
from chalicelib.services.alerts import AlertDependencies, alerts_for_reads
from chalicelib.services.camera_health import (
    CameraActivity,
    HealthCheckDependencies,
    HealthViewDependencies,
    month_figures,
)
from chalicelib.services.cameras import CameraDependencies, CameraDirectory
from chalicelib.services.checkpoints import CheckpointDependencies
from chalicelib.services.dispatch import DispatchDependencies
from chalicelib.services.export_review import ExportReviewDependencies
from chalicelib.services.exports import ExportDependencies
from chalicelib.services.hold_requests import HoldAskDependencies
from chalicelib.services.holds import HoldDependencies
from chalicelib.services.hotlists import HotlistDependencies
from chalicelib.services.ingest import IngestDependencies, Recognizer
from chalicelib.services.monthly_audit import MonthlyAuditDependencies
from chalicelib.services.plate_index import (
    IndexDependencies,
    IndexedReads,
    hold_reads,
    release_reads,
)
from chalicelib.services.releases import ReleaseDependencies
from chalicelib.services.retention import PurgeDependencies
from chalicelib.services.search import SearchDependencies
from chalicelib.services.search_approvals import ApprovalDependencies
from chalicelib.services.sign_in import SignInDependencies
from chalicelib.services.system_status import SystemStatusDependencies
from chalicelib.services.transparency import TransparencyCache, TransparencyDependencies
from chalicelib.services.uploads import UploadsDependencies
from chalicelib.services.user_lifecycle import LifecycleDependencies
from chalicelib.settings import Settings, load_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


class Container:
    """Adapters built on first use, so cold starts only pay for what a handler touches."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now,
                 recognizer: Recognizer | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._recognizer = recognizer
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """The container's own client per service: its adapters and anyone asking the container
        (tests injecting faults) hold the same one, even after the process-wide cache is
        cleared (a second local stack started and stopped in the same process)."""
        if service not in self._clients:
            self._clients[service] = aws.client(service, self.settings.region)
        return self._clients[service]

    @cached_property
    def raw_images(self) -> RawImageStore:
        return RawImageStore(self.client("s3"), self.settings.raw_bucket)

    @cached_property
    def derived_images(self) -> RawImageStore:
        """Crops: the derived bucket, written by the ingest alone."""
        return RawImageStore(self.client("s3"), self.settings.derived_bucket)

    @cached_property
    def console_image_origins(self) -> tuple[str, ...]:
        """Where the console's images come from: the two image buckets' presigned links and
        the map tile server, if one is configured (the console's img-src, nothing more)."""
        origins = [self.raw_images.origin(), self.derived_images.origin()]
        if self.settings.map_tile_url:
            tiles = urlsplit(self.settings.map_tile_url)
            origins.append(f"{tiles.scheme}://{tiles.netloc}")
        return tuple(origins)

    @cached_property
    def upload_tickets(self) -> UploadTicketsTable:
        return UploadTicketsTable(self.client("dynamodb"), self.settings.upload_tickets_table)

    @cached_property
    def upload_exceptions(self) -> UploadExceptionsTable:
        return UploadExceptionsTable(self.client("dynamodb"),
                                     self.settings.upload_exceptions_table)

    @cached_property
    def uploads(self) -> UploadsDependencies:
        return UploadsDependencies(exceptions=self.upload_exceptions, audit=self.audit_log,
                                   clock=self.clock)

    @cached_property
    def image_records(self) -> ImageRecords:
        return ImageRecords(self.client("dynamodb"), self.settings.images_table)

    @cached_property
    def reads(self) -> ReadsTable:
        return ReadsTable(self.client("dynamodb"), self.settings.reads_table)

    @cached_property
    def plate_index(self) -> PlateIndexTable:
        return PlateIndexTable(self.client("dynamodb"), self.settings.plate_index_table)

    @cached_property
    def index_maintenance(self) -> IndexDependencies:
        return IndexDependencies(index=self.plate_index, reads=self.reads,
                                 retention_days=self.settings.retention_days, clock=self.clock)

    @cached_property
    def indexed_reads(self) -> IndexedReads:
        """What writes new reads: each read's plate index entries first, then the read."""
        return IndexedReads(self.reads, self.index_maintenance)

    @cached_property
    def audit_log(self) -> AuditLog:
        return AuditLog(self.client("dynamodb"), self.settings.audit_table)

    @cached_property
    def identity(self) -> CognitoIdentity:
        return CognitoIdentity(self.client("cognito-idp"), self.settings.region,
                               self.settings.user_pool_id, self.settings.user_pool_client_id)

    @cached_property
    def accounts(self) -> AccountDependencies:
        return AccountDependencies(identity=self.identity, audit=self.audit_log,
                                   register=self.account_register, clock=self.clock,
                                   mfa_for_plate_data=self.settings.mfa_for_plate_data)

    @cached_property
    def account_register(self) -> AccountRegister:
        return AccountRegister(self.client("dynamodb"), self.settings.account_register_table)

    @cached_property
    def user_lifecycle(self) -> LifecycleDependencies:
        return LifecycleDependencies(
            identity=self.identity, register=self.account_register, audit=self.audit_log,
            clock=self.clock, agency=self.settings.agency_name,
            mfa_for_plate_data=self.settings.mfa_for_plate_data)

    @cached_property
    def sign_in(self) -> SignInDependencies:
        return SignInDependencies(
            identity=self.identity,
            attempts=SignInAttempts(self.client("dynamodb"), self.settings.sign_in_attempts_table),
            audit=self.audit_log, clock=self.clock,
            mfa_for_plate_data=self.settings.mfa_for_plate_data)

    @cached_property
    def search_approvals(self) -> ApprovalDependencies:
        return ApprovalDependencies(
            approvals=SearchApprovalsTable(self.client("dynamodb"),
                                           self.settings.search_approvals_table),
            users=self.identity, audit=self.audit_log, clock=self.clock,
            case_numbers=self.settings.case_numbers)

    @cached_property
    def search(self) -> SearchDependencies:
        return SearchDependencies(reads=self.reads, audit=self.audit_log, images=self.raw_images,
                                  crops=self.derived_images, clock=self.clock,
                                  index=self.plate_index,
                                  approvals=self.search_approvals.approvals,
                                  case_numbers=self.settings.case_numbers,
                                  extended_search_days=self.settings.extended_search_days)

    @cached_property
    def cameras(self) -> CameraDependencies:
        return CameraDependencies(
            cameras=CamerasTable(self.client("dynamodb"), self.settings.cameras_table),
            signer=ScopedUploadSigner(self.client("sts"), self.settings.region,
                                      self.settings.camera_upload_role_arn,
                                      self.settings.raw_bucket, self.settings.data_key_arn),
            tickets=self.upload_tickets, audit=self.audit_log, clock=self.clock,
            max_upload_bytes=self.settings.max_upload_bytes,
            upload_url_seconds=self.settings.upload_url_seconds)

    @cached_property
    def hotlist(self) -> HotlistTable:
        return HotlistTable(self.client("dynamodb"), self.settings.hotlist_table)

    @cached_property
    def alerts_table(self) -> AlertsTable:
        return AlertsTable(self.client("dynamodb"), self.settings.alerts_table)

    @cached_property
    def notices(self) -> Notices:
        return Notices(self.client("sns"), self.settings.notices_topic_arn)

    @cached_property
    def alerts(self) -> AlertDependencies:
        return AlertDependencies(
            hotlist=self.hotlist, alerts=self.alerts_table, notices=self.notices,
            clock=self.clock, levels=self.hotlist_lists, activity=self.camera_activity,
            high_priority=self.high_priority_topic,
            dispatch=(DispatchQueue(self.client("sqs"), self.settings.dispatch_queue_url)
                      if self.settings.dispatch_webhook_url else None))

    @cached_property
    def hotlists(self) -> HotlistDependencies:
        return HotlistDependencies(hotlist=self.hotlist, alerts=self.alerts_table,
                                   audit=self.audit_log, clock=self.clock,
                                   lists=self.hotlist_lists, entries=self.hotlist)

    # ------------------------------------------------------------ running the program day to day
    @cached_property
    def camera_stats(self) -> CameraStatsTable:
        return CameraStatsTable(self.client("dynamodb"), self.settings.camera_stats_table)

    @cached_property
    def camera_activity(self) -> CameraActivity:
        return CameraActivity(self.camera_stats)

    @cached_property
    def camera_health_check(self) -> HealthCheckDependencies:
        return HealthCheckDependencies(cameras=self.cameras.cameras, stats=self.camera_stats,
                                       notices=self.notices, clock=self.clock)

    @cached_property
    def camera_health_view(self) -> HealthViewDependencies:
        return HealthViewDependencies(cameras=self.cameras.cameras, stats=self.camera_stats,
                                      clock=self.clock)

    @cached_property
    def hotlist_lists(self) -> HotlistListsTable:
        return HotlistListsTable(self.client("dynamodb"), self.settings.hotlist_lists_table)

    @cached_property
    def high_priority_topic(self) -> Notices:
        return Notices(self.client("sns"), self.settings.high_priority_topic_arn)

    @cached_property
    def alert_feed(self) -> AlertFeedDependencies:
        return AlertFeedDependencies(alerts=self.alerts_table, reads=self.reads,
                                     images=self.raw_images, crops=self.derived_images,
                                     audit=self.audit_log, clock=self.clock)

    @cached_property
    def alert_subscriptions(self) -> SubscriptionDependencies:
        return SubscriptionDependencies(
            subscriptions=AlertSubscriptionsTable(self.client("dynamodb"),
                                                  self.settings.alert_subscriptions_table),
            topic=self.high_priority_topic, audit=self.audit_log, clock=self.clock)

    @cached_property
    def dispatch(self) -> DispatchDependencies:
        url = self.settings.dispatch_webhook_url
        return DispatchDependencies(
            alerts=self.alerts_table, cameras=self.cameras.cameras,
            secret=WebhookSecret(self.client("secretsmanager"),
                                 self.settings.dispatch_secret_arn),
            poster=WebhookPoster(url) if url else None, audit=self.audit_log, clock=self.clock)

    @cached_property
    def export_review(self) -> ExportReviewDependencies:
        evidence = EvidenceStore(self.client("s3"), self.settings.evidence_bucket)
        return ExportReviewDependencies(evidence=evidence,
                                        public_key=self.evidence_signing_key.public_key,
                                        audit=self.audit_log, clock=self.clock)

    @cached_property
    def holds_table(self) -> HoldsTable:
        return HoldsTable(self.client("dynamodb"), self.settings.holds_table)

    @cached_property
    def holds(self) -> HoldDependencies:
        return HoldDependencies(
            holds=self.holds_table, reads=self.reads,
            read_holds=ReadHoldsTable(self.client("dynamodb"), self.settings.reads_table),
            images=self.raw_images, crops=self.derived_images, audit=self.audit_log,
            clock=self.clock, retention_days=self.settings.retention_days,
            image_held_elsewhere=self._image_held_elsewhere,
            on_held=partial(hold_reads, deps=self.index_maintenance),
            on_released=partial(release_reads, deps=self.index_maintenance))

    @cached_property
    def exports(self) -> ExportDependencies:
        return ExportDependencies(
            images=self.raw_images, crops=self.derived_images, image_records=self.image_records,
            evidence=EvidenceStore(self.client("s3"), self.settings.evidence_bucket),
            holds=self.holds, audit=self.audit_log, clock=self.clock,
            case_numbers=self.settings.case_numbers,
            signer=self.evidence_signing_key)

    @cached_property
    def evidence_signing_key(self) -> KmsSigningKey:
        return KmsSigningKey(self.client("kms"), self.settings.evidence_signing_key_arn)

    @cached_property
    def checkpoint_key(self) -> KmsSigningKey:
        """Signs only under the checkpoint function's role; everyone else reads its public key."""
        return KmsSigningKey(self.client("kms"), self.settings.checkpoint_key_arn)

    @cached_property
    def checkpoint_store(self) -> CheckpointStore:
        return CheckpointStore(self.client("s3"), self.settings.checkpoint_bucket,
                               self.settings.data_key_arn)

    @cached_property
    def checkpoints(self) -> CheckpointDependencies:
        return CheckpointDependencies(audit=self.audit_log, store=self.checkpoint_store,
                                      signer=self.checkpoint_key, notices=self.notices,
                                      clock=self.clock)

    @cached_property
    def releases_table(self) -> ReleasesTable:
        return ReleasesTable(self.client("dynamodb"), self.settings.releases_table)

    @cached_property
    def releases(self) -> ReleaseDependencies:
        return ReleaseDependencies(
            releases=self.releases_table, reads=self.reads, exports=self.exports,
            audit=self.audit_log, clock=self.clock, agencies=self.agencies_table)

    @cached_property
    def agencies_table(self) -> AgenciesTable:
        return AgenciesTable(self.client("dynamodb"), self.settings.agencies_table)

    @cached_property
    def agencies(self) -> AgencyDependencies:
        return AgencyDependencies(agencies=self.agencies_table, audit=self.audit_log,
                                  clock=self.clock, candidates=lambda: list(load_seed()))

    @cached_property
    def hold_requests(self) -> HoldAskDependencies:
        return HoldAskDependencies(
            asks=HoldAsksTable(self.client("dynamodb"), self.settings.holds_table),
            reads=self.reads, holds=self.holds, audit=self.audit_log, clock=self.clock)

    @cached_property
    def system_status(self) -> SystemStatusDependencies:
        sqs = self.client("sqs")
        return SystemStatusDependencies(
            cameras=self.cameras.cameras,
            ingest_queue=QueueDepth(sqs, self.settings.ingest_queue_url),
            dead_letters=QueueDepth(sqs, self.settings.ingest_dlq_url),
            audit_head=self.audit_log, reports=self.report_store, audit=self.audit_log,
            clock=self.clock, health=self.camera_health_view)

    @cached_property
    def read_purge(self) -> PurgeDependencies:
        return PurgeDependencies(images=self.raw_images, crops=self.derived_images,
                                 image_still_needed=self._image_still_needed,
                                 forget_image=self.image_records.delete)

    @cached_property
    def report_store(self) -> ReportStore:
        return ReportStore(self.client("s3"), self.settings.reports_bucket,
                           self.settings.data_key_arn)

    def policy_document(self) -> PolicyDocument:
        return load_policy_document(self.settings.policy_document, self.settings.agency_name)

    @cached_property
    def monthly_audit(self) -> MonthlyAuditDependencies:
        return MonthlyAuditDependencies(
            audit=self.audit_log, accounts=self._all_accounts, holds=self.holds_table,
            reads=self.reads,
            releases=ReleaseRequestsReader(self.client("dynamodb"), self.settings.releases_table),
            directory=self.agencies_table, hotlist=self.hotlist, store=self.report_store,
            notices=self.notices,
            policy_document=self.policy_document, clock=self.clock,
            retention_days=self.settings.retention_days, zone=self.settings.zone,
            agency=self.settings.agency_name, uploads=self.upload_exceptions,
            case_numbers=self.settings.case_numbers,
            extended_search_days=self.settings.extended_search_days,
            checkpoints=self.checkpoint_store, checkpoint_key=self.checkpoint_key,
            camera_figures=partial(month_figures, self.cameras.cameras, self.camera_stats),
            register=self.account_register.all_entries)

    @cached_property
    def transparency(self) -> TransparencyDependencies:
        return TransparencyDependencies(
            cameras=self.cameras.cameras, reads=self.reads, alerts=self.alerts_table,
            audit=self.audit_log, reports=self.report_store,
            policy_document=self.policy_document, clock=self.clock,
            agency=self.settings.agency_name, retention_days=self.settings.retention_days,
            extended_search_days=self.settings.extended_search_days,
            mfa_for_plate_data=self.settings.mfa_for_plate_data,
            releases=self.releases_table, directory=self.agencies_table)

    @cached_property
    def transparency_cache(self) -> TransparencyCache:
        return TransparencyCache()

    def _all_accounts(self) -> list[UserAccount]:
        """Every account as the access rules see it (for the monthly audit)."""
        return [user_account(account, self.accounts) for account in self.identity.list_accounts()]

    def _frame_reads(self, image_key: str) -> list[Read]:
        """The reads that still exist of the frame stored under image_key."""
        record = self.image_records.get(image_key)
        if record is None:
            return []
        return [read for read in map(self.reads.get, record.read_ids) if read is not None]

    def _image_held_elsewhere(self, image_key: str, exclude: frozenset[str]) -> bool:
        return any(read.holds for read in self._frame_reads(image_key)
                   if read.read_id not in exclude)

    def _image_still_needed(self, image_key: str) -> bool:
        return bool(self._frame_reads(image_key))

    def recognizer(self) -> Recognizer:
        if self._recognizer is None:
            # Imported on first use: only the ingest function loads OpenCV and the models.
            from chalicelib.recognizer import recognize_plates

            self._recognizer = recognize_plates
        return self._recognizer

    @cached_property
    def dead_letters(self) -> DeadLetterQueue:
        return DeadLetterQueue(self.client("sqs"), self.settings.ingest_dlq_url)

    @cached_property
    def ingest(self) -> IngestDependencies:
        alerts = self.alerts
        return IngestDependencies(
            raw_images=self.raw_images,
            crops=self.derived_images,
            image_records=self.image_records,
            reads=self.indexed_reads,
            cameras=CameraDirectory(self.cameras.cameras),
            tickets=self.upload_tickets,
            fingerprints=FrameFingerprints(self.client("dynamodb"),
                                           self.settings.frame_fingerprints_table),
            exceptions=self.upload_exceptions,
            recognize=self.recognizer(),
            retention_days=self.settings.retention_days,
            max_upload_bytes=self.settings.max_upload_bytes,
            clock=self.clock,
            on_reads=partial(alerts_for_reads, deps=alerts),
            activity=self.camera_activity,
        )


_container: Container | None = None


def container() -> Container:
    """The process-wide container, built from the environment on first use."""
    global _container
    if _container is None:
        _container = Container(load_settings())
    return _container


def current() -> Container | None:
    """The installed container, if any (the local stack saves and restores it)."""
    return _container


def override(replacement: Container | None) -> None:
    """Install a container (tests, the local pump's injected clock) or reset to the default."""
    global _container
    _container = replacement
