//! One module per Lambda function, named as its binary.
//!
//! | route                      | binary           | module     |
//! |----------------------------|------------------|------------|
//! | `GET /api/products`        | `product-list`   | [`list`]   |
//! | `GET /api/product/{id}`    | `product-get`    | [`get`]    |
//! | `POST /api/product/create` | `product-create` | [`create`] |

pub mod create;
pub mod get;
pub mod list;
