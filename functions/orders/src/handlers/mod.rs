//! One module per Lambda function, named as its binary (`order-<module>`). Every route needs a
//! token.
//!
//! | trigger                            | binary              | module          |
//! |------------------------------------|---------------------|-----------------|
//! | `POST /api/order/add-item`         | `order-add-item`    | [`add_item`]    |
//! | `POST /api/order/update-item`      | `order-update-item` | [`update_item`] |
//! | `GET /api/order`                   | `order-current`     | [`current`]     |
//! | `GET /api/order/{id}`              | `order-get`         | [`get`]         |
//! | `GET /api/orders`                  | `order-list`        | [`list`]        |
//! | `POST /api/order/checkout`         | `order-checkout`    | [`checkout`]    |
//! | the payment results queue          | `order-settle`      | [`settle`]      |
//! | the orders table's stream (outbox) | `order-relay`       | [`relay`]       |
//! | `OrderErasureQueue`                | `order-erase`       | [`erase`]       |

pub mod add_item;
pub mod checkout;
pub mod current;
pub mod erase;
pub mod get;
pub mod list;
pub mod relay;
pub mod settle;
pub mod update_item;

use serde::Deserialize;
use shared::http::ApiError;
use shared::ids::ProductId;

use crate::domain::MAX_QUANTITY;

/// The body of add-item and update-item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemForm {
    product_id: String,
    qty: i64,
}

impl ItemForm {
    /// The product id, if it could name a product at all, and the quantity, if it is within
    /// `min..=99`.
    fn checked(self, min: u32) -> Result<(ProductId, u32), ApiError> {
        let mut fields = shared::http::FieldErrors::default();
        let product_id = fields.check(
            "product_id",
            ProductId::parse(&self.product_id)
                .map_err(|_| "must be a product's id, such as enamel-camp-mug".to_owned()),
        );
        let qty = fields.check(
            "qty",
            u32::try_from(self.qty)
                .ok()
                .filter(|qty| (min..=MAX_QUANTITY).contains(qty))
                .ok_or_else(|| format!("must be a whole number from {min} to {MAX_QUANTITY}")),
        );
        match (product_id, qty) {
            (Some(product_id), Some(qty)) => Ok((product_id, qty)),
            _ => Err(fields.into_error()),
        }
    }
}
