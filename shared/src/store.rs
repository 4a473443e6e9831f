//! Each service's DynamoDB table, and how a failed call reaches the client.
//!
//! Records are mapped to and from items by `serde_dynamo`: a stored type derives `Serialize` and
//! `Deserialize`, and [`Table::put_record`] adds the key it is stored under. A field added to a
//! record is therefore added in one place, and a stored item that no longer reads as its type is
//! reported as corrupt rather than half-read.
//!
//! A table that cannot be reached (network, throttling, a missing table) is a 503: the client may
//! retry, and the storefront shows that part of the shop as unavailable. Anything else is our bug,
//! a 500. Either way the detail goes to the log and never into the response.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValue, TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorCode, HttpError, INTERNAL_ERROR_MESSAGE};
use crate::metrics::{self, Metric};

/// A DynamoDB call that failed for a reason the client cannot fix.
#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation} failed: {detail}")]
pub struct StoreError {
    operation: &'static str,
    unavailable: bool,
    detail: String,
}

/// Service error codes that mean "not now" rather than "never".
const TRANSIENT_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
];

/// The codes among them that say DynamoDB refused the call for throughput.
const THROTTLED_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
];

impl StoreError {
    pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = err.as_service_error().and_then(ProvideErrorMetadata::code);
        if code.is_some_and(|code| THROTTLED_CODES.contains(&code)) {
            metrics::record(Metric::DynamoDbThrottled);
        }
        let unavailable = match &err {
            SdkError::ServiceError(_) => code.is_some_and(|code| TRANSIENT_CODES.contains(&code)),
            SdkError::ConstructionFailure(_) => false,
            _ => true,
        };
        Self {
            operation,
            unavailable,
            detail: DisplayErrorContext(&err).to_string(),
        }
    }

    /// A stored item that does not have the shape this code wrote: a bug or a manual edit.
    pub fn corrupt(operation: &'static str, detail: impl Into<String>) -> Self {
        Self {
            operation,
            unavailable: false,
            detail: detail.into(),
        }
    }

    /// A write that kept losing races to other writers of the same items: "try again shortly".
    pub fn busy(operation: &'static str, detail: impl Into<String>) -> Self {
        Self {
            operation,
            unavailable: true,
            detail: detail.into(),
        }
    }

    /// Whether a query failed because its index is still being built (after it was added to
    /// a table that held items: "Cannot read from backfilling global secondary index").
    pub fn is_backfilling_index(&self) -> bool {
        self.detail.contains("backfilling global secondary index")
    }

    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

impl HttpError for StoreError {
    fn code(&self) -> ErrorCode {
        if self.unavailable {
            ErrorCode::StorageUnavailable
        } else {
            ErrorCode::InternalError
        }
    }

    fn public_message(&self) -> String {
        if self.unavailable {
            "this service's storage is temporarily unavailable; try again shortly".into()
        } else {
            INTERNAL_ERROR_MESSAGE.into()
        }
    }
}

/// A service's DynamoDB table: the client and the table's name, with the operations every
/// service performs the same way. Each service's store wraps one and adds its own items.
#[derive(Debug, Clone)]
pub struct Table {
    client: aws_sdk_dynamodb::Client,
    name: String,
}

/// A page of a query on an index: items whose `partition` attribute equals `value`.
#[derive(Debug, Clone)]
pub struct IndexQuery<'a> {
    pub index: &'a str,
    pub partition: &'a str,
    pub value: &'a str,
    pub limit: i32,
    /// The key of the previous page's last item.
    pub start: Option<Item>,
    /// Sort-key order: descending for "newest first".
    pub descending: bool,
}

impl Table {
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// The table named by the environment variable `variable`.
    pub fn from_env(
        sdk: &crate::aws::SdkConfig,
        variable: &'static str,
    ) -> Result<Self, crate::config::ConfigError> {
        Ok(Self::new(
            crate::aws::dynamodb(sdk),
            crate::config::required(variable)?,
        ))
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The item with key `pk`. A `consistent` read sees every write that finished before it.
    pub async fn get(
        &self,
        pk: impl Into<String>,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("GetItem", err))?;
        Ok(output.item)
    }

    /// The record with key `pk`, read as a `T`.
    pub async fn get_record<T: DeserializeOwned>(
        &self,
        pk: impl Into<String>,
        consistent: bool,
    ) -> Result<Option<T>, StoreError> {
        self.get(pk, consistent).await?.map(from_item).transpose()
    }

    /// Writes `item`, replacing any item with its `pk`.
    pub async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("PutItem", err))?;
        Ok(())
    }

    /// Every item a `Scan` of the whole table finds, read consistently, page after page;
    /// `configure` adds its projection and filter. Reads the whole table: for a message's or an
    /// operator's work, never a request's.
    pub async fn scan_all(
        &self,
        configure: impl FnOnce(ScanFluentBuilder) -> ScanFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut pages = self.scan_pages(configure);
        let mut items = Vec::new();
        while let Some(page) = pages.next().await? {
            items.extend(page);
        }
        Ok(items)
    }

    /// [`Self::scan_all`] a page at a time, for a caller that works through a table too large
    /// to hold.
    pub fn scan_pages(
        &self,
        configure: impl FnOnce(ScanFluentBuilder) -> ScanFluentBuilder,
    ) -> ScanPages {
        let scan = self
            .client
            .scan()
            .table_name(&self.name)
            .consistent_read(true);
        ScanPages(Some(configure(scan)))
    }

    /// Deletes the item with key `pk`, if there is one.
    pub async fn delete(&self, pk: impl Into<String>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("DeleteItem", err))?;
        Ok(())
    }

    /// An `UpdateItem` of the item keyed `pk`, for the caller to finish with its expressions.
    pub fn update(&self, pk: impl Into<String>) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(pk))
    }

    /// Sends `update`, a conditional `UpdateItem`: `Ok(false)` if its condition failed.
    pub async fn update_if(&self, update: UpdateItemFluentBuilder) -> Result<bool, StoreError> {
        conditional(
            "UpdateItem",
            update.send().await,
            UpdateItemError::is_conditional_check_failed_exception,
        )
    }

    /// Sends `update`, a conditional `UpdateItem`, asking for the item as it is afterwards: the
    /// item if the update happened, `None` if its condition failed.
    pub async fn updated(
        &self,
        update: UpdateItemFluentBuilder,
    ) -> Result<Option<Item>, StoreError> {
        match update.return_values(ReturnValue::AllNew).send().await {
            Ok(output) => Ok(Some(output.attributes.unwrap_or_default())),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                Ok(None)
            }
            Err(err) => Err(StoreError::from_sdk("UpdateItem", err)),
        }
    }

    /// A `Put` of `item` for a `TransactWriteItems`, on `condition` (whose `#name` and `:value`
    /// placeholders `names` and `values` fill): the transaction is cancelled unless it holds.
    pub fn transact_put(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(placeholders(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(|err| StoreError::corrupt("build Put", err.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A `Put` of `item` for a `TransactWriteItems`, on condition that no item with its `pk`
    /// exists: [`Self::put_if_absent`] within a transaction.
    pub fn transact_put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        self.transact_put(item, "attribute_not_exists(pk)", &[], Item::new())
    }

    /// An `Update` of the item keyed `pk` for a `TransactWriteItems`: `expression`, whose `#name`
    /// and `:value` placeholders `names` and `values` fill. Unconditional: a counter, say.
    pub fn transact_update(
        &self,
        pk: impl Into<String>,
        expression: &str,
        names: &[(&str, &str)],
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let key = Item::from([("pk".to_owned(), s(pk))]);
        self.transact_update_key(key, expression, names, values)
    }

    /// [`Self::transact_update`] of the item with the whole key `key`, in a table with a sort key.
    pub fn transact_update_key(
        &self,
        key: Item,
        expression: &str,
        names: &[(&str, &str)],
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.name)
            .set_key(Some(key))
            .update_expression(expression)
            .set_expression_attribute_names(placeholders(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(|err| StoreError::corrupt("build Update", err.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Writes `writes` in one `TransactWriteItems`: all of them, or none and `Ok(false)` when it
    /// lost a race (a condition no longer held, or another transaction held an item); the caller
    /// reads again. The request token makes an SDK retry of a transaction that did happen, but
    /// whose answer was lost, succeed again instead of failing its own conditions.
    pub async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        Ok(self.transact_or_refusals(writes).await?.is_none())
    }

    /// [`Self::transact`], saying which writes held it back: `None` when everything was
    /// written, else the positions in `writes` of those whose condition was false (DynamoDB lists
    /// a cancelled transaction's reasons in the order of its writes), none when another
    /// transaction held an item.
    pub async fn transact_or_refusals(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<usize>>, StoreError> {
        match self.transact_once(writes, &new_token()).await {
            Attempt::Written => Ok(None),
            Attempt::Cancelled(refused) => Ok(Some(refused)),
            Attempt::Throttled(err) | Attempt::Failed(err) => Err(err),
        }
    }

    /// [`Self::transact`] for a caller that does not read again: `Ok(false)` only when a
    /// condition was false. A transaction cancelled only because another one held an item is
    /// sent again after a short, random pause, for about [`CONFLICT_PATIENCE`], then is busy (a
    /// 503): no condition of the caller's was false, so it must not read as one (a valid link
    /// refused, say).
    pub async fn transact_unless_refused(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        self.transact_unless_refused_within(writes, CONFLICT_PATIENCE)
            .await
    }

    /// [`Self::transact_unless_refused`], as patient as `patience`: a transaction held up by
    /// others, or refused for the moment (throttled), is sent again after a pause that doubles
    /// each time (from 25 ms to at most 800 ms, plus up to half again at random, so that the
    /// transactions holding each other up part), until the next pause would outlast `patience`.
    pub async fn transact_unless_refused_within(
        &self,
        writes: Vec<TransactWriteItem>,
        patience: Duration,
    ) -> Result<bool, StoreError> {
        let deadline = Instant::now() + patience;
        let mut pause = Duration::from_millis(25);
        let mut token = new_token();
        loop {
            let err = match self.transact_once(writes.clone(), &token).await {
                Attempt::Written => return Ok(true),
                Attempt::Cancelled(refused) if !refused.is_empty() => return Ok(false),
                // Nothing was written: the next try is a new request, with a token of its own.
                Attempt::Cancelled(_) => {
                    token = new_token();
                    StoreError::busy("TransactWriteItems", "held by other transactions")
                }
                Attempt::Throttled(err) => {
                    token = new_token();
                    err
                }
                // It may have been written (a timeout, a lost answer): sent again under the same
                // token, a transaction that was written answers success rather than failing its
                // own conditions.
                Attempt::Failed(err) => err,
            };
            let wait = with_jitter(pause);
            if !err.is_unavailable() || Instant::now() + wait > deadline {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
            pause = (pause * 2).min(Duration::from_millis(800));
        }
    }

    /// One `TransactWriteItems` under the idempotency `token`.
    async fn transact_once(&self, writes: Vec<TransactWriteItem>, token: &str) -> Attempt {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .client_request_token(token)
            .send()
            .await;
        let Err(err) = result else {
            return Attempt::Written;
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            err.as_service_error()
        else {
            return Attempt::Failed(StoreError::from_sdk("TransactWriteItems", err));
        };
        let reasons = cancelled.cancellation_reasons();
        let busy = reasons.iter().any(|reason| {
            matches!(
                reason.code(),
                Some("ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded")
            )
        });
        if busy {
            // Not a lost race, and not our fault: "try again shortly".
            metrics::record(Metric::DynamoDbThrottled);
            return Attempt::Throttled(StoreError::busy(
                "TransactWriteItems",
                DisplayErrorContext(&err).to_string(),
            ));
        }
        if !lost_race(reasons) {
            return Attempt::Failed(StoreError::from_sdk("TransactWriteItems", err));
        }
        Attempt::Cancelled(
            reasons
                .iter()
                .enumerate()
                .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
                .map(|(position, _)| position)
                .collect(),
        )
    }

    /// Writes `item` unless an item with its `pk` exists: `Ok(false)` when one does. Because the
    /// check is the write's condition, of N concurrent writers of one key exactly one gets `true`.
    pub async fn put_if_absent(&self, item: Item) -> Result<bool, StoreError> {
        self.put_when(item, "attribute_not_exists(pk)", &[], Item::new())
            .await
    }

    /// Writes `item` if `condition` holds for the item it replaces (`names` and `values` fill
    /// the condition's `#name` and `:value` placeholders); `Ok(false)` if it does not.
    pub async fn put_when(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Item,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(placeholders(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .send()
            .await;
        conditional(
            "PutItem",
            result,
            PutItemError::is_conditional_check_failed_exception,
        )
    }

    /// One page of the records of one kind, in the order of the index `index`, whose partition
    /// key is `kind` and whose sort key is the attribute `sort`; `after` is the `(pk, sort value)`
    /// of the previous page's last record. Returns the records and the last one's sort value, if
    /// there may be more.
    pub async fn kind_page<T: DeserializeOwned>(
        &self,
        index: &str,
        kind: &str,
        sort: &str,
        limit: i32,
        after: Option<(String, &str)>,
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        self.partition_page(index, ("kind", kind), sort, limit, after)
            .await
    }

    /// [`Self::kind_page`] of an index whose partition key is the attribute `partition.0`, in
    /// its partition `partition.1`.
    pub async fn partition_page<T: DeserializeOwned>(
        &self,
        index: &str,
        (attribute, value): (&str, &str),
        sort: &str,
        limit: i32,
        after: Option<(String, &str)>,
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        let start = after.map(|(pk, after)| {
            Item::from([
                ("pk".to_owned(), s(pk)),
                (attribute.to_owned(), s(value)),
                (sort.to_owned(), s(after)),
            ])
        });
        let (items, last) = self
            .query_page(IndexQuery {
                index,
                partition: attribute,
                value,
                limit,
                start,
                descending: false,
            })
            .await?;
        let records = items
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = last
            .map(|key| {
                key.get(sort)
                    .and_then(|value| value.as_s().ok())
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt("read page key", format!("no {sort}")))
            })
            .transpose()?;
        Ok((records, next))
    }

    /// One page of `query`: its items, and the key to start the next page from (none on the
    /// last page).
    pub async fn query_page(
        &self,
        query: IndexQuery<'_>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(query.index)
            .key_condition_expression("#partition = :value")
            .expression_attribute_names("#partition", query.partition)
            .expression_attribute_values(":value", s(query.value))
            .scan_index_forward(!query.descending)
            .limit(query.limit)
            .set_exclusive_start_key(query.start)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("Query", err))?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }
}

/// The pages of a `Scan` ([`Table::scan_pages`]): the scan to send next, until the last page.
#[derive(Debug)]
pub struct ScanPages(Option<ScanFluentBuilder>);

impl ScanPages {
    /// The next page's items, or `None` after the last page.
    pub async fn next(&mut self) -> Result<Option<Vec<Item>>, StoreError> {
        let Some(scan) = self.0.take() else {
            return Ok(None);
        };
        let page = scan
            .clone()
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("Scan", err))?;
        if page.last_evaluated_key.is_some() {
            self.0 = Some(scan.set_exclusive_start_key(page.last_evaluated_key));
        }
        Ok(Some(page.items.unwrap_or_default()))
    }
}

/// `pause`, and up to half again at random, so that callers retrying together do not march in
/// step.
pub fn with_jitter(pause: Duration) -> Duration {
    pause + pause.mul_f64(f64::from(uuid::Uuid::new_v4().as_bytes()[0]) / 510.0)
}

/// The outcome of a conditional write: `Ok(true)` if it happened, `Ok(false)` if `lost` says its
/// condition failed (another writer got there first), a [`StoreError`] otherwise.
pub fn conditional<T, E, R>(
    operation: &'static str,
    result: Result<T, SdkError<E, R>>,
    lost: impl Fn(&E) -> bool,
) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if err.as_service_error().is_some_and(&lost) => Ok(false),
        Err(err) => Err(StoreError::from_sdk(operation, err)),
    }
}

/// A condition's `#name` placeholders as the SDK takes them (`None` for none).
fn placeholders(names: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    (!names.is_empty()).then(|| {
        names
            .iter()
            .map(|(placeholder, name)| ((*placeholder).to_owned(), (*name).to_owned()))
            .collect()
    })
}

/// What one `TransactWriteItems` came to.
enum Attempt {
    Written,
    /// Cancelled, nothing written: the positions of the writes whose condition was false, none
    /// when it lost only to other transactions.
    Cancelled(Vec<usize>),
    /// Cancelled for want of throughput, nothing written.
    Throttled(StoreError),
    /// Failed: it may or may not have been written.
    Failed(StoreError),
}

/// A fresh idempotency token: a retry under the same one of a transaction that was written
/// succeeds again, instead of failing its own conditions.
fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How long a transaction that lost only to other transactions is sent again: three tries.
pub const CONFLICT_PATIENCE: Duration = Duration::from_millis(200);

/// Whether a cancelled transaction's `reasons` say it lost a race (its conditions no longer
/// held, or another transaction held an item) rather than failed for a reason reading again
/// cannot fix.
fn lost_race(reasons: &[CancellationReason]) -> bool {
    !reasons.is_empty()
        && reasons.iter().all(|reason| {
            matches!(
                reason.code(),
                None | Some("None" | "ConditionalCheckFailed" | "TransactionConflict")
            )
        })
}

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A record and the key it is stored under, written as one item.
#[derive(Serialize)]
struct Keyed<'a, T> {
    pk: &'a str,
    #[serde(flatten)]
    record: &'a T,
}

/// A record that is also listed through an index whose partition key is `kind` (one value for
/// every record of its kind, such as `PRODUCT`).
#[derive(Debug, Serialize)]
pub struct Listed<'a, T> {
    pub kind: &'a str,
    #[serde(flatten)]
    pub record: &'a T,
}

/// `record` as the item stored under key `pk`.
pub fn to_item<T: Serialize>(pk: &str, record: &T) -> Result<Item, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(Keyed { pk, record })
        .map_err(|err| StoreError::corrupt("write item", err.to_string()))
}

/// An item read as the record it stores; its key and anything `T` does not name are ignored.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
        .map_err(|err| StoreError::corrupt("read item", err.to_string()))
}

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
