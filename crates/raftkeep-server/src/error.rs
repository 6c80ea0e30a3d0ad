//! Errors of the KMIP front end.

use kmip_ttlv::enums::ResultReason;

/// Why the listener could not start or a connection ended abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The TLS configuration is unusable.
    #[error("KMIP TLS: {0}")]
    Tls(String),
    /// The configured KMIP users are unusable.
    #[error("KMIP users: {0}")]
    Users(String),
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

/// Why one batch item failed. Every failure of an operation is one of these, and
/// [`OpError::reason`] is the one place they become KMIP result reasons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// No object with this identifier (or no identifier and no ID Placeholder).
    #[error("{0}")]
    NotFound(String),
    /// The client may not do this.
    #[error("{0}")]
    Denied(String),
    /// A field or attribute value the server cannot accept.
    #[error("{0}")]
    InvalidField(String),
    /// Something the operation needs is missing.
    #[error("{0}")]
    MissingData(String),
    /// The object is not in a state that allows the operation.
    #[error("{0}")]
    WrongState(String),
    /// The object is archived (Archive) and must be recovered before this use.
    #[error("{0}")]
    Archived(String),
    /// The object's material is destroyed.
    #[error("object {0} is destroyed: its key material no longer exists")]
    Destroyed(String),
    /// The object is Sensitive: its material does not leave the server in clear.
    #[error("object {0} is sensitive: its key material cannot be returned")]
    Sensitive(String),
    /// The object's usage mask does not allow what the client checks for.
    #[error("{0}")]
    IncompatibleMask(String),
    /// The attribute may only be set by the server.
    #[error("attribute {0} is read-only for clients")]
    ReadOnly(String),
    /// The attribute has no instance with this index.
    #[error("{0}")]
    NoSuchAttribute(String),
    /// Another object already has this Name.
    #[error("the name {0:?} is already used by another object")]
    NameTaken(String),
    /// A single-valued attribute the object has already.
    #[error("{0} is single-valued and already set; use Modify Attribute")]
    SingleValued(String),
    /// The operation or the option is not implemented.
    #[error("{0}")]
    NotSupported(String),
    /// A key format this server does not produce.
    #[error("{0}")]
    FormatNotSupported(String),
    /// The server will not do what was asked (a key weaker than the client requires).
    #[error("{0}")]
    Refused(String),
    /// The client's Username/Password credential is missing or wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// The client sends more requests than its rate limit allows, for longer than the
    /// server waits to smooth a burst.
    #[error("{0}")]
    Throttled(String),
    /// The store could not serve the request.
    #[error(transparent)]
    Store(#[from] crate::store::StoreFailure),
    /// Sealing or unsealing key material failed.
    #[error("key material: {0}")]
    Seal(String),
    /// A cryptographic operation was refused or failed (Encrypt, Decrypt, MAC, Hash).
    #[error(transparent)]
    Crypto(#[from] raftkeep_crypto::CryptoError),
}

impl OpError {
    /// What a client should know beyond the result reason: this server cannot serve now,
    /// another may (sent as Raftkeep's Message Extension, `kmip_messages::vendor`).
    pub fn condition(&self) -> Option<kmip_messages::vendor::ServerCondition> {
        match self {
            OpError::Store(crate::store::StoreFailure::Unavailable(_)) => {
                Some(kmip_messages::vendor::ServerCondition::Unavailable)
            }
            _ => None,
        }
    }

    /// The KMIP result reason, in the vocabulary of `version`: the most precise reason that
    /// version defines (`kmip_messages::since`). KMIP 2.0 added Object Destroyed, Wrong Key
    /// Lifecycle State, Attribute Read Only, Non Unique Name Attribute and more, 1.4
    /// Sensitive; a client of an earlier version gets the reason its version had for the
    /// case, as the KMIP 1.x test cases expect.
    pub fn reason(&self, version: kmip_messages::ProtocolVersion) -> ResultReason {
        use kmip_messages::since;
        let precise = |reasons: &[ResultReason]| {
            reasons
                .iter()
                .copied()
                .find(|r| since::defined(since::result_reason(*r), version))
                .unwrap_or(ResultReason::GENERAL_FAILURE)
        };
        use ResultReason as R;
        match self {
            OpError::NotFound(_) => precise(&[R::OBJECT_NOT_FOUND, R::ITEM_NOT_FOUND]),
            OpError::Sensitive(_) => precise(&[R::SENSITIVE, R::PERMISSION_DENIED]),
            OpError::IncompatibleMask(_) => precise(&[
                R::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
                R::PERMISSION_DENIED,
            ]),
            OpError::Denied(_) => R::PERMISSION_DENIED,
            OpError::InvalidField(_) => R::INVALID_FIELD,
            OpError::MissingData(_) => R::MISSING_DATA,
            OpError::WrongState(_) => {
                precise(&[R::WRONG_KEY_LIFECYCLE_STATE, R::PERMISSION_DENIED])
            }
            OpError::Destroyed(_) => precise(&[R::OBJECT_DESTROYED, R::ITEM_NOT_FOUND]),
            OpError::ReadOnly(_) => precise(&[R::ATTRIBUTE_READ_ONLY, R::PERMISSION_DENIED]),
            OpError::NoSuchAttribute(_) => precise(&[R::ATTRIBUTE_NOT_FOUND, R::ITEM_NOT_FOUND]),
            OpError::SingleValued(_) => precise(&[R::ATTRIBUTE_SINGLE_VALUED, R::INVALID_FIELD]),
            OpError::NameTaken(_) => precise(&[R::NON_UNIQUE_NAME_ATTRIBUTE, R::INVALID_FIELD]),
            OpError::Archived(_) => R::OBJECT_ARCHIVED,
            OpError::NotSupported(_) => R::OPERATION_NOT_SUPPORTED,
            OpError::FormatNotSupported(_) => R::KEY_FORMAT_TYPE_NOT_SUPPORTED,
            OpError::Unauthenticated(_) => R::AUTHENTICATION_NOT_SUCCESSFUL,
            OpError::Refused(_) | OpError::Throttled(_) | OpError::Store(_) | OpError::Seal(_) => {
                R::GENERAL_FAILURE
            }
            OpError::Crypto(e) => crypto_reason(e),
        }
    }
}

/// The result reasons of cryptographic failures, as the OASIS test cases expect them
/// (CS-BC-M-11..13: a missing IV is an Invalid Message; CS-BC-M-GCM-1: a bad tag is a
/// Cryptographic Failure, an impossible tag length a General Failure).
fn crypto_reason(e: &raftkeep_crypto::CryptoError) -> ResultReason {
    use raftkeep_crypto::CryptoError;
    match e {
        CryptoError::Unsupported(_) => ResultReason::FEATURE_NOT_SUPPORTED,
        CryptoError::Missing(_) | CryptoError::Length { .. } => ResultReason::INVALID_MESSAGE,
        CryptoError::TagLength(_) => ResultReason::GENERAL_FAILURE,
        CryptoError::Failed => ResultReason::CRYPTOGRAPHIC_FAILURE,
    }
}
