//! `POST /api/order/update-item` with `product_id` and `qty`: set the quantity of a product in
//! the caller's open order; 0 removes the line.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::http::{self, ApiError};
use shared::messages::OrderView;

use super::ItemForm;
use crate::open_order;
use crate::store::OrderStore;

pub async fn handle(store: &OrderStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let (product_id, qty) = http::parse_body::<ItemForm>(&request)?.checked(0)?;
    let order = open_order::change(store, &caller.username, false, |order| {
        order.set_quantity(&product_id, qty)
    })
    .await?;
    Ok(http::json(StatusCode::OK, &OrderView::from(&order)))
}
