//! `GET /api/order/{id}`: one order, for its owner (or an administrator); 404 for anyone else,
//! so that ids are not confirmed. The storefront polls it after checkout, and the receipts
//! service invokes it to check an order before rendering its receipt.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::ids::OrderId;
use shared::messages::OrderView;

use crate::store::OrderStore;

pub async fn handle(store: &OrderStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let raw = http::path_parameter(&request, "id")?;
    let not_found = || {
        ApiError::new(
            ErrorCode::OrderNotFound,
            format!("you have no order {raw:?}"),
        )
    };
    let id = OrderId::parse(&raw).map_err(|_| not_found())?;
    let order = store.get_order(&id).await?.ok_or_else(not_found)?;
    if order.owner != caller.username && !caller.is_admin() {
        return Err(not_found());
    }
    Ok(http::json(StatusCode::OK, &OrderView::from(&order)))
}
