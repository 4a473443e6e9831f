//! One module per Lambda function, named as its binary.
//!
//! | trigger            | binary              | module       |
//! |--------------------|---------------------|--------------|
//! | the checkout queue | `payments-checkout` | [`checkout`] |

pub mod checkout;
