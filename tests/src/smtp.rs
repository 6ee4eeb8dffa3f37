//! A real SMTP server for tests: Python's `aiosmtpd` (`pip install aiosmtpd`) on a free
//! port of 127.0.0.1, keeping every message it receives in a Maildir of its own. The
//! server under test is started with `FUNDLEDGER_SMTP_URL` = `SmtpServer::url()` and the
//! test reads what arrived (`wait_for_message`), decoded (quoted-printable, base64) by
//! `mail-parser`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// How long `start` waits for the server to take connections.
pub const SMTP_STARTUP_TIMEOUT_MS: u64 = 15_000;
/// How long `wait_for_message` waits unless told otherwise.
pub const MAIL_WAIT_MS: u64 = 15_000;

/// A running `aiosmtpd`; stopped and its Maildir removed on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
}

/// One received message.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope's recipients (`X-RcptTo`), lower-cased.
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    /// The decoded plain-text body.
    pub body: String,
    /// The `Message-ID` header, as sent.
    pub message_id: String,
}

impl ReceivedMail {
    /// The first line of the body that starts with `prefix` (e.g. the server's base URL),
    /// trimmed: a link in the message.
    pub fn link_starting(&self, prefix: &str) -> Option<String> {
        self.body
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .map(str::to_string)
    }
}

/// A port free on 127.0.0.1 just now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let maildir =
            std::env::temp_dir().join(format!("fundledger-smtp-{}", uuid::Uuid::new_v4().simple()));
        // A Maildir's three folders: Python's mailbox makes them only for a new path.
        for folder in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(folder)).expect("the Maildir's folders");
        }
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("starting python3 -m aiosmtpd (pip install aiosmtpd)");
        let server = SmtpServer {
            child,
            port,
            maildir,
        };
        server.wait_until_listening().await;
        server
    }

    async fn wait_until_listening(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(SMTP_STARTUP_TIMEOUT_MS);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "aiosmtpd did not listen on port {} within {SMTP_STARTUP_TIMEOUT_MS} ms",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `FUNDLEDGER_SMTP_URL` for the server under test (plain SMTP).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|folder| std::fs::read_dir(self.maildir.join(folder)).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let modified = entry.metadata().ok()?.modified().ok()?;
                Some((modified, entry.path()))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| std::fs::read(path).ok())
            .filter_map(|raw| parse(&raw))
            .collect()
    }

    /// The messages received so far for `to`.
    pub fn messages_to(&self, to: &str) -> Vec<ReceivedMail> {
        let to = to.to_lowercase();
        self.messages()
            .into_iter()
            .filter(|mail| mail.to.contains(&to))
            .collect()
    }

    /// Waits (up to `MAIL_WAIT_MS`) for message number `count` (1 = the first) to `to`,
    /// and returns it.
    pub async fn wait_for_nth_message(&self, to: &str, count: usize) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(MAIL_WAIT_MS);
        loop {
            let messages = self.messages_to(to);
            if messages.len() >= count {
                return messages[count - 1].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no message {count} to {to} within {MAIL_WAIT_MS} ms (have {})",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the first message to `to`.
    pub async fn wait_for_message(&self, to: &str) -> ReceivedMail {
        self.wait_for_nth_message(to, 1).await
    }
}

fn parse(raw: &[u8]) -> Option<ReceivedMail> {
    let message = mail_parser::MessageParser::default().parse(raw)?;
    let header_text = |name: &str| {
        message
            .header_raw(name)
            .map(|value| value.trim().to_string())
            .unwrap_or_default()
    };
    let to = header_text("X-RcptTo")
        .split(',')
        .map(|address| address.trim().to_lowercase())
        .filter(|address| !address.is_empty())
        .collect();
    Some(ReceivedMail {
        to,
        from: header_text("From"),
        subject: message.subject().unwrap_or_default().to_string(),
        body: message
            .body_text(0)
            .map(|body| body.to_string())
            .unwrap_or_default(),
        message_id: header_text("Message-ID"),
    })
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}
