//! A Lambda Runtime API of our own: each function's real binary runs as a separate process and
//! fetches its invocations from this server, exactly as it does on AWS.
//!
//! Every function gets its own port (`AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`). Processes start
//! on the first invocation and stay warm; when every process of a function is busy, another one
//! starts, up to [`MAX_WORKERS`], so concurrent requests run concurrently as on Lambda.
//!
//! Past that an invocation waits for a process (Lambda would start more, or throttle). As on
//! Lambda, its timeout and the deadline its process is told count from when a process takes it,
//! not from that wait; [`Pool::timings_since`] tells each one's wait and run apart.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::process::Child;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::Console;
use crate::Result;

mod process;

/// Concurrent processes per function at most.
pub const MAX_WORKERS: usize = 4;

/// How long an invocation waits for a process before it fails (`Local.NoProcess`): the local
/// machine's limit, not Lambda's (API Gateway gives up on an integration after 30 s).
const PATIENCE: Duration = Duration::from_secs(30);

/// How many finished invocations' timings a function keeps (the oldest go first).
const KEPT_TIMINGS: usize = 100_000;

/// A function as the local runtime starts it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The binary's name, which is also the function's local name.
    pub name: String,
    pub executable: PathBuf,
    pub environment: Vec<(String, String)>,
    pub memory_mb: u64,
    pub timeout: Duration,
}

/// How an invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The function's response payload.
    Response(Bytes),
    /// The function reported an error (its payload), or timed out.
    Error(Bytes),
}

struct Invocation {
    id: String,
    payload: Bytes,
    queued: Instant,
    /// Told when a process takes it.
    taken: oneshot::Sender<()>,
    reply: oneshot::Sender<Outcome>,
}

/// An invocation a process is running.
struct Running {
    reply: oneshot::Sender<Outcome>,
    queued: Instant,
    taken: Instant,
}

/// The timings of the latest [`KEPT_TIMINGS`] finished invocations, and how many came before.
#[derive(Debug, Default)]
struct Timings {
    dropped: usize,
    kept: std::collections::VecDeque<Timing>,
}

/// How long one invocation waited for a process (one already running, or one it started: its
/// start and init are in the wait), and how long its process then took.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub wait: Duration,
    pub run: Duration,
}

/// One function's processes and the Runtime API they poll.
pub struct Pool {
    spec: FunctionSpec,
    address: SocketAddr,
    queue: mpsc::UnboundedSender<Invocation>,
    pending: Arc<Mutex<mpsc::UnboundedReceiver<Invocation>>>,
    in_flight: Arc<Mutex<HashMap<String, Running>>>,
    /// Each finished invocation's, in the order they finished.
    timings: std::sync::Mutex<Timings>,
    workers: Mutex<Vec<Child>>,
    /// Invocations waiting for a process, and invocations a process is running.
    queued: AtomicUsize,
    busy: AtomicUsize,
    /// Invocations so far (each one's id starts with its number).
    sequence: AtomicUsize,
    /// Messages or stream records its triggers have handed it, in all their batches.
    records: AtomicUsize,
    /// Woken by every `/next`, so [`Pool::start_worker`] can tell when a process is ready.
    polled: tokio::sync::Notify,
    console: Console,
    /// Fault injection: how many of the next responses kill the function's processes instead
    /// of being delivered, and how many have so far.
    crash_on_responses: AtomicUsize,
    crashes: AtomicUsize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("function", &self.spec.name)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Starts the function's Runtime API (no process yet). Each line the function's processes
    /// write goes to `console`.
    pub async fn start(spec: FunctionSpec, console: Console) -> Result<Arc<Self>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (queue, pending) = mpsc::unbounded_channel();
        let pool = Arc::new(Self {
            spec,
            address,
            queue,
            pending: Arc::new(Mutex::new(pending)),
            in_flight: Arc::new(Mutex::new(HashMap::new())),
            timings: std::sync::Mutex::default(),
            workers: Mutex::new(Vec::new()),
            queued: AtomicUsize::new(0),
            busy: AtomicUsize::new(0),
            sequence: AtomicUsize::new(0),
            records: AtomicUsize::new(0),
            polled: tokio::sync::Notify::new(),
            console,
            crash_on_responses: AtomicUsize::new(0),
            crashes: AtomicUsize::new(0),
        });
        let server = Arc::clone(&pool);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let pool = Arc::clone(&server);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let pool = Arc::clone(&pool);
                        async move { Ok::<_, Infallible>(pool.runtime_api(request).await) }
                    });
                    let _closed = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(pool)
    }

    /// How many invocations the function has been given.
    pub fn invocations(&self) -> usize {
        self.sequence.load(Ordering::Relaxed)
    }

    /// Counts `records` more messages or stream records handed to the function by a trigger.
    pub fn count_records(&self, records: usize) {
        self.records.fetch_add(records, Ordering::Relaxed);
    }

    /// Whether no invocation is running or waiting for a process.
    pub fn idle(&self) -> bool {
        self.busy.load(Ordering::SeqCst) + self.queued.load(Ordering::SeqCst) == 0
    }

    /// How many messages or stream records its triggers have handed it.
    pub fn records(&self) -> usize {
        self.records.load(Ordering::Relaxed)
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// How many invocations have finished so far.
    pub fn timed(&self) -> usize {
        self.timings
            .lock()
            .map_or(0, |timings| timings.dropped + timings.kept.len())
    }

    /// The wait and the run of each invocation that finished after the first `count` (those
    /// still kept), in the order they finished.
    pub fn timings_since(&self, count: usize) -> Vec<Timing> {
        self.timings.lock().map_or_else(
            |_| Vec::new(),
            |timings| {
                let skip = count.saturating_sub(timings.dropped);
                timings.kept.iter().skip(skip).copied().collect()
            },
        )
    }

    /// Keeps `running`'s timing, now that it has ended.
    fn record(&self, running: &Running) {
        let timing = Timing {
            wait: running.taken.duration_since(running.queued),
            run: running.taken.elapsed(),
        };
        if let Ok(mut timings) = self.timings.lock() {
            if timings.kept.len() == KEPT_TIMINGS {
                timings.kept.pop_front();
                timings.dropped += 1;
            }
            timings.kept.push_back(timing);
        }
    }

    /// Makes the function crash after its next `count` invocations have done their work, just
    /// before their responses would reach Lambda: the processes are killed and each invocation
    /// fails, as when a function runs out of memory or time at its last step.
    pub fn crash_on_next_responses(&self, count: usize) {
        self.crash_on_responses.store(count, Ordering::SeqCst);
    }

    /// How many invocations [`Pool::crash_on_next_responses`] has crashed.
    pub fn crashes(&self) -> usize {
        self.crashes.load(Ordering::SeqCst)
    }

    /// Kills every process of the function.
    pub async fn stop(&self) {
        for mut child in self.workers.lock().await.drain(..) {
            let _gone = child.kill().await;
        }
    }

    /// Runs one invocation with `payload` and waits for its outcome.
    pub async fn invoke(&self, payload: Bytes) -> Result<Outcome> {
        self.ensure_worker().await?;
        let (reply, outcome) = oneshot::channel();
        let (taken, taken_by) = oneshot::channel();
        let id = format!(
            "{:08x}-{}",
            self.sequence.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        self.queued.fetch_add(1, Ordering::SeqCst);
        let started = SystemTime::now();
        self.queue
            .send(Invocation {
                id: id.clone(),
                payload,
                queued: Instant::now(),
                taken,
                reply,
            })
            .map_err(|_| "the runtime stopped")?;
        let outcome = self.outcome(&id, taken_by, outcome).await;
        let failed = !matches!(outcome, Ok(Outcome::Response(_)));
        self.console
            .observer
            .invocation(&id, &self.spec.name, started, failed);
        outcome
    }

    /// The outcome of invocation `id`: a timeout's once its process has run it for the
    /// function's timeout, or once it has waited [`PATIENCE`] for a process.
    async fn outcome(
        &self,
        id: &str,
        taken: oneshot::Receiver<()>,
        outcome: oneshot::Receiver<Outcome>,
    ) -> Result<Outcome> {
        let dropped = || format!("{}: the invocation was dropped", self.spec.name);
        match tokio::time::timeout(PATIENCE, taken).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(dropped().into()),
            // Still queued, and never run: `next` passes over it (`reply` is closed by then).
            Err(_) => {
                let message = format!(
                    "{{\"errorType\":\"Local.NoProcess\",\"errorMessage\":\"no process took the invocation within {} seconds\"}}",
                    PATIENCE.as_secs()
                );
                return Ok(Outcome::Error(Bytes::from(message)));
            }
        }
        match tokio::time::timeout(self.spec.timeout, outcome).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err(dropped().into()),
            Err(_) => {
                if let Some(running) = self.in_flight.lock().await.remove(id) {
                    self.busy.fetch_sub(1, Ordering::SeqCst);
                    self.record(&running);
                }
                let message = format!(
                    "{{\"errorType\":\"Timeout\",\"errorMessage\":\"Task timed out after {} seconds\"}}",
                    self.spec.timeout.as_secs()
                );
                Ok(Outcome::Error(Bytes::from(message)))
            }
        }
    }

    /// Starts one more process and waits until it asks for its first invocation; returns how long
    /// that took (the function's init, as Lambda counts it) and the process id. For the
    /// benchmarks, which measure one process at a time.
    pub async fn start_worker(&self) -> Result<(Duration, u32)> {
        let ready = self.polled.notified();
        tokio::pin!(ready);
        ready.as_mut().enable();
        let started = std::time::Instant::now();
        let pid = {
            let mut workers = self.workers.lock().await;
            let child = process::spawn(&self.spec, self.address, &self.console, workers.len())?;
            let pid = child.id().ok_or("the process exited at once")?;
            workers.push(child);
            pid
        };
        tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .map_err(|_| format!("{} did not ask for work within 30 s", self.spec.name))?;
        Ok((started.elapsed(), pid))
    }

    /// Starts a process unless there are enough for every invocation running or waiting, plus
    /// the one about to be queued (up to [`MAX_WORKERS`]).
    async fn ensure_worker(&self) -> Result<()> {
        let mut workers = self.workers.lock().await;
        workers.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
        let demand = self.busy.load(Ordering::SeqCst) + self.queued.load(Ordering::SeqCst) + 1;
        if workers.len() >= demand.min(MAX_WORKERS) {
            return Ok(());
        }
        let child = process::spawn(&self.spec, self.address, &self.console, workers.len())?;
        workers.push(child);
        Ok(())
    }

    async fn runtime_api(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let method = request.method().clone();
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method, parts.as_slice()) {
            (Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => self.next().await,
            (Method::POST, ["2018-06-01", "runtime", "invocation", id, "response"]) => {
                if self.take_crash() {
                    self.crash(id).await;
                    return reply(StatusCode::ACCEPTED, Bytes::new());
                }
                self.finish(id, Outcome::Response(body)).await
            }
            (Method::POST, ["2018-06-01", "runtime", "invocation", id, "error"]) => {
                self.finish(id, Outcome::Error(body)).await
            }
            (Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
                self.console.function_line(
                    &self.spec.name,
                    &format!("init error: {}", String::from_utf8_lossy(&body)),
                );
                reply(StatusCode::ACCEPTED, Bytes::from_static(b"{}"))
            }
            _ => reply(StatusCode::NOT_FOUND, Bytes::from_static(b"{}")),
        }
    }

    /// `GET /next`: waits for an invocation and hands it to the process.
    async fn next(&self) -> Response<Full<Bytes>> {
        self.polled.notify_waiters();
        let invocation = loop {
            let Some(invocation) = self.pending.lock().await.recv().await else {
                return reply(StatusCode::GONE, Bytes::new());
            };
            self.queued.fetch_sub(1, Ordering::SeqCst);
            // Its caller gave up waiting for a process (`PATIENCE`): not run for nobody.
            if !invocation.reply.is_closed() {
                break invocation;
            }
        };
        self.busy.fetch_add(1, Ordering::SeqCst);
        let running = Running {
            reply: invocation.reply,
            queued: invocation.queued,
            taken: Instant::now(),
        };
        self.in_flight
            .lock()
            .await
            .insert(invocation.id.clone(), running);
        let _waited_for = invocation.taken.send(());
        let deadline = SystemTime::now() + self.spec.timeout;
        let deadline_ms = deadline
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        Response::builder()
            .status(StatusCode::OK)
            .header("lambda-runtime-aws-request-id", &invocation.id)
            .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                format!(
                    "arn:aws:lambda:local:000000000000:function:{}",
                    self.spec.name
                ),
            )
            .header("lambda-runtime-trace-id", trace_header())
            .header("content-type", "application/json")
            .body(Full::new(invocation.payload))
            .unwrap_or_else(|_| reply(StatusCode::INTERNAL_SERVER_ERROR, Bytes::new()))
    }

    /// Whether this response is one [`Pool::crash_on_next_responses`] asked to crash.
    fn take_crash(&self) -> bool {
        self.crash_on_responses
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    /// Kills the function's processes, and fails invocation `id` as Lambda fails one whose
    /// process died.
    async fn crash(&self, id: &str) {
        self.crashes.fetch_add(1, Ordering::SeqCst);
        // Not `kill().await`: one of these processes is waiting for the answer to the very
        // request being handled here, and waiting for it to exit inside that handler stalls.
        for mut child in self.workers.lock().await.drain(..) {
            let _gone = child.start_kill();
        }
        self.console.function_line(
            &self.spec.name,
            "crashed on purpose before its response (fault injection)",
        );
        // Every invocation those processes were running fails with them, this one included.
        let message = "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":\"the process was killed (fault injection)\"}";
        let running: Vec<String> = self.in_flight.lock().await.keys().cloned().collect();
        for running in running.iter().map(String::as_str).chain([id]) {
            self.finish(
                running,
                Outcome::Error(Bytes::from_static(message.as_bytes())),
            )
            .await;
        }
        // Invocations still waiting get a process again.
        if self.queued.load(Ordering::SeqCst) > 0
            && let Err(err) = self.ensure_worker().await
        {
            self.console
                .function_line(&self.spec.name, &err.to_string());
        }
    }

    async fn finish(&self, id: &str, outcome: Outcome) -> Response<Full<Bytes>> {
        if let Some(running) = self.in_flight.lock().await.remove(id) {
            self.busy.fetch_sub(1, Ordering::SeqCst);
            self.record(&running);
            let _gone = running.reply.send(outcome);
        }
        reply(
            StatusCode::ACCEPTED,
            Bytes::from_static(b"{\"status\":\"OK\"}"),
        )
    }
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
}

/// A fresh X-Ray trace header, in the form Lambda gives each invocation (`Root=1-<8 hex digits of
/// the time>-<24 random hex digits>;Parent=<16>;Sampled=1`): the functions hand it on to SQS,
/// which refuses a malformed one.
fn trace_header() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    #[allow(clippy::cast_possible_truncation)] // the hex digits of the time, as X-Ray keeps them
    let seconds = seconds as u32;
    format!(
        "Root=1-{seconds:08x}-{};Parent={};Sampled=1",
        &random[..24],
        &random[16..]
    )
}
