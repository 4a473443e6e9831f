//! `GET /api/orders?limit=&cursor=&status=`: order history, newest first.
//!
//! A customer gets their own orders. An administrator gets everyone's, the open ones unless
//! `status` names another (`OPEN`, `PENDING_PAYMENT`, `PAID`, `PAYMENT_FAILED`).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::ids::OrderId;
use shared::messages::{OrderStatus, OrderView};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::store::{Listing, OrderStore, PagePosition};

pub const DEFAULT_LIMIT: i32 = 20;
pub const MAX_LIMIT: i32 = 100;

#[derive(Debug, Serialize)]
struct OrdersPage {
    orders: Vec<OrderView>,
    next_cursor: Option<String>,
}

pub async fn handle(store: &OrderStore, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let limit = http::page_limit(&request, DEFAULT_LIMIT, MAX_LIMIT)?;
    let status = http::query_parameter(&request, "status");
    let listing = match (caller.is_admin(), status) {
        (true, None) => Listing::WithStatus(OrderStatus::Open),
        (true, Some(raw)) => Listing::WithStatus(OrderStatus::parse(raw).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidStatus,
                "status must be OPEN, PENDING_PAYMENT, PAID or PAYMENT_FAILED",
            )
        })?),
        (false, None) => Listing::OwnedBy(&caller.username),
        (false, Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::InvalidStatus,
                "filtering by status is for administrators; your own orders are all listed",
            ));
        }
    };
    let after = http::query_parameter(&request, "cursor")
        .map(|raw| {
            let parts = http::decode_cursor(raw, 2)?;
            Ok::<_, ApiError>(PagePosition {
                created_at: OffsetDateTime::parse(&parts[0], &Rfc3339)
                    .map_err(|_| http::invalid_cursor())?,
                id: OrderId::parse(&parts[1]).map_err(|_| http::invalid_cursor())?,
            })
        })
        .transpose()?;
    let page = store.page(listing, limit, after).await?;
    Ok(http::json(
        StatusCode::OK,
        &OrdersPage {
            orders: page.orders.iter().map(OrderView::from).collect(),
            next_cursor: page.next.map(|next| {
                let created_at = next.created_at.format(&Rfc3339).unwrap_or_default();
                http::encode_cursor(&[&created_at, next.id.as_str()])
            }),
        },
    ))
}
