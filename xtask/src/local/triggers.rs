//! The event source mappings: a poller per SQS trigger delivers batches of the trigger's size and
//! lets failed messages come back, and reach the dead-letter queue, as Lambda does; a poller per
//! DynamoDB stream trigger reads the table's stream from DynamoDB Local and delivers it as Lambda
//! does ([`crate::streams`]). Either can be paused, as disabling a mapping does.
//!
//! A standard queue is long-polled, as Lambda's pollers poll: an empty queue costs moto one
//! request every [`LONG_POLL_SECONDS`] a poller rather than five a second. A FIFO queue is not:
//! moto's long poll spins, never sleeping, while its visible messages all belong to message
//! groups with a message in flight (`receive_message` in `moto/sqs/models.py`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{RwLock, RwLockReadGuard};

use aws_lambda_events::sqs::SqsBatchResponse;
use hyper::body::Bytes;

use super::Console;
use super::runtime::{Outcome, Pool};
use crate::deliver::{self, Redelivery};

/// How long a receive from a standard queue waits for a message. Pausing a trigger waits for
/// its pollers' passes to end: this long when the queue is idle, and as long as a delivery
/// under way takes otherwise.
const LONG_POLL_SECONDS: i32 = 2;

/// A trigger's switch, as enabling and disabling its event source mapping: once
/// [`Switch::pause`] returns, no batch is being received or delivered, and none will be until
/// [`Switch::resume`].
#[derive(Debug, Clone, Default)]
pub(super) struct Switch {
    paused: Arc<AtomicBool>,
    /// Each poller's pass (a receive and its delivery) holds it to read; a pause, to write.
    passes: Arc<RwLock<()>>,
}

impl Switch {
    pub(super) async fn pause(&self) {
        self.switch_off();
        self.settled().await;
    }

    /// No pass starts from now on (the ones under way go on).
    pub(super) fn switch_off(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    /// Returns once the passes under way have ended.
    pub(super) async fn settled(&self) {
        drop(self.passes.write().await);
    }

    pub(super) fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    /// Leave for one pass, or `None` while paused (after a short sleep, so a caller can loop).
    async fn pass(&self) -> Option<RwLockReadGuard<'_, ()>> {
        let pass = self.passes.read().await;
        if !self.paused.load(Ordering::SeqCst) {
            return Some(pass);
        }
        drop(pass);
        tokio::time::sleep(Duration::from_millis(100)).await;
        None
    }
}

/// An SQS event source mapping, as the template declares it.
pub(super) struct Trigger {
    pub role: aws_sdk_sqs::Client,
    pub operator: aws_sdk_sqs::Client,
    /// The queue's logical id, and its URL here.
    pub queue: String,
    pub url: String,
    pub batch_size: i32,
    pub redelivery: Redelivery,
    pub switch: Switch,
}

/// Delivers batches from the trigger's queue to the function, as Lambda would.
pub(super) async fn poll(trigger: Trigger, pool: Arc<Pool>, console: Console) {
    let Trigger {
        role,
        operator,
        queue,
        url,
        batch_size,
        redelivery,
        switch,
    } = trigger;
    let wait_seconds = if url.ends_with(".fifo") {
        0
    } else {
        LONG_POLL_SECONDS
    };
    loop {
        let Some(pass) = switch.pass().await else {
            continue;
        };
        let started = std::time::Instant::now();
        let poller = deliver::Poller {
            role: &role,
            operator: &operator,
            wait_seconds,
        };
        let delivered = deliver::deliver_batch(poller, &url, batch_size, redelivery, |event| {
            let pool = Arc::clone(&pool);
            async move {
                let all_failed = || {
                    let mut response = SqsBatchResponse::default();
                    for record in &event.records {
                        response.add_failure(record.message_id.clone().unwrap_or_default());
                    }
                    response
                };
                let Ok(payload) = serde_json::to_vec(&event) else {
                    return all_failed();
                };
                match pool.invoke(Bytes::from(payload)).await {
                    Ok(Outcome::Response(body)) => {
                        serde_json::from_slice(&body).unwrap_or_else(|_| all_failed())
                    }
                    _ => all_failed(),
                }
            }
        })
        .await;
        drop(pass);
        match delivered {
            Ok(delivery) if delivery.delivered > 0 => {
                pool.count_records(delivery.delivered);
                console.queue(&queue, pool.name(), delivery.delivered, delivery.failed);
            }
            // A long poll that found nothing has waited already (unless it came back early).
            Ok(_) if wait_seconds > 0 => {
                let wait = Duration::from_secs(wait_seconds.unsigned_abs().into());
                tokio::time::sleep(wait.saturating_sub(started.elapsed())).await;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(err) => {
                console.function_line(pool.name(), &format!("polling {queue} failed: {err}"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// A DynamoDB stream event source mapping, as the template declares it.
pub(super) struct StreamPoller {
    pub api: crate::streams::StreamsApi,
    pub stream_arn: String,
    pub trigger: crate::template::StreamTrigger,
    /// The on-failure destination's queue URL.
    pub on_failure: Option<String>,
    /// The function's role: Lambda sends to the on-failure destination with it.
    pub role: aws_sdk_sqs::Client,
    pub switch: Switch,
}

/// Delivers the table's stream to the function, as Lambda would (see [`crate::streams`]).
pub(super) async fn poll_stream(poller: StreamPoller, pool: Arc<Pool>, console: Console) {
    let mut cursor = crate::streams::Cursor::default();
    loop {
        let Some(turn) = poller.switch.pass().await else {
            continue;
        };
        let pass = crate::streams::deliver_once(
            poller.api,
            &poller.stream_arn,
            &poller.trigger,
            &mut cursor,
            |event| {
                let pool = Arc::clone(&pool);
                async move {
                    let payload = serde_json::to_vec(&event).ok()?;
                    match pool.invoke(Bytes::from(payload)).await {
                        Ok(Outcome::Response(body)) => serde_json::from_slice(&body).ok(),
                        _ => None,
                    }
                }
            },
            |metadata| {
                let (sqs, queue) = (poller.role.clone(), poller.on_failure.clone());
                async move {
                    let Some(queue) = queue else { return };
                    // Best effort, as on AWS: the metadata is for a person to look into.
                    let _sent = sqs
                        .send_message()
                        .queue_url(queue)
                        .message_body(metadata.to_string())
                        .send()
                        .await;
                }
            },
        )
        .await;
        drop(turn);
        match pass {
            Ok(pass) if pass.batches > 0 => {
                pool.count_records(pass.records);
                console.queue(
                    &format!("{} stream", poller.trigger.table),
                    pool.name(),
                    pass.batches,
                    pass.failed + pass.given_up,
                );
                if pass.failed > 0 {
                    // A pause before the failed batch comes again, so a local outage does not
                    // spin (Lambda documents none).
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(err) => {
                console.function_line(pool.name(), &format!("reading the stream failed: {err}"));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
