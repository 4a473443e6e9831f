//! What log-in, a password change and a refresh share: checking a password within the limits on
//! guessing ([`crate::throttle`]), starting a session, and answering with its tokens.

use std::time::Duration;

use lambda_http::http::header::SET_COOKIE;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::http::{self, ApiError, FieldErrors};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::{Password, Secret, User, Username};
use crate::keys::SigningKeys;
use crate::password;
use crate::refresh::RefreshToken;
use crate::store::{StoredUser, UserStore};
use crate::throttle::{Client, EdgeKey};

/// What a log-in answers.
#[derive(Debug, Serialize)]
struct SignedIn {
    token: String,
    token_type: &'static str,
    /// RFC 3339, UTC.
    expires_at: String,
    expires_in: i64,
    user: User,
}

/// The user, if `password` is `username`'s (`None` is a name no account can have). The check is
/// reserved against the limits first: too many recent failures, and the answer is a 429 whether
/// the password was right or not. A wrong password, or no such user, is `Ok(None)` after the
/// same amount of hashing, and counts as a failure.
pub(crate) async fn check_password(
    store: &UserStore,
    username: Option<&Username>,
    password: Secret,
    client: &Client,
    now: OffsetDateTime,
) -> Result<Option<StoredUser>, ApiError> {
    let limiter = store.limiter();
    let attempt = limiter.reserve(username, client, now).await?;
    let stored = match username {
        Some(username) => store.find(username).await?,
        None => None,
    };
    let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
    let matches = match Password::candidate(password.into_inner()) {
        Some(candidate) => password::verify(candidate, hash).await,
        None => false,
    };
    match (stored, matches) {
        (Some(stored), true) => {
            limiter.forgive(attempt, now).await;
            Ok(Some(stored))
        }
        _ => {
            limiter.failed(attempt, now).await?;
            Ok(None)
        }
    }
}

/// The caller's account, if `password` is its current one: what a signed-in change (of the
/// password, of the address) asks for first, within the limits on log-ins. A wrong one is a field
/// error on `current_password`.
pub(crate) async fn check_current_password(
    store: &UserStore,
    edge: &EdgeKey,
    request: &Request,
    caller: &Caller,
    password: Secret,
    now: OffsetDateTime,
) -> Result<StoredUser, ApiError> {
    let client = Client::of(request, edge);
    let checked = check_password(store, Some(&caller.username), password, &client, now).await?;
    checked.ok_or_else(|| {
        tracing::info!(username = %caller.username, "wrong current password");
        FieldErrors::one("current_password", "is not your current password")
    })
}

/// Starts a session of `user`, of their current session epoch, and answers with its access
/// token and, in a cookie, its refresh token.
pub(crate) async fn start_session(
    store: &UserStore,
    keys: &SigningKeys,
    user: StoredUser,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let session_id = uuid::Uuid::new_v4().simple().to_string();
    let refresh = RefreshToken::generate(&session_id)?;
    let until = store.start_session(&refresh, &user, now).await?;
    let cookie = refresh.cookie(lasting(until - now));
    signed_in(keys, user.user, &session_id, Some(cookie), now).await
}

/// An access token of the session `session_id` of `user`, with `cookie` (a new refresh token) if
/// there is one.
pub(crate) async fn signed_in(
    keys: &SigningKeys,
    user: User,
    session_id: &str,
    cookie: Option<String>,
    now: OffsetDateTime,
) -> Result<Response<Body>, ApiError> {
    let issued = keys
        .signing()
        .await
        .issue(&user.username, session_id, now)?;
    let mut response = http::json(
        StatusCode::OK,
        &SignedIn {
            token: issued.token,
            token_type: "Bearer",
            expires_at: issued.expires_at.format(&Rfc3339).unwrap_or_default(),
            expires_in: (issued.expires_at - now).whole_seconds(),
            user,
        },
    );
    if let Some(cookie) = cookie {
        set_cookie(&mut response, &cookie);
    }
    Ok(response)
}

/// Adds a `Set-Cookie` header with `cookie` to `response`.
pub(crate) fn set_cookie(response: &mut Response<Body>, cookie: &str) {
    // Our own cookies are plain ASCII: a value that is not is a bug, and is left out.
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// A span of time as a cookie's `Max-Age` counts it: whole seconds, none if negative.
pub(crate) fn lasting(span: time::Duration) -> Duration {
    Duration::from_secs(u64::try_from(span.whole_seconds()).unwrap_or(0))
}
