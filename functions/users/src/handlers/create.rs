//! `POST /api/user/create`: register a customer account.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::http::{self, ApiError, HttpError};
use time::OffsetDateTime;

use crate::domain::{NewUser, RegistrationForm};
use crate::password;
use crate::store::{InsertError, UserStore};

pub async fn handle(store: &UserStore, request: Request) -> Result<Response<Body>, ApiError> {
    let form: RegistrationForm = http::parse_body(&request)?;
    let new_user = NewUser::try_from(form)?;
    let hash = password::hash(new_user.password.clone()).await?;
    let user = store
        .insert(&new_user, hash, OffsetDateTime::now_utc())
        .await?;
    tracing::info!(username = %user.username, "user registered");
    Ok(http::json(StatusCode::CREATED, &user))
}

impl HttpError for InsertError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Taken(_) => StatusCode::CONFLICT,
            Self::Store(err) => err.status(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Taken(_) => "username_taken",
            Self::Store(err) => err.code(),
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Taken(_) => self.to_string(),
            Self::Store(err) => err.public_message(),
        }
    }
}
