//! The client's errors. A caller (and the failover loop) matches on variants: `Kmip` is the
//! server's answer to the request and is never retried elsewhere; `NoServer` means every
//! server was tried and none could answer.

use std::path::PathBuf;

use kmip_ttlv::enums::{Operation, ResultReason};

use crate::failover::{Attempt, summary};

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The client configuration is unusable.
    #[error("client configuration: {0}")]
    Config(String),
    /// A file the configuration names could not be read.
    #[error("reading {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS material (CA, certificate, key) is unusable.
    #[error("TLS setup: {0}")]
    Tls(String),
    /// Every server was tried; none answered (each attempt says why).
    #[error("no KMIP server could answer: {}", summary(.attempts))]
    NoServer {
        /// The attempts, in order.
        attempts: Vec<Attempt>,
    },
    /// An earlier attempt may have carried the change out, and the object's state could not
    /// be read to tell: the outcome is unknown (read the object, then decide).
    #[error("{operation} on {uid}: the outcome is unknown: {}", summary(.attempts))]
    Unknown {
        /// The operation.
        operation: Operation,
        /// The object.
        uid: String,
        /// The attempts, in order.
        attempts: Vec<Attempt>,
    },
    /// The server answered the request with a failure: an application error (Item Not
    /// Found, Permission Denied, Invalid Field, ...) that another server would answer alike.
    #[error("{operation} failed on {server}: {reason}: {message}")]
    Kmip {
        /// The operation.
        operation: Operation,
        /// The server that answered.
        server: String,
        /// The Result Reason.
        reason: ResultReason,
        /// The Result Message.
        message: String,
        /// The attempts that led to the answer.
        attempts: Vec<Attempt>,
    },
    /// The answer is a KMIP response, but not one to this request (no batch item, the
    /// wrong payload).
    #[error("{server} answered {operation} with an unexpected response: {detail}")]
    Unexpected {
        /// The operation.
        operation: Operation,
        /// The server that answered.
        server: String,
        /// What was wrong.
        detail: String,
    },
    /// The request could not be encoded (a value out of range).
    #[error("encoding the request: {0}")]
    Encode(#[from] kmip_messages::MessageError),
}

impl ClientError {
    /// The attempts made before this error, if it came from talking to servers.
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            ClientError::NoServer { attempts }
            | ClientError::Kmip { attempts, .. }
            | ClientError::Unknown { attempts, .. } => attempts,
            _ => &[],
        }
    }
}
