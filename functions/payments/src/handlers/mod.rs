//! One module per Lambda function, named as its binary.
//!
//! | trigger                   | binary           | module     |
//! |---------------------------|------------------|------------|
//! | `POST /api/payment/card`  | `payment-card`   | [`card`]   |
//! | the checkout queue        | `payment-charge` | [`charge`] |
//! | `PaymentErasureQueue`     | `payment-erase`  | [`erase`]  |

pub mod card;
pub mod charge;
pub mod erase;
