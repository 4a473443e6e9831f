//! One module per Lambda function, named as its binary (`report-<module>`).
//!
//! | trigger                     | binary          | module     |
//! |-----------------------------|-----------------|------------|
//! | `ReportsQueue`              | `report-record` | [`record`] |
//! | `GET /api/reports/sales`    | `report-sales`  | [`sales`]  |

pub mod record;
pub mod sales;
