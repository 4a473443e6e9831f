//! One module per Lambda function, named as its binary.
//!
//! | trigger                          | binary           | module      |
//! |----------------------------------|------------------|-------------|
//! | `GET /api/order/{id}/receipt`    | `receipt-get`    | [`get`]     |
//! | the receipts queue               | `receipt-email` | [`email`]   |
//! | `ReceiptErasureQueue`            | `receipt-erase` | [`erase`]   |

pub mod email;
pub mod erase;
pub mod get;
