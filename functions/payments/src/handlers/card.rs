//! `POST /api/payment/card`: put the caller's card on hold for a payment, and answer with the
//! token their checkout names instead of the card (see [`crate::card`]).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use time::OffsetDateTime;

use crate::card::{CardForm, CardVault};

pub async fn handle(vault: &CardVault, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let now = OffsetDateTime::now_utc();
    // A body that does not parse is answered without serde's words, which could quote the
    // number back (a card number sent as a JSON number, say).
    let form = http::parse_body::<CardForm>(&request).map_err(|err| {
        if err.code() == ErrorCode::InvalidBody {
            ApiError::new(
                ErrorCode::InvalidBody,
                "the body must hold card_number and holder (text), and expiry_month and \
                 expiry_year (numbers), and nothing else",
            )
        } else {
            err
        }
    })?;
    let card = form.card(now)?;
    let held = vault.hold(&caller.username, card, now).await?;
    tracing::info!(card_last4 = %held.card_last4, "card held for a payment");
    Ok(http::json(StatusCode::CREATED, &held))
}
