//! The console's request guard: the `Host` must be the console's own address (a page on another site
//! whose name resolves to 127.0.0.1, DNS rebinding, is refused), and a POST must come from the console's
//! own pages: its `Origin` is the console's and its form carries the console's CSRF token (OWASP's
//! synchronizer-token pattern). Every response says the page may not be framed and loads no script.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The largest form the console takes (a corrected ACE record is a few kilobytes).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The console's own origin and CSRF token.
pub(crate) struct Guard {
    hosts: [String; 2],
    origins: [String; 2],
    token: String,
}

impl Guard {
    /// The guard of a console on `127.0.0.1:port`, with a fresh random token.
    pub fn new(port: u16) -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| anyhow::anyhow!("no random bytes for the console's CSRF token"))?;
        let hosts = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
        let origins = [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ];
        Ok(Guard {
            hosts,
            origins,
            token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// The token every form of the console carries.
    pub fn token(&self) -> &str {
        &self.token
    }

    fn host_ok(&self, host: Option<&HeaderValue>) -> bool {
        host.and_then(|h| h.to_str().ok())
            .is_some_and(|h| self.hosts.iter().any(|o| o.eq_ignore_ascii_case(h)))
    }

    fn origin_ok(&self, origin: Option<&HeaderValue>) -> bool {
        origin
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| self.origins.iter().any(|o| o.eq_ignore_ascii_case(h)))
    }

    fn token_ok(&self, form: &[u8]) -> bool {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(form).unwrap_or_default();
        let sent: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .collect();
        matches!(sent.as_slice(), [one] if aws_lc_rs::constant_time::verify_slices_are_equal(
            one.as_bytes(),
            self.token.as_bytes()
        )
        .is_ok())
    }
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        why,
    )
        .into_response()
}

/// The middleware: checks a request, then adds the security headers to the answer.
pub(crate) async fn check(
    State(console): State<Arc<super::Console>>,
    request: Request,
    next: Next,
) -> Response {
    let guard = &console.guard;
    if !guard.host_ok(request.headers().get(header::HOST)) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "refused: this console answers only to its own address (Host)",
        );
    }
    let request = if request.method() == Method::POST {
        if !guard.origin_ok(request.headers().get(header::ORIGIN)) {
            return refuse(
                StatusCode::FORBIDDEN,
                "refused: a form of another site (Origin) cannot act on this console",
            );
        }
        let (parts, body) = request.into_parts();
        let form: Bytes = match to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => return refuse(StatusCode::PAYLOAD_TOO_LARGE, "refused: form too large"),
        };
        if !guard.token_ok(&form) {
            return refuse(
                StatusCode::FORBIDDEN,
                "refused: the form's CSRF token is missing or not this console's (reload the page)",
            );
        }
        Request::from_parts(parts, Body::from(form))
    } else {
        request
    };
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
