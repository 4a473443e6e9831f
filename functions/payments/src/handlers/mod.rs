//! One module per Lambda function, named as its binary.
//!
//! | trigger            | binary           | module     |
//! |--------------------|------------------|------------|
//! | the checkout queue | `payment-charge` | [`charge`] |

pub mod charge;
