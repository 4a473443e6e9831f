//! What moto's SES "sent", read back from its state (as the local shop's mailbox reads it).

use std::process::Command;

use serde_json::Value;
use xtask::local::gateway::mailbox::{Mail, mail_of};

/// Moto's state, `/moto-api/data.json`.
pub(crate) fn moto_state() -> Value {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SESV2").unwrap();
    // moto serialises its state while other tests change it, and now and then fails doing so:
    // ask again.
    (0..10)
        .find_map(|attempt| {
            std::thread::sleep(std::time::Duration::from_millis(100 * attempt));
            let output = Command::new("curl")
                .args(["-sf", &format!("{endpoint}/moto-api/data.json")])
                .output()
                .ok()?;
            serde_json::from_slice::<Value>(&output.stdout).ok()
        })
        .expect("moto's /moto-api/data.json did not answer")
}

/// The e-mails sent to `address`, newest first, parsed.
pub(crate) fn sent_to(address: &str) -> Vec<Mail> {
    mail_of(&moto_state())
        .into_iter()
        .filter(|mail| mail.to.iter().any(|to| to == address))
        .collect()
}
