//! Typed request and response payloads, one operation per file, and the one dispatcher that
//! picks the payload type from the batch item's Operation.
//!
//! Operations without a typed payload here (and unknown or vendor operations) decode as
//! [`RequestPayload::Other`] / [`ResponsePayload::Other`], so the server can still answer
//! "Operation Not Supported" instead of dropping the connection.

pub mod activate;
pub mod add_attribute;
pub mod create;
pub mod create_key_pair;
pub mod decrypt;
pub mod delete_attribute;
pub mod derive_key;
pub mod destroy;
pub mod discover_versions;
pub mod encrypt;
pub mod get;
pub mod get_attribute_list;
pub mod get_attributes;
pub mod hash;
pub mod id;
pub mod locate;
pub mod mac;
pub mod modify_attribute;
pub mod pkcs11;
pub mod query;
pub mod register;
pub mod rekey;
pub mod rekey_key_pair;
pub mod revoke;
pub mod set_attribute;
pub mod sign;

use kmip_ttlv::enums::Operation;
use kmip_ttlv::{Tag, Ttlv};

use crate::attribute::Attribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::error::{MessageError, MessageErrorKind};

/// Declares the payload enums and their dispatch from one table.
macro_rules! payloads {
    ($($op:ident => $variant:ident($req:ty, $resp:ty)),* $(,)?) => {
        /// A typed request payload.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum RequestPayload {
            $(
                #[doc = concat!("The ", stringify!($variant), " request.")]
                $variant($req),
            )*
            /// Any other operation's payload, kept as sent.
            Other(Ttlv),
        }

        /// A typed response payload.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum ResponsePayload {
            $(
                #[doc = concat!("The ", stringify!($variant), " response.")]
                $variant($resp),
            )*
            /// Any other operation's payload, kept as sent.
            Other(Ttlv),
        }

        impl RequestPayload {
            /// Reads the payload of a request for `operation`.
            pub fn read(operation: Operation, item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
                Ok(match operation {
                    $(Operation::$op => RequestPayload::$variant(<$req>::read_item(item, path, ctx)?),)*
                    _ => RequestPayload::Other(item.clone()),
                })
            }

            /// Writes the payload as a Request Payload structure.
            pub fn write(&self, ctx: Ctx) -> Ttlv {
                match self {
                    $(RequestPayload::$variant(p) => p.write_item(Tag::REQUEST_PAYLOAD, ctx),)*
                    RequestPayload::Other(t) => Ttlv::new(Tag::REQUEST_PAYLOAD, t.value.clone()),
                }
            }

            /// True when this build has a typed payload for the operation.
            pub fn is_typed(operation: Operation) -> bool {
                matches!(operation, $(Operation::$op)|*)
            }
        }

        impl ResponsePayload {
            /// Reads the payload of a response for `operation`.
            pub fn read(operation: Operation, item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
                Ok(match operation {
                    $(Operation::$op => ResponsePayload::$variant(<$resp>::read_item(item, path, ctx)?),)*
                    _ => ResponsePayload::Other(item.clone()),
                })
            }

            /// Writes the payload as a Response Payload structure.
            pub fn write(&self, ctx: Ctx) -> Ttlv {
                match self {
                    $(ResponsePayload::$variant(p) => p.write_item(Tag::RESPONSE_PAYLOAD, ctx),)*
                    ResponsePayload::Other(t) => Ttlv::new(Tag::RESPONSE_PAYLOAD, t.value.clone()),
                }
            }
        }
    };
}

payloads! {
    DISCOVER_VERSIONS => DiscoverVersions(discover_versions::DiscoverVersionsRequest, discover_versions::DiscoverVersionsResponse),
    QUERY => Query(query::QueryRequest, query::QueryResponse),
    CREATE => Create(create::CreateRequest, create::CreateResponse),
    CREATE_KEY_PAIR => CreateKeyPair(create_key_pair::CreateKeyPairRequest, create_key_pair::CreateKeyPairResponse),
    DERIVE_KEY => DeriveKey(derive_key::DeriveKeyRequest, derive_key::DeriveKeyResponse),
    REGISTER => Register(register::RegisterRequest, register::RegisterResponse),
    RE_KEY => ReKey(rekey::ReKeyRequest, rekey::ReKeyResponse),
    RE_KEY_KEY_PAIR => ReKeyKeyPair(rekey_key_pair::ReKeyKeyPairRequest, rekey_key_pair::ReKeyKeyPairResponse),
    LOCATE => Locate(locate::LocateRequest, locate::LocateResponse),
    GET => Get(get::GetRequest, get::GetResponse),
    GET_ATTRIBUTES => GetAttributes(get_attributes::GetAttributesRequest, get_attributes::GetAttributesResponse),
    GET_ATTRIBUTE_LIST => GetAttributeList(get_attribute_list::GetAttributeListRequest, get_attribute_list::GetAttributeListResponse),
    ADD_ATTRIBUTE => AddAttribute(add_attribute::AddAttributeRequest, add_attribute::AddAttributeResponse),
    MODIFY_ATTRIBUTE => ModifyAttribute(modify_attribute::ModifyAttributeRequest, modify_attribute::ModifyAttributeResponse),
    DELETE_ATTRIBUTE => DeleteAttribute(delete_attribute::DeleteAttributeRequest, delete_attribute::DeleteAttributeResponse),
    SET_ATTRIBUTE => SetAttribute(set_attribute::SetAttributeRequest, set_attribute::SetAttributeResponse),
    ACTIVATE => Activate(activate::ActivateRequest, activate::ActivateResponse),
    REVOKE => Revoke(revoke::RevokeRequest, revoke::RevokeResponse),
    DESTROY => Destroy(destroy::DestroyRequest, destroy::DestroyResponse),
    ENCRYPT => Encrypt(encrypt::EncryptRequest, encrypt::EncryptResponse),
    DECRYPT => Decrypt(decrypt::DecryptRequest, decrypt::DecryptResponse),
    MAC => Mac(mac::MacRequest, mac::MacResponse),
    MAC_VERIFY => MacVerify(mac::MacVerifyRequest, mac::MacVerifyResponse),
    HASH => Hash(hash::HashRequest, hash::HashResponse),
    SIGN => Sign(sign::SignRequest, sign::SignResponse),
    PKCS_11 => Pkcs11(pkcs11::Pkcs11Request, pkcs11::Pkcs11Response),
    SIGNATURE_VERIFY => SignatureVerify(sign::SignatureVerifyRequest, sign::SignatureVerifyResponse),
}

/// Reads an optional KMIP 2.x structure (New Attribute, Current Attribute) holding exactly one
/// attribute.
pub(crate) fn read_wrapped_attribute(
    r: &mut Reader<'_>,
    tag: Tag,
    ctx: Ctx,
) -> Result<Option<Attribute>, MessageError> {
    let Some(item) = r.optional_item(tag) else {
        return Ok(None);
    };
    let inner = Reader::new(item, r.path())?;
    match item.items() {
        Some([one]) => Attribute::read(one, inner.path(), ctx).map(Some),
        Some([_, extra, ..]) => Err(inner.error(MessageErrorKind::UnexpectedField(extra.tag))),
        _ => Err(inner.error(MessageErrorKind::MissingField(Tag::ATTRIBUTE))),
    }
}

/// Writes a KMIP 2.x structure holding one attribute.
pub(crate) fn wrap_attribute(a: &Attribute, tag: Tag, ctx: Ctx) -> Ttlv {
    Ttlv::structure(tag, vec![a.write(ctx)])
}

/// Reads the attribute a request adds or sets: KMIP 1.x Attribute, KMIP 2.x New Attribute.
pub(crate) fn read_new_attribute(r: &mut Reader<'_>, ctx: Ctx) -> Result<Attribute, MessageError> {
    if ctx.v2() {
        return read_wrapped_attribute(r, Tag::NEW_ATTRIBUTE, ctx)?
            .ok_or_else(|| r.error(MessageErrorKind::MissingField(Tag::NEW_ATTRIBUTE)));
    }
    let item = r.required_item(Tag::ATTRIBUTE)?;
    Attribute::read(item, r.path(), ctx)
}

/// Writes the attribute a request adds or sets.
pub(crate) fn write_new_attribute(w: &mut Writer, a: &Attribute, ctx: Ctx) {
    if ctx.v2() {
        w.item(wrap_attribute(a, Tag::NEW_ATTRIBUTE, ctx));
    } else {
        w.item(a.write(ctx));
    }
}
