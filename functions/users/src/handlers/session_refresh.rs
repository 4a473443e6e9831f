//! `POST /api/user/session/refresh`: trade the refresh token in the `__Secure-shop_rt` cookie for
//! a new access token and a new refresh token (see [`crate::refresh`]). No bearer token: this is
//! what gets one when the last has expired, or when the page was reloaded and forgot it.
//!
//! The cookie is `SameSite=Strict`, so no other site's page can make the browser send it; a
//! request a browser marks as coming from elsewhere (`Sec-Fetch-Site`) is refused all the same.
//! Every refusal clears the cookie, so a browser does not keep offering a dead token.

use lambda_http::{Body, Request, Response};
use shared::error::ErrorCode;
use shared::http::ApiError;
use time::OffsetDateTime;

use crate::keys::SigningKeys;
use crate::refresh::{RefreshToken, cleared_cookie};
use crate::sign_in::{lasting, set_cookie, signed_in};
use crate::store::{Refreshed, UserStore};

pub async fn handle(
    store: &UserStore,
    keys: &SigningKeys,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    if from_another_site(&request) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "a session is refreshed only from the shop's own pages",
        ));
    }
    let Some(presented) = RefreshToken::of(&request) else {
        return Ok(ended("there is no session to refresh: log in"));
    };
    let now = OffsetDateTime::now_utc();
    let session_id = presented.session_id().to_owned();
    let next = presented.next(keys.signing().await.refresh_key());
    match store.refresh(&presented, &next, now).await? {
        Refreshed::Rotated { user, until } => {
            let cookie = next.cookie(lasting(until - now));
            signed_in(keys, user, &session_id, Some(cookie), now).await
        }
        Refreshed::Previous { user } => signed_in(keys, user, &session_id, None, now).await,
        Refreshed::Reused { username } => {
            tracing::warn!(
                username = %username,
                "a refresh token was used after it was replaced: the session is ended"
            );
            Ok(ended("this session has ended: log in again"))
        }
        Refreshed::Refused => Ok(ended("this session has ended: log in again")),
        // The cookie stays: it may well be the current one.
        Refreshed::Busy => Err(ApiError::new(
            ErrorCode::AuthUnavailable,
            "the session is being refreshed by another request: try again",
        )),
    }
}

/// A 401 saying why, that also clears the cookie.
fn ended(message: &str) -> Response<Body> {
    let mut response = ApiError::new(ErrorCode::Unauthorized, message).into_response();
    set_cookie(&mut response, &cleared_cookie());
    response
}

/// Whether a browser says the request comes from another site's page. Browsers send
/// `Sec-Fetch-Site` on every request; other clients send none and hold no cookie of a victim's.
fn from_another_site(request: &Request) -> bool {
    request
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() != b"same-origin")
}
