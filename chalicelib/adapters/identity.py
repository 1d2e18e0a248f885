"""Cognito: verify ID tokens ourselves and read account state live on every request.

API Gateway's Cognito authorizer checks tokens in AWS, but `chalice local` and the test client
accept any token, so the application verifies signature (against the pool's JWKS), issuer,
audience, token use and expiry itself. Account state (enabled, groups, approval, training,
certification, MFA) is read from Cognito per request, because a token issued before an
administrator disabled a user or removed a role must not keep working for its lifetime.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import jwt
from botocore.exceptions import ClientError, ParamValidationError

from chalicelib.adapters.errors import translate
from chalicelib.domain.access import Role


class Unauthenticated(Exception):
    """No valid token: the caller is not signed in."""


class AccountNotFound(Exception):
    """The token names a user the pool no longer has."""


class LoginFailed(Exception):
    """Wrong username or password, or a user who may not sign in."""


class UserExists(Exception):
    """An account with this username exists already (Cognito's usernames are never reused)."""


class PasswordRejected(Exception):
    """A new password the pool's password policy refuses (the message says why)."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    username: str


@dataclass(frozen=True)
class CognitoAccount:
    """What Cognito says about a user, before the access rules look at it."""

    user_id: str
    username: str
    enabled: bool
    attributes: dict[str, str]
    groups: frozenset[Role]
    mfa_enabled: bool
    # Cognito's UserStatus: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED.
    status: str = ""


@dataclass(frozen=True)
class LoginResult:
    id_token: str | None
    expires_in: int
    challenge: str | None = None
    session: str | None = None
    # Kept server-side: enrolling an authenticator needs the user's own access token.
    access_token: str | None = None


class MfaSetupFailed(Exception):
    """The one-time code did not confirm the authenticator being enrolled."""


class CognitoIdentity:
    """Token verification, account lookup, login and administration against one user pool."""

    def __init__(self, cognito: Any, region: str, user_pool_id: str, client_id: str) -> None:
        self._cognito = cognito
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        # The pool's key set lives under its endpoint (AWS, or the local stack's moto server).
        endpoint = str(cognito.meta.endpoint_url).rstrip("/")
        self._jwks = jwt.PyJWKClient(f"{endpoint}/{user_pool_id}/.well-known/jwks.json",
                                     cache_keys=True, lifespan=3600, timeout=5)

    def verify(self, token: str) -> TokenClaims:
        """Check an ID token completely; raise Unauthenticated with the reason otherwise."""
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.client_id,
                                issuer=self.issuer,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("the sign-in has expired; sign in again") from error
        except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
            raise Unauthenticated("the sign-in token is not valid for this system") from error
        if claims.get("token_use") != "id":
            raise Unauthenticated("an ID token is required")
        username = claims.get("cognito:username")
        if not isinstance(username, str) or not username:
            raise Unauthenticated("the token names no user")
        return TokenClaims(str(claims["sub"]), username)

    def account(self, username: str) -> CognitoAccount:
        try:
            user = self._cognito.admin_get_user(UserPoolId=self.user_pool_id, Username=username)
            groups = self._cognito.admin_list_groups_for_user(
                UserPoolId=self.user_pool_id, Username=username)["Groups"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise AccountNotFound(username) from error
            raise translate(error, "read account") from error
        attributes = {item["Name"]: item["Value"] for item in user.get("UserAttributes", [])}
        roles = frozenset(Role(group["GroupName"]) for group in groups
                          if group["GroupName"] in Role.__members__.values())
        mfa = "SOFTWARE_TOKEN_MFA" in user.get("UserMFASettingList", [])
        return CognitoAccount(attributes.get("sub", username), str(user["Username"]),
                              bool(user.get("Enabled", False)), attributes, roles, mfa,
                              str(user.get("UserStatus", "")))

    def login(self, username: str, password: str) -> LoginResult:
        # No UserContextData: a client without a secret cannot pass the caller's address to
        # threat protection (EnablePropagateAdditionalUserContextData needs one), so Cognito sees
        # the function's; the access record keeps the caller's.
        try:
            response = self._cognito.initiate_auth(
                ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password})
        except ParamValidationError as error:  # e.g. an empty or over-long value
            raise LoginFailed("wrong username or password") from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in {"NotAuthorizedException", "UserNotFoundException",
                        "UserNotConfirmedException", "PasswordResetRequiredException",
                        "InvalidParameterException"}:
                raise LoginFailed("wrong username or password") from error
            raise translate(error, "sign in") from error
        return _login_result(response)

    def answer_mfa(self, username: str, session: str, code: str) -> LoginResult:
        try:
            response = self._cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
                ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code})
        except ParamValidationError as error:  # e.g. no session, or a malformed one
            raise LoginFailed("the one-time code was not accepted") from error
        except ClientError as error:
            code_name = error.response.get("Error", {}).get("Code")
            if code_name in {"NotAuthorizedException", "CodeMismatchException",
                             "ExpiredCodeException", "InvalidParameterException"}:
                raise LoginFailed("the one-time code was not accepted") from error
            if code_name == "ResourceNotFoundException":  # no such sign-in session
                raise LoginFailed("the sign-in session is not valid; sign in again") from error
            raise translate(error, "verify one-time code") from error
        return _login_result(response)

    def start_mfa_setup(self, access_token: str) -> str:
        """Begin enrolling an authenticator app: the TOTP secret to put into it."""
        try:
            return str(self._cognito.associate_software_token(
                AccessToken=access_token)["SecretCode"])
        except ParamValidationError as error:
            raise MfaSetupFailed("the enrolment session is not valid; sign in again") from error
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {
                    "NotAuthorizedException", "ResourceNotFoundException"}:
                raise MfaSetupFailed("the enrolment session is not valid; sign in again") \
                    from error
            raise translate(error, "start authenticator enrolment") from error

    def finish_mfa_setup(self, access_token: str, code: str) -> None:
        """Confirm the enrolment with a code from the app and make TOTP the sign-in factor."""
        try:
            self._cognito.verify_software_token(AccessToken=access_token, UserCode=code)
            self._cognito.set_user_mfa_preference(
                AccessToken=access_token,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        except ParamValidationError as error:  # e.g. a code that is not six digits
            raise MfaSetupFailed("the one-time code was not accepted") from error
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {
                    "CodeMismatchException", "EnableSoftwareTokenMFAException",
                    "NotAuthorizedException", "InvalidParameterException",
                    "ResourceNotFoundException"}:
                raise MfaSetupFailed("the one-time code was not accepted") from error
            raise translate(error, "finish authenticator enrolment") from error

    def answer_new_password(self, username: str, session: str, password: str) -> LoginResult:
        """The first sign-in's step after the temporary password: the person's own password."""
        try:
            response = self._cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password})
        except ParamValidationError as error:  # no session, or an empty password
            raise LoginFailed("the sign-in session is not valid; sign in again") from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "InvalidPasswordException":
                raise PasswordRejected(_cognito_message(error)) from error
            if code in {"NotAuthorizedException", "CodeMismatchException", "ExpiredCodeException",
                        "ResourceNotFoundException", "InvalidParameterException"}:
                raise LoginFailed("the sign-in session is not valid; sign in again") from error
            raise translate(error, "set the new password") from error
        return _login_result(response)

    def create_user(self, username: str, email: str, attributes: Mapping[str, str],
                    groups: frozenset[Role]) -> None:
        """Create the account with a one-time temporary password that Cognito e-mails to the
        person (nobody else sees it), then put it in its groups."""
        try:
            self._cognito.admin_create_user(
                UserPoolId=self.user_pool_id, Username=username,
                TemporaryPassword=temporary_password(), DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[{"Name": "email", "Value": email},
                                {"Name": "email_verified", "Value": "true"},
                                *({"Name": name, "Value": value}
                                  for name, value in attributes.items())])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UsernameExistsException":
                raise UserExists(username) from error
            raise translate(error, "create account") from error
        self.set_groups(username, groups)

    def resend_invitation(self, username: str) -> None:
        """A new temporary password by e-mail, for an account not yet signed in to."""
        account = self.account(username)
        kept = {name: value for name, value in account.attributes.items()
                if name == "email" or name.startswith("custom:")}
        try:
            self._cognito.admin_create_user(
                UserPoolId=self.user_pool_id, Username=username, MessageAction="RESEND",
                TemporaryPassword=temporary_password(), DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[{"Name": name, "Value": value} for name, value in kept.items()])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise AccountNotFound(username) from error
            raise translate(error, "resend invitation") from error
        # AWS keeps the groups; moto recreates the user without them. Adding is idempotent.
        self.set_groups(username, account.groups)

    def set_groups(self, username: str, groups: frozenset[Role]) -> None:
        """Make the account's role groups exactly `groups` (other groups are left alone)."""
        current = self.account(username).groups
        try:
            for role in sorted(groups - current):
                self._cognito.admin_add_user_to_group(
                    UserPoolId=self.user_pool_id, Username=username, GroupName=role.value)
            for role in sorted(current - groups):
                self._cognito.admin_remove_user_from_group(
                    UserPoolId=self.user_pool_id, Username=username, GroupName=role.value)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise AccountNotFound(username) from error
            raise translate(error, "change groups") from error

    def list_accounts(self) -> list[CognitoAccount]:
        paginator = self._cognito.get_paginator("list_users")
        usernames = [user["Username"] for page in paginator.paginate(
            UserPoolId=self.user_pool_id) for user in page["Users"]]
        return [self.account(username) for username in usernames]

    def update_attributes(self, username: str, values: dict[str, str]) -> None:
        try:
            self._cognito.admin_update_user_attributes(
                UserPoolId=self.user_pool_id, Username=username,
                UserAttributes=[{"Name": name, "Value": value} for name, value in values.items()])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise AccountNotFound(username) from error
            raise translate(error, "update account") from error

    def set_enabled(self, username: str, enabled: bool) -> None:
        call = self._cognito.admin_enable_user if enabled else self._cognito.admin_disable_user
        try:
            call(UserPoolId=self.user_pool_id, Username=username)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
                raise AccountNotFound(username) from error
            raise translate(error, "enable or disable account") from error


def _login_result(response: dict[str, Any]) -> LoginResult:
    if "ChallengeName" in response:
        return LoginResult(None, 0, response["ChallengeName"], response.get("Session"))
    tokens = response["AuthenticationResult"]
    return LoginResult(tokens["IdToken"], int(tokens.get("ExpiresIn", 3600)),
                       access_token=tokens.get("AccessToken"))


# Cognito accepts these symbols in passwords; the pool requires every class (infra/template.yaml).
_SYMBOLS = "!@#%^*-_+="


def temporary_password(length: int = 20) -> str:
    """A random temporary password with every character class the pool's policy requires."""
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, _SYMBOLS)
    chosen = [secrets.choice(group) for group in classes]
    everything = "".join(classes)
    chosen += [secrets.choice(everything) for _ in range(length - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


def _cognito_message(error: ClientError) -> str:
    text = str(error.response.get("Error", {}).get("Message", "")).strip()
    return text or "the password does not meet the password policy"


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD attribute, or None when absent or malformed (treated as not on record)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
