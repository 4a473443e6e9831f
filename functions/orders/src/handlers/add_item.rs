//! `POST /api/order/add-item` with `product_id` and `qty`: add to the caller's open order,
//! starting one if there is none.
//!
//! The product is priced by the products service before anything is written, so when the
//! catalogue is unavailable the answer is a 503 and the order is left as it was. The deployed
//! function prices from what the catalogue said of the product within the last few seconds
//! ([`crate::catalog::REMEMBERED`]); checkout asks afresh.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::http::{self, ApiError};
use shared::messages::OrderView;

use super::ItemForm;
use crate::catalog::Catalog;
use crate::open_order;
use crate::store::OrderStore;

pub async fn handle(
    store: &OrderStore,
    catalog: &Catalog,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let (product_id, qty) = http::parse_body::<ItemForm>(&request)?.checked(1)?;
    let priced = catalog.price(&product_id).await?;
    let order = open_order::change(store, &caller.username, true, |order| {
        order.add(priced.clone(), qty)
    })
    .await?;
    Ok(http::json(StatusCode::OK, &OrderView::from(&order)))
}
