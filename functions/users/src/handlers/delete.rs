//! `DELETE /api/user`: a signed-in customer deletes their account. The current password is
//! required, as for a password change, and wrong ones count against the same limits as failed
//! log-ins ([`crate::throttle`]).
//!
//! The account goes at once, in one transaction with its tombstone and the message that it was
//! deleted ([`crate::store::UserStore::delete_account`]): every token and session stops working
//! at its next request, and the username cannot be registered again for
//! [`crate::tombstone::KEEP`]. Every service that holds a copy of the person's data is told, and
//! erases it, or anonymises what the shop must keep (an order's amounts), from its own queue a
//! minute later, when no request authorised before the deletion is still running.
//!
//! Administrators cannot delete their own account here (403): an operator removes it, so that a
//! shop cannot lose its last administrator to one stolen password.

use lambda_http::{Body, Request, Response};
use shared::auth::{Caller, Role};
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use time::OffsetDateTime;

use crate::domain::AccountDeletion;
use crate::pseudonym::PseudonymKey;
use crate::refresh::cleared_cookie;
use crate::sign_in::{self, set_cookie};
use crate::store::UserStore;
use crate::throttle::EdgeKey;

pub async fn handle(
    store: &UserStore,
    edge: &EdgeKey,
    tombstones: &PseudonymKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    if caller.role == Role::Admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "an administrator's account is removed by an operator, not from the shop",
        ));
    }
    let form: AccountDeletion = http::parse_body(&request)?;
    let now = OffsetDateTime::now_utc();
    let stored =
        sign_in::check_current_password(store, edge, &request, &caller, form.current_password, now)
            .await?;
    if !store.delete_account(&stored, tombstones, now).await? {
        return Err(ApiError::new(
            ErrorCode::PasswordChanged,
            "your account was changed by another request at the same time: log in again",
        ));
    }
    tracing::info!(username = %caller.username, "account deleted; its data is being erased");
    let mut response = http::no_content();
    set_cookie(&mut response, &cleared_cookie());
    Ok(response)
}
