//! An S3-compatible bucket for media tests (moto in server mode, started by `.ci/run`), and a
//! switch that takes it out of reach and back.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A prefix of its own in the test bucket, for one test.
pub struct TestBucket {
    /// The S3 endpoint (`http://127.0.0.1:PORT`).
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// This test's prefix in it.
    pub prefix: String,
}

impl TestBucket {
    /// A fresh prefix in the bucket at `MASTHEAD_TEST_S3_ENDPOINT` (bucket
    /// `MASTHEAD_TEST_S3_BUCKET`, default `masthead-test`, made if missing). Unset, the S3 tests
    /// do not run, unless `MASTHEAD_TEST_REQUIRE_S3` is set (CI sets it), and then that fails.
    pub async fn new() -> Option<Self> {
        let endpoint = match std::env::var("MASTHEAD_TEST_S3_ENDPOINT") {
            Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
            _ => {
                assert!(
                    std::env::var_os("MASTHEAD_TEST_REQUIRE_S3").is_none(),
                    "MASTHEAD_TEST_REQUIRE_S3 is set but MASTHEAD_TEST_S3_ENDPOINT is not"
                );
                eprintln!("MASTHEAD_TEST_S3_ENDPOINT is not set: this S3 test did not run");
                return None;
            }
        };
        let bucket =
            std::env::var("MASTHEAD_TEST_S3_BUCKET").unwrap_or_else(|_| "masthead-test".into());
        // moto takes an unsigned bucket creation; an existing bucket answers 409, also fine.
        let made = awc::Client::default()
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .expect("the S3 server answers");
        assert!(
            made.status().is_success() || made.status().as_u16() == 409,
            "cannot make the bucket: {}",
            made.status()
        );
        Some(Self {
            endpoint,
            bucket,
            prefix: format!("t-{}", uuid::Uuid::now_v7().simple()),
        })
    }

    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// The settings of a server whose media live here, reached through `endpoint` (the
    /// bucket's own, or a [`StoreSwitch`] in front of it).
    pub fn settings_via(&self, endpoint: &str) -> Vec<(&'static str, String)> {
        vec![
            ("MASTHEAD_MEDIA_STORE", self.url()),
            ("AWS_ENDPOINT_URL", endpoint.to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "masthead-test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "masthead-test-secret".to_owned()),
        ]
    }

    /// The settings of a server whose media live here.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        self.settings_via(&self.endpoint)
    }
}

/// Borrowed `(name, value)` pairs for `spawn_app_with` and `settings`.
pub fn pairs<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A TCP relay in front of the bucket's endpoint that can be switched off (every connection
/// cut, new ones refused at once) and on again: the store going away mid-run and coming back.
pub struct StoreSwitch {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl StoreSwitch {
    /// Starts relaying to `endpoint` (`http://host:port`).
    pub fn start(endpoint: &str) -> Self {
        let target = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the relay");
        let port = listener.local_addr().expect("an address").port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, open2) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
                    open2.lock().unwrap().extend([c, s]);
                }
                relay(&client, &server);
                relay(&server, &client);
            }
        });
        Self { port, up, open }
    }

    /// The endpoint to give the server.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The store is out of reach: open connections are cut, new ones closed at once.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The store is back.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn relay(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
