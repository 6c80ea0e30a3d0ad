//! Request and response headers (KMIP 1.4 §7.2, KMIP 2.1 §8) and credentials (KMIP 1.4 §2.1.2).

use kmip_ttlv::enums::{AttestationType, BatchErrorContinuationOption, CredentialType};
use kmip_ttlv::{ByteString, Tag, Ttlv};

use crate::ProtocolVersion;
use crate::codec::{Body, Ctx, DateTime, Reader, Writer};
use crate::common::{SecretString, body_field};
use crate::error::MessageError;

/// The header of a request message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    /// The version the client speaks; the response answers in it.
    pub protocol_version: ProtocolVersion,
    /// Largest response the client accepts, in bytes.
    pub maximum_response_size: Option<i32>,
    /// The client's correlation value, echoed in the response (KMIP 1.4).
    pub client_correlation_value: Option<String>,
    /// The server's correlation value (KMIP 1.4).
    pub server_correlation_value: Option<String>,
    /// Whether the client accepts asynchronous responses.
    pub asynchronous_indicator: Option<bool>,
    /// Whether the client can attest.
    pub attestation_capable_indicator: Option<bool>,
    /// Attestation types the client supports.
    pub attestation_types: Vec<AttestationType>,
    /// Credentials (vCenter may send Username and Password).
    pub authentication: Option<Authentication>,
    /// What to do after a failed batch item.
    pub batch_error_continuation_option: Option<BatchErrorContinuationOption>,
    /// Whether batch items must run in order.
    pub batch_order_option: Option<bool>,
    /// When the client sent the request.
    pub time_stamp: Option<DateTime>,
    /// Number of batch items; checked against the items on decode.
    pub batch_count: i32,
}

impl RequestHeader {
    /// A header with only the required fields: the version and the batch count.
    pub fn new(protocol_version: ProtocolVersion, batch_count: i32) -> Self {
        RequestHeader {
            protocol_version,
            maximum_response_size: None,
            client_correlation_value: None,
            server_correlation_value: None,
            asynchronous_indicator: None,
            attestation_capable_indicator: None,
            attestation_types: Vec::new(),
            authentication: None,
            batch_error_continuation_option: None,
            batch_order_option: None,
            time_stamp: None,
            batch_count,
        }
    }
}

impl Body for RequestHeader {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(RequestHeader {
            protocol_version: r.required(Tag::PROTOCOL_VERSION, ctx)?,
            maximum_response_size: r.optional(Tag::MAXIMUM_RESPONSE_SIZE, ctx)?,
            client_correlation_value: r.optional(Tag::CLIENT_CORRELATION_VALUE, ctx)?,
            server_correlation_value: r.optional(Tag::SERVER_CORRELATION_VALUE, ctx)?,
            asynchronous_indicator: r.optional(Tag::ASYNCHRONOUS_INDICATOR, ctx)?,
            attestation_capable_indicator: r.optional(Tag::ATTESTATION_CAPABLE_INDICATOR, ctx)?,
            attestation_types: r.repeated(Tag::ATTESTATION_TYPE, ctx)?,
            authentication: r.optional(Tag::AUTHENTICATION, ctx)?,
            batch_error_continuation_option: r
                .optional(Tag::BATCH_ERROR_CONTINUATION_OPTION, ctx)?,
            batch_order_option: r.optional(Tag::BATCH_ORDER_OPTION, ctx)?,
            time_stamp: r.optional(Tag::TIME_STAMP, ctx)?,
            batch_count: r.required(Tag::BATCH_COUNT, ctx)?,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::PROTOCOL_VERSION, &self.protocol_version, ctx);
        w.optional(Tag::MAXIMUM_RESPONSE_SIZE, &self.maximum_response_size, ctx);
        w.optional(
            Tag::CLIENT_CORRELATION_VALUE,
            &self.client_correlation_value,
            ctx,
        );
        w.optional(
            Tag::SERVER_CORRELATION_VALUE,
            &self.server_correlation_value,
            ctx,
        );
        w.optional(
            Tag::ASYNCHRONOUS_INDICATOR,
            &self.asynchronous_indicator,
            ctx,
        );
        w.optional(
            Tag::ATTESTATION_CAPABLE_INDICATOR,
            &self.attestation_capable_indicator,
            ctx,
        );
        w.repeated(Tag::ATTESTATION_TYPE, &self.attestation_types, ctx);
        w.optional(Tag::AUTHENTICATION, &self.authentication, ctx);
        w.optional(
            Tag::BATCH_ERROR_CONTINUATION_OPTION,
            &self.batch_error_continuation_option,
            ctx,
        );
        w.optional(Tag::BATCH_ORDER_OPTION, &self.batch_order_option, ctx);
        w.optional(Tag::TIME_STAMP, &self.time_stamp, ctx);
        w.field(Tag::BATCH_COUNT, &self.batch_count, ctx);
    }
}

/// The header of a response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHeader {
    /// The version of the request being answered.
    pub protocol_version: ProtocolVersion,
    /// When the server answered.
    pub time_stamp: DateTime,
    /// A server nonce for attestation, kept as sent.
    pub nonce: Option<Ttlv>,
    /// The server's hashed password (KMIP 2.x).
    pub server_hashed_password: Option<ByteString>,
    /// Attestation types the server requires.
    pub attestation_types: Vec<AttestationType>,
    /// Echo of the client's correlation value (KMIP 1.4).
    pub client_correlation_value: Option<String>,
    /// The server's correlation value (KMIP 1.4).
    pub server_correlation_value: Option<String>,
    /// Number of batch items.
    pub batch_count: i32,
}

impl Body for ResponseHeader {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(ResponseHeader {
            protocol_version: r.required(Tag::PROTOCOL_VERSION, ctx)?,
            time_stamp: r.required(Tag::TIME_STAMP, ctx)?,
            nonce: r.optional(Tag::NONCE, ctx)?,
            server_hashed_password: r.optional(Tag::SERVER_HASHED_PASSWORD, ctx)?,
            attestation_types: r.repeated(Tag::ATTESTATION_TYPE, ctx)?,
            client_correlation_value: r.optional(Tag::CLIENT_CORRELATION_VALUE, ctx)?,
            server_correlation_value: r.optional(Tag::SERVER_CORRELATION_VALUE, ctx)?,
            batch_count: r.required(Tag::BATCH_COUNT, ctx)?,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::PROTOCOL_VERSION, &self.protocol_version, ctx);
        w.field(Tag::TIME_STAMP, &self.time_stamp, ctx);
        w.optional(Tag::NONCE, &self.nonce, ctx);
        w.optional(
            Tag::SERVER_HASHED_PASSWORD,
            &self.server_hashed_password,
            ctx,
        );
        w.repeated(Tag::ATTESTATION_TYPE, &self.attestation_types, ctx);
        w.optional(
            Tag::CLIENT_CORRELATION_VALUE,
            &self.client_correlation_value,
            ctx,
        );
        w.optional(
            Tag::SERVER_CORRELATION_VALUE,
            &self.server_correlation_value,
            ctx,
        );
        w.field(Tag::BATCH_COUNT, &self.batch_count, ctx);
    }
}

/// Authentication: one or more credentials (KMIP 1.4 §7.1; several since KMIP 1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The credentials, in order.
    pub credentials: Vec<Credential>,
}

impl Body for Authentication {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let credentials: Vec<Credential> = r.repeated(Tag::CREDENTIAL, ctx)?;
        if credentials.is_empty() {
            return Err(r.error(crate::MessageErrorKind::MissingField(Tag::CREDENTIAL)));
        }
        Ok(Authentication { credentials })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.repeated(Tag::CREDENTIAL, &self.credentials, ctx);
    }
}

/// A Credential (KMIP 1.4 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The kind of credential.
    pub credential_type: CredentialType,
    /// Its value.
    pub value: CredentialValue,
}

/// The value of a Credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialValue {
    /// Username and Password.
    UsernamePassword {
        /// The user.
        username: String,
        /// The password, if sent.
        password: Option<SecretString>,
    },
    /// Device, Attestation and other credential values, kept as sent (their `Debug` hides
    /// passwords and bytes).
    Other(Ttlv),
}

impl Body for Credential {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let credential_type: CredentialType = r.required(Tag::CREDENTIAL_TYPE, ctx)?;
        let item = r.required_item(Tag::CREDENTIAL_VALUE)?;
        let value = if credential_type == CredentialType::USERNAME_AND_PASSWORD {
            let mut v = Reader::new(item, r.path())?;
            let username = v.required(Tag::USERNAME, ctx)?;
            let password = v.optional(Tag::PASSWORD, ctx)?;
            v.finish()?;
            CredentialValue::UsernamePassword { username, password }
        } else {
            CredentialValue::Other(item.clone())
        };
        Ok(Credential {
            credential_type,
            value,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::CREDENTIAL_TYPE, &self.credential_type, ctx);
        match &self.value {
            CredentialValue::UsernamePassword { username, password } => {
                let mut v = Writer::default();
                v.field(Tag::USERNAME, username, ctx);
                v.optional(Tag::PASSWORD, password, ctx);
                w.item(v.into_structure(Tag::CREDENTIAL_VALUE));
            }
            CredentialValue::Other(t) => w.item(Ttlv::new(Tag::CREDENTIAL_VALUE, t.value.clone())),
        }
    }
}

body_field!(RequestHeader, ResponseHeader, Authentication, Credential);
