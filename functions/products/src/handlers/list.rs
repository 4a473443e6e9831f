//! `GET /api/products?limit=&cursor=`: the catalogue, a page at a time, in slug order. Public.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::http::{self, ApiError};

use crate::domain::Product;
use crate::store::ProductStore;
use shared::ids::ProductId;

pub const DEFAULT_LIMIT: i32 = 24;
pub const MAX_LIMIT: i32 = 100;

#[derive(Debug, Serialize)]
struct ProductsPage {
    products: Vec<Product>,
    next_cursor: Option<String>,
}

pub async fn handle(store: &ProductStore, request: Request) -> Result<Response<Body>, ApiError> {
    let limit = http::page_limit(&request, DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = http::query_parameter(&request, "cursor")
        .map(|raw| {
            let parts = http::decode_cursor(raw, 1)?;
            ProductId::parse(&parts[0]).map_err(|_| http::invalid_cursor())
        })
        .transpose()?;
    let page = store.page(limit, after.as_ref()).await?;
    Ok(super::shared_by_callers(http::json(
        StatusCode::OK,
        &ProductsPage {
            products: page.products,
            next_cursor: page.next.map(|last| http::encode_cursor(&[last.as_str()])),
        },
    )))
}
