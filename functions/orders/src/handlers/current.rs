//! `GET /api/order`: the caller's current order, with its lines and totals: the cart while it is
//! open, and after checkout until it is paid, so that an order pending payment or whose payment
//! failed is never out of sight (the storefront offers to wait for it, or to pay it again). 404
//! once it is paid, or when there is none.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::http::{self, ApiError};
use shared::messages::OrderView;

use crate::domain::State;
use crate::open_order::OrderError;
use crate::store::OrderStore;

pub async fn handle(store: &OrderStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    match store.current(&caller.username).await? {
        Some(order) if !matches!(order.state, State::Paid { .. }) => {
            Ok(http::json(StatusCode::OK, &OrderView::from(&order)))
        }
        _ => Err(OrderError::NoOpenOrder.into()),
    }
}
