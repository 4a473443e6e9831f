//! `POST /api/user/logout-everywhere`: end every session of the caller's account, this one
//! included, on every device, at once: every token stops working at its next request.

use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};

use crate::refresh::cleared_cookie;
use crate::sign_in::set_cookie;
use crate::store::UserStore;

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    if !store.end_all_sessions(&caller.username).await? {
        return Err(ApiError::new(
            ErrorCode::UserNotFound,
            "your account no longer exists",
        ));
    }
    tracing::info!(username = %caller.username, "logged out everywhere");
    let mut response = http::no_content();
    // The refresh token goes too: this browser holds nothing of the session.
    set_cookie(&mut response, &cleared_cookie());
    Ok(response)
}
