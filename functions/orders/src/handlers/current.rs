//! `GET /api/order`: the caller's open order, with its lines and totals; 404 when there is none.

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
        Some(order) if order.state == State::Open => {
            Ok(http::json(StatusCode::OK, &OrderView::from(&order)))
        }
        _ => Err(OrderError::NoOpenOrder.into()),
    }
}
