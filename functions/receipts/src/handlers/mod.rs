//! One module per Lambda function, named as its binary.
//!
//! | trigger                          | binary           | module      |
//! |----------------------------------|------------------|-------------|
//! | `GET /api/order/{id}/receipt`    | `receipt-get`    | [`get`]     |
//! | the receipts queue               | `receipt-email` | [`email`]   |

pub mod email;
pub mod get;
