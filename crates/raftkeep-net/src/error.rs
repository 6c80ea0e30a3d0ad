//! Errors of the network layer.

use std::path::PathBuf;

/// Why a connection or a call between nodes failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A PEM file could not be read.
    #[error("cannot read the {what} {}: {source}", path.display())]
    ReadPem {
        /// Which file.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A peer address is not usable.
    #[error("bad peer address {addr:?}: {reason}")]
    Address {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The call failed: the peer could not be reached, or refused the request.
    #[error("node at {addr}: {}", rpc_text(.code, .message))]
    Rpc {
        /// The peer.
        addr: String,
        /// gRPC's status code; `Unavailable` when the peer cannot be reached.
        code: tonic::Code,
        /// What the peer or the transport said.
        message: String,
    },
    /// The peer answered something that does not decode.
    #[error("node at {addr} sent an unreadable reply: {reason}")]
    BadReply {
        /// The peer.
        addr: String,
        /// Why.
        reason: String,
    },
}

fn rpc_text(code: &tonic::Code, message: &str) -> String {
    match code {
        tonic::Code::Unavailable => format!("unreachable ({message})"),
        tonic::Code::DeadlineExceeded => format!("no answer in time ({message})"),
        _ => message.to_owned(),
    }
}

impl NetError {
    /// The error of a failed call to `addr`.
    pub fn rpc(addr: &str, status: tonic::Status) -> Self {
        // Transport failures (refused, TLS handshake) say what happened only in their sources.
        let mut message = status.message().to_owned();
        let mut source = std::error::Error::source(&status);
        while let Some(e) = source {
            let text = e.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            source = e.source();
        }
        // A refusal by role comes from a completed handshake and says what to do itself.
        if status.code() != tonic::Code::PermissionDenied
            && (message.contains("alert") || message.contains("certificate"))
        {
            message.push_str(
                " (TLS refused: both sides need certificates issued by the cluster CA, and the \
                 node's must name the address used)",
            );
        }
        NetError::Rpc {
            addr: addr.to_owned(),
            code: status.code(),
            message,
        }
    }
}
