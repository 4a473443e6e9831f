//! `POST /api/user/create`: register a customer account. A username is taken while an account
//! has it, and for [`crate::tombstone::KEEP`] after that account was deleted.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::metrics::{self, Metric};
use time::OffsetDateTime;

use crate::domain::{NewUser, RegistrationForm};
use crate::password;
use crate::pseudonym::PseudonymKey;
use crate::store::UserStore;

pub async fn handle(
    store: &UserStore,
    tombstones: &PseudonymKey,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let form: RegistrationForm = http::parse_body(&request)?;
    let new_user = NewUser::try_from(form)?;
    let hash = password::hash(new_user.password.clone()).await?;
    let user = store
        .insert(&new_user, hash, tombstones, OffsetDateTime::now_utc())
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::UsernameTaken,
                format!("the username {} is taken", new_user.username),
            )
        })?;
    tracing::info!(username = %user.username, "user registered");
    metrics::record(Metric::Registrations);
    Ok(http::json(StatusCode::CREATED, &user))
}
