//! A DynamoDB Local of a test's own, which the test may stop and start again: the one
//! `scripts/test` starts is shared by every test and must stay up. Its data is on disk, so a
//! restart keeps it, as a real outage would.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use xtask::template::workspace_root;

#[derive(Debug)]
pub(crate) struct OwnDynamoDb {
    port: u16,
    data: PathBuf,
    process: Option<Child>,
}

impl OwnDynamoDb {
    /// Starts it on a free port, with an empty folder for its data.
    pub(crate) async fn start() -> Self {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = workspace_root()
            .join("target/tmp")
            .join(format!("dynamodb-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data).unwrap();
        let mut own = Self {
            port,
            data,
            process: None,
        };
        own.restart().await;
        own
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A client for it, otherwise configured as every other test's.
    pub(crate) async fn client(&self) -> aws_sdk_dynamodb::Client {
        let sdk = super::sdk_config().await;
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .endpoint_url(self.endpoint())
                .build(),
        )
    }

    /// Kills it: connections are refused until [`OwnDynamoDb::restart`].
    pub(crate) fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _gone = process.kill();
            let _reaped = process.wait();
        }
    }

    /// Starts it again on the same port and data, and waits until it answers.
    pub(crate) async fn restart(&mut self) {
        self.stop();
        let home = workspace_root().join(".local/dynamodb-local");
        let process = Command::new("java")
            .current_dir(&self.data)
            .arg(format!(
                "-Djava.library.path={}",
                home.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(home.join("DynamoDBLocal.jar"))
            .args(["-sharedDb", "-dbPath", "."])
            .args(["-port", &self.port.to_string(), "-disableTelemetry"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("java runs DynamoDB Local (scripts/test installs it into .local/)");
        self.process = Some(process);
        let client = self.client().await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.list_tables().send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "DynamoDB Local did not start on {}",
                SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for OwnDynamoDb {
    fn drop(&mut self) {
        self.stop();
        let _removed = std::fs::remove_dir_all(&self.data);
    }
}

impl super::TestApp {
    /// Stores `item` in the template's table `table` as it is, as the operator: what an earlier
    /// version wrote, or a state the functions would not make.
    pub(crate) async fn put_as_is(&self, table: &str, item: shared::store::Item) {
        self.dynamodb
            .put_item()
            .table_name(self.table(table))
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }

    /// The item keyed `pk` in the template's table `table` as it is stored, read consistently.
    pub(crate) async fn stored(&self, table: &str, pk: &str) -> Option<shared::store::Item> {
        self.dynamodb
            .get_item()
            .table_name(self.table(table))
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()),
            )
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }
}
