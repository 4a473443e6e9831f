//! `POST /api/user/logout`: end the caller's session. Every token naming it stops working on the
//! next request, on every service, because the authorizer checks the session each time.

use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::http::{self, ApiError};

use crate::refresh::cleared_cookie;
use crate::sign_in::set_cookie;
use crate::store::UserStore;

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    store.end_session(&caller.session_id).await?;
    tracing::info!(username = %caller.username, "logged out");
    let mut response = http::no_content();
    // The refresh token goes too: this browser holds nothing of the session.
    set_cookie(&mut response, &cleared_cookie());
    Ok(response)
}
