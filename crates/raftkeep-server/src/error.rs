//! Errors of the KMIP front end.

/// Why the listener could not start or a connection ended abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The TLS configuration is unusable.
    #[error("KMIP TLS: {0}")]
    Tls(String),
    /// The listening socket could not be opened.
    #[error("KMIP listener on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Why reading one request off a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The first 8 bytes are not the start of a KMIP message, or announce one over the size
    /// limit: nothing that follows can be trusted, the connection is closed.
    #[error("not a KMIP message: {0}")]
    Header(#[from] kmip_ttlv::DecodeError),
    /// The peer stopped in the middle of a message.
    #[error("connection closed in the middle of a message")]
    Truncated,
    /// The rest of a started message did not arrive in time.
    #[error("the rest of the message did not arrive within {0:?}")]
    ReadTimeout(std::time::Duration),
    /// Socket or TLS failure.
    #[error("reading: {0}")]
    Io(#[from] std::io::Error),
}
