//! One client connection: TLS handshake, then request after request until the client closes,
//! goes idle, breaks the framing, the server shuts down, or the engine cannot serve a request
//! because of the cluster (then the connection closes unanswered, as a server that is down). A message that frames but does not
//! decode gets an Invalid Message response and the connection goes on; a header that is not
//! KMIP (or announces an oversized message) gets one too, then the connection is closed,
//! since nothing after it can be trusted.

use std::sync::Arc;

use kmip_messages::{Message, ProtocolVersion, RequestMessage};
use kmip_ttlv::{Ttlv, Value};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::engine::{CertChain, Client, Handler, Reply};
use crate::framing::read_message;
use crate::listener::Settings;
use crate::tls::fingerprint;
use crate::{FrameError, observe, response};

/// The TLS handshake of an accepted connection and the client it identifies; `None` (logged
/// and counted) when the handshake fails or times out.
pub(crate) async fn handshake(
    tcp: TcpStream,
    acceptor: &TlsAcceptor,
    settings: &Settings,
) -> Option<(TlsStream<TcpStream>, Client, observe::OpenConnection)> {
    let peer = tcp.peer_addr().ok()?;
    let tls = match tokio::time::timeout(settings.handshake_timeout, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            let reason = observe::handshake_failure_reason(&e);
            tracing::info!(%peer, error = %e, reason, "TLS handshake failed");
            observe::handshake_failed(reason);
            return None;
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake timed out");
            observe::handshake_failed("timeout");
            return None;
        }
    };
    let open = observe::OpenConnection::new();
    let presented = tls.get_ref().1.peer_certificates().unwrap_or_default();
    let Some(cert) = presented.first() else {
        // The verifier makes a certificate mandatory; this is only defence in depth.
        tracing::warn!(%peer, "client without certificate");
        return None;
    };
    let fingerprint = fingerprint(cert);
    let client = Client {
        identity: fingerprint.clone(),
        fingerprint,
        peer,
        chain: CertChain(std::sync::Arc::new(
            presented.iter().map(|c| c.as_ref().to_vec()).collect(),
        )),
    };
    Some((tls, client, open))
}

/// Serves one accepted TCP connection.
pub(crate) async fn serve<H: Handler>(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    handler: Arc<H>,
    settings: Arc<Settings>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some((tls, client, _open)) = handshake(tcp, &acceptor, &settings).await else {
        return;
    };
    let peer = client.peer;
    tracing::debug!(%peer, client = %client.fingerprint, "client connected");
    let mut stream = tls;
    loop {
        let next = tokio::select! {
            _ = shutdown.changed() => break,
            next = tokio::time::timeout(
                settings.idle_timeout,
                read_message(&mut stream, &settings.limits, settings.read_timeout),
            ) => next,
        };
        let keep_going = match next {
            Err(_) => {
                tracing::debug!(%peer, "idle connection closed");
                false
            }
            Ok(Ok(None)) => false,
            Ok(Ok(Some(bytes))) => match answer(handler.as_ref(), &client, &bytes, &settings).await
            {
                Some(reply) => write(&mut stream, &reply, &settings).await,
                // Looks down to the client, which moves on to its next server.
                None => false,
            },
            Ok(Err(FrameError::Header(e))) => {
                tracing::info!(%peer, error = %e, "not a KMIP message; closing");
                let text = format!("not a KMIP message: {e}");
                let reply = response::invalid_message(ProtocolVersion::V1_0, text);
                handler.invalid(&client, &reply);
                if let Ok(bytes) = reply.encode() {
                    let _ = write(&mut stream, &bytes, &settings).await;
                }
                false
            }
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "connection closed");
                false
            }
        };
        if !keep_going {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

/// The encoded response to one framed message; `None`: close the connection without one.
pub(crate) async fn answer<H: Handler>(
    handler: &H,
    client: &Client,
    bytes: &[u8],
    settings: &Settings,
) -> Option<Vec<u8>> {
    let response = match RequestMessage::decode(bytes, &settings.limits) {
        Ok(request) => match handler.handle(client, request).await {
            Reply::Answer(response) => response,
            Reply::HangUp(why) => {
                tracing::info!(peer = %client.peer, client = %client.fingerprint, %why, "cannot serve the request now; closing the connection unanswered");
                observe::hung_up();
                return None;
            }
        },
        Err(e) => {
            tracing::info!(peer = %client.peer, error = %e, "invalid request");
            let reply = response::invalid_message(
                announced_version(bytes, settings),
                format!("invalid request: {e}"),
            );
            handler.invalid(client, &reply);
            reply
        }
    };
    Some(match response.encode() {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "response does not encode");
            let fallback = response::invalid_message(
                response.header.protocol_version,
                "the server could not encode its response",
            );
            fallback.encode().unwrap_or_default()
        }
    })
}

/// The protocol version a request announces, if its tree decodes that far; 1.0 otherwise,
/// which every client reads.
fn announced_version(bytes: &[u8], settings: &Settings) -> ProtocolVersion {
    let Ok(tree) = kmip_ttlv::decode_message(bytes, &settings.limits) else {
        return ProtocolVersion::V1_0;
    };
    let child = |t: &Ttlv, tag: kmip_ttlv::Tag| match &t.value {
        Value::Structure(items) => items.iter().find(|i| i.tag == tag).cloned(),
        _ => None,
    };
    let int = |t: Option<Ttlv>| match t.map(|t| t.value) {
        Some(Value::Integer(i)) => Some(i),
        _ => None,
    };
    let version = child(&tree, kmip_ttlv::Tag::REQUEST_HEADER)
        .and_then(|h| child(&h, kmip_ttlv::Tag::PROTOCOL_VERSION));
    match version {
        Some(v) => match (
            int(child(&v, kmip_ttlv::Tag::PROTOCOL_VERSION_MAJOR)),
            int(child(&v, kmip_ttlv::Tag::PROTOCOL_VERSION_MINOR)),
        ) {
            (Some(major), Some(minor)) => ProtocolVersion { major, minor },
            _ => ProtocolVersion::V1_0,
        },
        None => ProtocolVersion::V1_0,
    }
}

/// Writes a response within the write timeout; false when the connection is done for.
async fn write<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    settings: &Settings,
) -> bool {
    let sent = async {
        stream.write_all(bytes).await?;
        stream.flush().await
    };
    matches!(
        tokio::time::timeout(settings.write_timeout, sent).await,
        Ok(Ok(()))
    )
}
