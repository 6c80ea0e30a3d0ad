//! KMIP over HTTPS (KMIP Profiles 1.4 §5.4–§5.5 and 2.1: the HTTPS, XML and JSON message
//! encodings): a client POSTs one request message and gets the response message back in
//! the same encoding, chosen by its Content-Type — `application/octet-stream` (TTLV),
//! `text/xml` or `application/xml` (KMIP XML), `application/json` (KMIP JSON). The TLS
//! handshake, the client's identity and the engine are the TTLV port's; only the framing
//! differs.

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use kmip_messages::{Message, ProtocolVersion};
use kmip_text::Encoding;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::engine::{Client, Handler};
use crate::listener::Settings;
use crate::{response, session};

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Answers one HTTP request.
async fn respond<H: Handler>(
    handler: &H,
    client: &Client,
    req: Request<Incoming>,
    settings: &Settings,
) -> Response<Full<Bytes>> {
    if req.method() != Method::POST {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "KMIP over HTTPS takes POST requests",
        );
    }
    let named = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let Some(encoding) = named.and_then(Encoding::from_media_type) else {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/octet-stream (TTLV), text/xml (XML) or application/json (JSON)",
        );
    };
    let limit = settings.limits.max_message_len;
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::info!(peer = %client.peer, error = %e, "HTTPS request body refused");
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("a KMIP message is at most {limit} bytes"),
            );
        }
    };
    let reply = match encoding.to_ttlv(&body) {
        Ok(ttlv) => match session::answer(handler, client, &ttlv, settings).await {
            Some(reply) => reply,
            // HTTP's own "try another server": no KMIP answer, which would be final.
            None => {
                let mut r = plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "this node cannot serve the request now; try another node of the cluster",
                );
                r.headers_mut()
                    .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
                return r;
            }
        },
        Err(why) => {
            tracing::info!(peer = %client.peer, error = %why, "invalid request");
            let reply =
                response::invalid_message(ProtocolVersion::V1_0, format!("invalid request: {why}"));
            handler.invalid(client, &reply);
            reply.encode().unwrap_or_default()
        }
    };
    match encoding.render(&reply, &settings.limits) {
        Ok(bytes) => {
            let mut r = Response::new(Full::new(Bytes::from(bytes)));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(encoding.media_type()),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "response does not convert to the request's encoding");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server could not encode its response",
            )
        }
    }
}

/// Serves one accepted TCP connection as HTTPS: HTTP/1.1 with keep-alive, requests one at a
/// time, until the client closes, stays silent for the idle timeout, or the server stops.
pub(crate) async fn serve<H: Handler>(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    handler: Arc<H>,
    settings: Arc<Settings>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some((tls, client, _open)) = session::handshake(tcp, &acceptor, &settings).await else {
        return;
    };
    let peer = client.peer;
    let service_settings = settings.clone();
    let service = hyper::service::service_fn(move |req| {
        let (handler, client, settings) =
            (handler.clone(), client.clone(), service_settings.clone());
        async move { Ok::<_, Infallible>(respond(handler.as_ref(), &client, req, &settings).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(settings.idle_timeout)
        .serve_connection(hyper_util::rt::TokioIo::new(tls), service);
    tokio::pin!(conn);
    tokio::select! {
        done = conn.as_mut() => {
            if let Err(e) = done {
                tracing::debug!(%peer, error = %e, "HTTPS connection ended");
            }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(settings.shutdown_grace, conn).await;
        }
    }
}
