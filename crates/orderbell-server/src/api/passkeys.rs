//! Passkeys (WebAuthn, docs/accounts.md): registering them on one's account, listing and
//! removing them, and signing in with one alone. The ceremonies' checks are in
//! [`crate::security::webauthn`]; here are the challenges, the store and the answers.
//!
//! A challenge is 32 random bytes, given out as base64url, which is also its `challenge_id`;
//! only its SHA-256 is stored, for 5 minutes, and it works once (a registration challenge only
//! for the account that asked for it). Every failed sign-in, whatever the reason (an unknown
//! credential, a bad signature, another origin, a used or expired challenge, a counter that did
//! not grow), is the same 401 `passkey_invalid`, so nobody learns which passkeys exist.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use orderbell_core::user::User;
use orderbell_core::{PasskeyId, Timestamp, UserId, ValidationErrors};
use orderbell_store::{ChallengePurpose, NewPasskey, Passkey, StoreError};
use serde::{Deserialize, Serialize};

use super::accounts::{SessionView, SignIn, start_session};
use crate::http::auth::Caller;
use crate::http::client::Device;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::security::webauthn::{self, Expect, RelyingParty, b64, unb64};
use crate::security::{random_bytes, token};
use crate::state::AppState;

/// How long a challenge can be answered.
pub const CHALLENGE_MINUTES: i64 = 5;
/// A challenge id: 32 bytes in base64url (43 characters, the last with its two spare bits 0).
pub const CHALLENGE_PATTERN: &str = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$";
/// Base64url without padding, as WebAuthn's JSON forms write bytes: whole groups of four,
/// then two or three characters whose spare bits are 0 (what the server decodes, exactly).
pub const B64URL_PATTERN: &str =
    "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$";
/// The longest a passkey's name may be.
pub const PASSKEY_NAME_MAX: usize = 64;
/// Longest base64url texts taken: a credential id (1023 bytes), client data, attestation
/// object, authenticator data, signature and user handle.
pub const ID_MAX: usize = 1364;
pub const CLIENT_DATA_MAX: usize = 4096;
pub const ATTESTATION_MAX: usize = 16384;
pub const AUTH_DATA_MAX: usize = 4096;
pub const SIGNATURE_MAX: usize = 2048;
pub const USER_HANDLE_MAX: usize = 88;
/// A transport name (`internal`, `hybrid`, `usb`…; unknown ones are kept as hints).
pub const TRANSPORT_PATTERN: &str = "^[a-z0-9-]{1,32}$";
pub const TRANSPORTS_MAX: usize = 8;

/// Whether sign-ins and registrations must verify the user (a PIN, a fingerprint, the
/// device's lock): `required`, so a passkey alone is two steps (something one has, and
/// something one knows or is).
const USER_VERIFICATION: &str = "required";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasskeyView {
    #[schema(value_type = String)]
    pub id: PasskeyId,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
}

impl From<Passkey> for PasskeyView {
    fn from(p: Passkey) -> Self {
        PasskeyView {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// `PublicKeyCredentialRpEntity`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RpEntity {
    pub id: String,
    pub name: String,
}

/// `PublicKeyCredentialUserEntityJSON`: the id is the account id's 16 bytes, base64url.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserEntity {
    pub id: String,
    pub name: String,
    pub display_name: String,
}

/// `PublicKeyCredentialParameters`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialParameters {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub alg: i64,
}

/// `PublicKeyCredentialDescriptorJSON`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialDescriptor {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub transports: Vec<String>,
}

/// `AuthenticatorSelectionCriteria`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    pub resident_key: &'static str,
    pub require_resident_key: bool,
    pub user_verification: &'static str,
}

/// `PublicKeyCredentialCreationOptionsJSON` (bytes as base64url), for
/// `PublicKeyCredential.parseCreationOptionsFromJSON` or by hand.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptions {
    pub rp: RpEntity,
    pub user: UserEntity,
    pub challenge: String,
    pub pub_key_cred_params: Vec<CredentialParameters>,
    /// Milliseconds.
    pub timeout: u32,
    /// The account's passkeys, so an authenticator does not make a second one.
    pub exclude_credentials: Vec<CredentialDescriptor>,
    pub authenticator_selection: AuthenticatorSelection,
    /// `none`: no attestation is asked for or verified.
    pub attestation: &'static str,
}

/// `PublicKeyCredentialRequestOptionsJSON`: no `allowCredentials`, so the authenticator offers
/// the passkeys it holds for this site (discoverable credentials).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptions {
    pub challenge: String,
    pub timeout: u32,
    pub rp_id: String,
    pub allow_credentials: Vec<CredentialDescriptor>,
    pub user_verification: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationOptions {
    /// Send it back with the credential.
    pub challenge_id: String,
    #[serde(rename = "publicKey")]
    pub public_key: CreationOptions,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignInOptions {
    /// Send it back with the credential.
    pub challenge_id: String,
    #[serde(rename = "publicKey")]
    pub public_key: RequestOptions,
}

/// `AuthenticatorAttestationResponseJSON` (what else a browser adds is ignored).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
    #[serde(default)]
    pub transports: Option<Vec<String>>,
}

/// `RegistrationResponseJSON`, as `PublicKeyCredential.toJSON()` writes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationCredential {
    pub id: String,
    pub raw_id: String,
    /// `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    pub response: AttestationResponse,
}

/// `AuthenticatorAssertionResponseJSON`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    /// The account id's bytes (a discoverable credential always gives it).
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// `AuthenticationResponseJSON`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssertionCredential {
    pub id: String,
    pub raw_id: String,
    /// `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    pub response: AssertionResponse,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasskeyRequest {
    pub challenge_id: String,
    /// What to call it ("Phone", "Laptop"); `Passkey` when left out.
    #[serde(default)]
    pub name: Option<String>,
    pub credential: RegistrationCredential,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyPatch {
    pub name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeySignInRequest {
    pub challenge_id: String,
    pub credential: AssertionCredential,
}

/// 401 `passkey_invalid`: the one answer of every failed passkey sign-in or registration.
pub fn invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "passkey_invalid",
        "the passkey was not accepted; ask for new options and try again",
    )
}

/// The relying party this server is (from `public_url`).
pub fn relying_party(state: &AppState) -> ApiResult<RelyingParty> {
    RelyingParty::from_public_url(&state.config.public_url).ok_or_else(|| {
        ApiError::internal(
            "passkeys",
            &"the public URL has no host to be a WebAuthn RP ID",
        )
    })
}

fn timeout_ms() -> u32 {
    u32::try_from(CHALLENGE_MINUTES * 60 * 1000).unwrap_or(300_000)
}

/// A new challenge kept for `purpose` (and `user`): its base64url form.
async fn new_challenge(
    state: &AppState,
    user: Option<&UserId>,
    purpose: ChallengePurpose,
) -> ApiResult<String> {
    let challenge = b64(&random_bytes::<32>());
    let now = state.now();
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_mins(CHALLENGE_MINUTES))
        .map_err(|e| ApiError::internal("challenge expiry", &e))?;
    state
        .store
        .create_webauthn_challenge(&token::hash(&challenge), user, purpose, expires_at, now)
        .await?;
    Ok(challenge)
}

/// Uses a challenge once: the user it was given to (for a registration). Any failure is
/// `passkey_invalid`.
async fn take_challenge(
    state: &AppState,
    challenge_id: &str,
    purpose: ChallengePurpose,
) -> ApiResult<(Vec<u8>, Option<UserId>)> {
    let bytes = unb64(challenge_id).map_err(|_| invalid())?;
    let user = state
        .store
        .take_webauthn_challenge(&token::hash(challenge_id), purpose, state.now())
        .await?
        .ok_or_else(invalid)?;
    Ok((bytes, user))
}

/// The user handle of an account: its id's 16 bytes.
fn user_handle(user: &UserId) -> ApiResult<Vec<u8>> {
    user.to_bytes()
        .map(|b| b.to_vec())
        .ok_or_else(|| ApiError::internal("passkeys", &"an account id is not 16 bytes"))
}

fn field_b64(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    max: usize,
) -> Option<Vec<u8>> {
    if value.len() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
        return None;
    }
    match unb64(value) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            errors.add(field, "invalid", "not base64url (without padding)");
            None
        }
    }
}

fn check_challenge_id(errors: &mut ValidationErrors, value: &str) {
    if value.len() != 43 || unb64(value).map(|b| b.len()) != Ok(32) {
        errors.add(
            "challenge_id",
            "invalid",
            "not a challenge id from the options",
        );
    }
}

fn check_type(errors: &mut ValidationErrors, field: &str, kind: &str) {
    if kind != "public-key" {
        errors.add(field, "invalid", "must be public-key");
    }
}

/// The options for registering a passkey on the signed-in account (API and account page).
pub async fn registration_options(state: &AppState, user: &User) -> ApiResult<RegistrationOptions> {
    let rp = relying_party(state)?;
    let challenge = new_challenge(state, Some(&user.id), ChallengePurpose::Register).await?;
    let exclude = state
        .store
        .passkeys_of(&user.id)
        .await?
        .into_iter()
        .map(|p| CredentialDescriptor {
            kind: "public-key",
            id: p.credential_id,
            transports: p.transports,
        })
        .collect();
    Ok(RegistrationOptions {
        challenge_id: challenge.clone(),
        public_key: CreationOptions {
            rp: RpEntity {
                id: rp.id,
                name: "Orderbell".into(),
            },
            user: UserEntity {
                id: b64(&user_handle(&user.id)?),
                name: user.email.clone(),
                display_name: user.name.clone(),
            },
            challenge,
            pub_key_cred_params: webauthn::ALGORITHMS
                .iter()
                .map(|alg| CredentialParameters {
                    kind: "public-key",
                    alg: *alg,
                })
                .collect(),
            timeout: timeout_ms(),
            exclude_credentials: exclude,
            authenticator_selection: AuthenticatorSelection {
                resident_key: "required",
                require_resident_key: true,
                user_verification: USER_VERIFICATION,
            },
            attestation: "none",
        },
    })
}

/// Starts registering a passkey: the options for `navigator.credentials.create()` (201). Answer
/// within 5 minutes with `POST /api/v1/me/passkeys`.
#[utoipa::path(post, operation_id = "passkey_registration_options", path = "/api/v1/me/passkeys/options",
    tag = "accounts",
    responses((status = 201, body = RegistrationOptions), (status = 401, body = ErrorBody)))]
pub async fn start_registration(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<RegistrationOptions>)> {
    let user = caller.user()?;
    Ok((
        StatusCode::CREATED,
        Json(registration_options(&state, user).await?),
    ))
}

/// Checks a registration and keeps the passkey (API and account page).
pub async fn register(
    state: &AppState,
    user: &User,
    body: NewPasskeyRequest,
) -> ApiResult<Passkey> {
    let mut errors = ValidationErrors::new();
    check_challenge_id(&mut errors, &body.challenge_id);
    let name = errors.text("name", body.name.as_deref(), false, PASSKEY_NAME_MAX);
    let cred = &body.credential;
    check_type(&mut errors, "credential.type", &cred.kind);
    let raw_id = field_b64(&mut errors, "credential.rawId", &cred.raw_id, ID_MAX);
    let client_data = field_b64(
        &mut errors,
        "credential.response.clientDataJSON",
        &cred.response.client_data_json,
        CLIENT_DATA_MAX,
    );
    let attestation = field_b64(
        &mut errors,
        "credential.response.attestationObject",
        &cred.response.attestation_object,
        ATTESTATION_MAX,
    );
    let transports = cred.response.transports.clone().unwrap_or_default();
    if transports.len() > TRANSPORTS_MAX
        || !transports.iter().all(|t| {
            (1..=32).contains(&t.len())
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
    {
        errors.add(
            "credential.response.transports",
            "invalid",
            "transports are short lower-case names",
        );
    }
    errors.into_result()?;
    let (Some(raw_id), Some(client_data), Some(attestation)) = (raw_id, client_data, attestation)
    else {
        return Err(invalid());
    };
    let (challenge, owner) =
        take_challenge(state, &body.challenge_id, ChallengePurpose::Register).await?;
    // `id` is `rawId` in base64url; a body where they differ was not made by a browser.
    if cred.id != cred.raw_id {
        return Err(invalid());
    }
    if owner.as_ref() != Some(&user.id) {
        return Err(invalid());
    }
    let rp = relying_party(state)?;
    let expect = Expect {
        rp: &rp,
        challenge: &challenge,
        user_verification: USER_VERIFICATION == "required",
    };
    let new = webauthn::verify_registration(&expect, &raw_id, &client_data, &attestation)
        .map_err(|e| refused("registration", &e))?;
    let created = state
        .store
        .create_passkey(NewPasskey {
            id: state.new_id(PasskeyId::from_parts),
            user_id: user.id.clone(),
            credential_id: b64(&new.credential_id),
            public_key: new.public_key,
            alg: new.alg,
            sign_count: i64::from(new.sign_count),
            name: name.unwrap_or_else(|| "Passkey".into()),
            transports,
            created_at: state.now(),
        })
        .await;
    match created {
        Err(StoreError::Conflict(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this passkey is registered already",
        )),
        other => Ok(other?),
    }
}

/// A check that failed: logged (without any secret) at debug, answered as `passkey_invalid`
/// or, for input that cannot be read, 422.
fn refused(ceremony: &str, e: &webauthn::Error) -> ApiError {
    tracing::debug!(ceremony, reason = %e, "passkey refused");
    match e {
        webauthn::Error::Malformed(what) => {
            ApiError::field("credential", "invalid", format!("malformed: {what}"))
        }
        webauthn::Error::Refused(_) => invalid(),
    }
}

/// Registers a passkey with what `navigator.credentials.create()` answered (201). 401
/// `passkey_invalid` when the challenge is unknown, used, expired or another account's, or a
/// check fails; 409 when the passkey is registered already; 422 when the body cannot be read.
#[utoipa::path(post, operation_id = "add_passkey", path = "/api/v1/me/passkeys", tag = "accounts",
    request_body = NewPasskeyRequest,
    responses((status = 201, body = PasskeyView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewPasskeyRequest>,
) -> ApiResult<(StatusCode, Json<PasskeyView>)> {
    let user = caller.user()?;
    let passkey = register(&state, user, body).await?;
    Ok((StatusCode::CREATED, Json(passkey.into())))
}

/// The signed-in account's passkeys, the oldest first.
#[utoipa::path(get, operation_id = "list_passkeys", path = "/api/v1/me/passkeys", tag = "accounts",
    responses((status = 200, body = Vec<PasskeyView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PasskeyView>>> {
    let user = caller.user()?;
    Ok(Json(
        state
            .store
            .passkeys_of(&user.id)
            .await?
            .into_iter()
            .map(PasskeyView::from)
            .collect(),
    ))
}

/// Renames one of the signed-in account's passkeys.
#[utoipa::path(patch, operation_id = "rename_passkey", path = "/api/v1/me/passkeys/{id}", tag = "accounts",
    params(("id" = String, Path)), request_body = PasskeyPatch,
    responses((status = 200, body = PasskeyView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PasskeyPatch>,
) -> ApiResult<Json<PasskeyView>> {
    let user = caller.user()?;
    let id = PasskeyId::parse(&id).ok_or_else(ApiError::not_found)?;
    let mut errors = ValidationErrors::new();
    let name = errors.text("name", Some(&body.name), true, PASSKEY_NAME_MAX);
    errors.into_result()?;
    let passkey = state
        .store
        .rename_passkey(&user.id, &id, &name.unwrap_or_default())
        .await?;
    Ok(Json(passkey.into()))
}

/// Removes one of the signed-in account's passkeys (204); it can no longer sign in.
#[utoipa::path(delete, operation_id = "remove_passkey", path = "/api/v1/me/passkeys/{id}", tag = "accounts",
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user = caller.user()?;
    let id = PasskeyId::parse(&id).ok_or_else(ApiError::not_found)?;
    state.store.delete_passkey(&user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a sign-in with a passkey: the options for `navigator.credentials.get()` (200).
/// Limited per client address like password sign-ins.
#[utoipa::path(post, operation_id = "passkey_sign_in_options", path = "/api/v1/session/passkey/options",
    tag = "accounts",
    responses((status = 200, body = SignInOptions), (status = 429, body = ErrorBody)))]
pub async fn sign_in_options(
    State(state): State<AppState>,
    device: Device,
) -> ApiResult<Json<SignInOptions>> {
    state.limits.passkey_sign_in(device.ip).await?;
    let rp = relying_party(&state)?;
    let challenge = new_challenge(&state, None, ChallengePurpose::SignIn).await?;
    Ok(Json(SignInOptions {
        challenge_id: challenge.clone(),
        public_key: RequestOptions {
            challenge,
            timeout: timeout_ms(),
            rp_id: rp.id,
            allow_credentials: Vec::new(),
            user_verification: USER_VERIFICATION,
        },
    }))
}

/// Signs in with a passkey alone (200, the session cookie, as `POST /api/v1/session`). A
/// passkey that verifies the user counts as two-step sign-in: no authenticator code is asked.
/// 401 `passkey_invalid` for every refusal; 422 when the body cannot be read.
#[utoipa::path(post, operation_id = "passkey_sign_in", path = "/api/v1/session/passkey", tag = "accounts",
    request_body = PasskeySignInRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn sign_in(
    State(state): State<AppState>,
    device: Device,
    ApiJson(body): ApiJson<PasskeySignInRequest>,
) -> ApiResult<Response> {
    state.limits.passkey_sign_in(device.ip).await?;
    let mut errors = ValidationErrors::new();
    check_challenge_id(&mut errors, &body.challenge_id);
    let cred = &body.credential;
    check_type(&mut errors, "credential.type", &cred.kind);
    let raw_id = field_b64(&mut errors, "credential.rawId", &cred.raw_id, ID_MAX);
    let r = &cred.response;
    let client_data = field_b64(
        &mut errors,
        "credential.response.clientDataJSON",
        &r.client_data_json,
        CLIENT_DATA_MAX,
    );
    let auth_data = field_b64(
        &mut errors,
        "credential.response.authenticatorData",
        &r.authenticator_data,
        AUTH_DATA_MAX,
    );
    let signature = field_b64(
        &mut errors,
        "credential.response.signature",
        &r.signature,
        SIGNATURE_MAX,
    );
    let handle = r.user_handle.as_deref().and_then(|h| {
        field_b64(
            &mut errors,
            "credential.response.userHandle",
            h,
            USER_HANDLE_MAX,
        )
    });
    errors.into_result()?;
    let (Some(raw_id), Some(client_data), Some(auth_data), Some(signature)) =
        (raw_id, client_data, auth_data, signature)
    else {
        return Err(invalid());
    };
    let (challenge, _) =
        take_challenge(&state, &body.challenge_id, ChallengePurpose::SignIn).await?;
    if cred.id != cred.raw_id {
        return Err(invalid());
    }
    let passkey = state
        .store
        .passkey_by_credential(&b64(&raw_id))
        .await?
        .ok_or_else(invalid)?;
    // §7.2 step 6: the user handle, when given, must be the owner's.
    if let Some(handle) = handle
        && handle != user_handle(&passkey.user_id)?
    {
        return Err(invalid());
    }
    let rp = relying_party(&state)?;
    let expect = Expect {
        rp: &rp,
        challenge: &challenge,
        user_verification: USER_VERIFICATION == "required",
    };
    let stored_count = u32::try_from(passkey.sign_count).unwrap_or(u32::MAX);
    let new_count = webauthn::verify_assertion(
        &expect,
        webauthn::Stored {
            public_key: &passkey.public_key,
            sign_count: stored_count,
        },
        &client_data,
        &auth_data,
        &signature,
    )
    .map_err(|e| refused("sign-in", &e))?;
    if !state
        .store
        .use_passkey(
            &passkey.id,
            passkey.sign_count,
            i64::from(new_count),
            state.now(),
        )
        .await?
    {
        return Err(invalid());
    }
    let user = state
        .store
        .user(&passkey.user_id)
        .await?
        .ok_or_else(invalid)?;
    start_session(&state, &user, &device, SignIn::Passkey).await
}
