//! Starting one process of a function, as Lambda starts an execution environment: its
//! environment, the Runtime API it polls, and its output to the console.

use std::net::SocketAddr;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::FunctionSpec;
use crate::Result;
use crate::local::Console;

/// Starts a process of the function, its output going to the console.
pub(super) fn spawn(
    spec: &FunctionSpec,
    address: SocketAddr,
    console: &Console,
    index: usize,
) -> Result<Child> {
    let mut command = Command::new(&spec.executable);
    command
        .envs(spec.environment.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        )
        // Every function logs to one group, as the template's FunctionLogs.
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/shop/local/functions")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{index}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|err| {
        format!(
            "starting {} ({}): {err}; build the functions first (cargo build --bins)",
            spec.name,
            spec.executable.display()
        )
    })?;
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let console = console.clone();
        let name = spec.name.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                console.function_line(&name, &line);
            }
        });
    }
    Ok(child)
}
