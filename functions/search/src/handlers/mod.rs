//! One module per Lambda function, named as its binary.
//!
//! | route or trigger                     | binary         | module    |
//! |--------------------------------------|----------------|-----------|
//! | `GET /api/search`                    | `search-query` | [`query`] |
//! | the products table's stream          | `search-index` | [`index`] |

pub mod index;
pub mod query;
