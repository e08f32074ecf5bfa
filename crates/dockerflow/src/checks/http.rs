//! `HttpCheck`: an HTTP upstream answers a GET with a success status.

use bytes::Bytes;
use http::{Request, StatusCode, Uri};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::heartbeat::{BoxFuture, Check, Message};
use crate::redact::redact;

/// Checks that a GET of an `http://` URL answers 2xx (or the statuses given).
///
/// Plain HTTP only: a TLS stack would double the library's compile time. Upstreams inside a
/// cluster are usually plain HTTP; an `https://` URL is reported as misconfigured.
#[derive(Debug, Clone)]
pub struct HttpCheck {
    url: String,
    expect: Option<Vec<StatusCode>>,
}

impl HttpCheck {
    /// A check of `url`.
    pub fn new(url: impl Into<String>) -> HttpCheck {
        HttpCheck {
            url: url.into(),
            expect: None,
        }
    }

    /// Accept exactly these statuses instead of any 2xx.
    pub fn expect_status(mut self, statuses: impl IntoIterator<Item = StatusCode>) -> HttpCheck {
        self.expect = Some(statuses.into_iter().collect());
        self
    }

    async fn run(&self) -> Result<(), Message> {
        let shown = redact(&self.url);
        let uri: Uri = self.url.parse().map_err(|e| {
            Message::error(
                "dockerflow.http.E001",
                format!("{shown} is not a valid URL: {e}"),
            )
        })?;
        if uri.scheme_str() != Some("http") {
            return Err(Message::error(
                "dockerflow.http.E001",
                format!("{shown}: only http:// upstreams can be checked (TLS is not built in)"),
            ));
        }
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let request = Request::get(uri)
            .header("user-agent", "dockerflow-heartbeat")
            .body(Empty::new())
            .map_err(|e| {
                Message::error(
                    "dockerflow.http.E001",
                    format!("{shown}: cannot build the request: {e}"),
                )
            })?;
        let response = client.request(request).await.map_err(|e| {
            let cause = std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            Message::error(
                "dockerflow.http.E001",
                format!("Could not reach {shown}: {e}{cause}"),
            )
        })?;
        let status = response.status();
        let ok = match &self.expect {
            Some(list) => list.contains(&status),
            None => status.is_success(),
        };
        if ok {
            Ok(())
        } else {
            Err(Message::error(
                "dockerflow.http.E002",
                format!("{shown} answered {status}"),
            ))
        }
    }
}

impl Check for HttpCheck {
    fn check(&self) -> BoxFuture<'_, Vec<Message>> {
        Box::pin(async move { self.run().await.err().into_iter().collect() })
    }
}
