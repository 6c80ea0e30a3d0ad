//! The cryptographic services, for clients that keep keys in the server and send it data:
//! Encrypt, Decrypt, Sign, Signature Verify, Create Key Pair, Re-key Key Pair, Derive Key, and
//! Get of a wrapped key.
//! Each is one request through the failover loop; none changes the store, so a retry after
//! an ambiguous failure is safe (Create Key Pair aside: see [`Client::create_key_pair`]).

use kmip_messages::payload::create_key_pair::CreateKeyPairRequest;
use kmip_messages::payload::decrypt::DecryptRequest;
use kmip_messages::payload::encrypt::{EncryptRequest, EncryptResponse};
use kmip_messages::payload::get::{GetRequest, GetResponse};
use kmip_messages::payload::sign::{SignRequest, SignatureVerifyRequest};
use kmip_messages::{
    Attribute, CryptographicParameters, KeyWrappingSpecification, RequestPayload, ResponsePayload,
    UniqueIdentifier,
};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{Operation, ValidityIndicator};

use crate::client::{Client, template, uid_text, unexpected};
use crate::error::ClientError;

/// What to encrypt, and how: the data, the parameters (the key's own when `None`), an IV
/// (the server picks one when the parameters ask for a Random IV), additional data for AEAD.
/// Its `Debug` shows lengths, never the data.
#[derive(Clone, Default)]
pub struct Plaintext<'a> {
    /// The data.
    pub data: &'a [u8],
    /// How to encrypt.
    pub parameters: Option<CryptographicParameters>,
    /// IV, counter or nonce.
    pub iv: Option<&'a [u8]>,
    /// Additional authenticated data (AES-GCM, ChaCha20-Poly1305).
    pub aad: Option<&'a [u8]>,
}

impl std::fmt::Debug for Plaintext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plaintext")
            .field("data", &format_args!("<{} bytes>", self.data.len()))
            .field("parameters", &self.parameters)
            .field("iv", &self.iv.map(<[u8]>::len))
            .field("aad", &self.aad.map(<[u8]>::len))
            .finish()
    }
}

fn id(uid: &str) -> Option<UniqueIdentifier> {
    Some(UniqueIdentifier::Text(uid.to_owned()))
}

fn bytes(b: Option<&[u8]>) -> Option<ByteString> {
    b.map(|b| ByteString::new(b.to_vec()))
}

impl Client {
    /// Encrypts with key `uid`; the answer holds the ciphertext, the IV the server picked
    /// (if it did) and the tag (AEAD modes).
    pub async fn encrypt(
        &self,
        uid: &str,
        p: Plaintext<'_>,
    ) -> Result<EncryptResponse, ClientError> {
        let payload = RequestPayload::Encrypt(EncryptRequest {
            unique_identifier: id(uid),
            cryptographic_parameters: p.parameters,
            data: bytes(Some(p.data)),
            iv_counter_nonce: bytes(p.iv),
            authenticated_encryption_additional_data: bytes(p.aad),
            ..EncryptRequest::default()
        });
        let answer = self.call(Operation::ENCRYPT, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Encrypt(r)) => Ok(r),
            _ => Err(unexpected(
                Operation::ENCRYPT,
                &answer.server,
                "no Encrypt payload",
            )),
        }
    }

    /// Decrypts with key `uid`; `tag` is the AEAD tag.
    pub async fn decrypt(
        &self,
        uid: &str,
        p: Plaintext<'_>,
        tag: Option<&[u8]>,
    ) -> Result<Vec<u8>, ClientError> {
        let payload = RequestPayload::Decrypt(DecryptRequest {
            unique_identifier: id(uid),
            cryptographic_parameters: p.parameters,
            data: bytes(Some(p.data)),
            iv_counter_nonce: bytes(p.iv),
            authenticated_encryption_additional_data: bytes(p.aad),
            authenticated_encryption_tag: bytes(tag),
            ..DecryptRequest::default()
        });
        let answer = self.call(Operation::DECRYPT, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Decrypt(r)) => {
                Ok(r.data.map(|d| d.as_slice().to_vec()).unwrap_or_default())
            }
            _ => Err(unexpected(
                Operation::DECRYPT,
                &answer.server,
                "no Decrypt payload",
            )),
        }
    }

    /// Signs `data` with private key `uid` (the server hashes it).
    pub async fn sign(
        &self,
        uid: &str,
        data: &[u8],
        parameters: Option<CryptographicParameters>,
    ) -> Result<Vec<u8>, ClientError> {
        let payload = RequestPayload::Sign(SignRequest {
            unique_identifier: id(uid),
            cryptographic_parameters: parameters,
            data: bytes(Some(data)),
            ..SignRequest::default()
        });
        let answer = self.call(Operation::SIGN, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Sign(r)) => Ok(r
                .signature_data
                .map(|d| d.as_slice().to_vec())
                .unwrap_or_default()),
            _ => Err(unexpected(
                Operation::SIGN,
                &answer.server,
                "no Sign payload",
            )),
        }
    }

    /// True when `signature` is a valid signature of `data` under public key `uid`.
    pub async fn signature_verify(
        &self,
        uid: &str,
        data: &[u8],
        signature: &[u8],
        parameters: Option<CryptographicParameters>,
    ) -> Result<bool, ClientError> {
        let payload = RequestPayload::SignatureVerify(SignatureVerifyRequest {
            unique_identifier: id(uid),
            cryptographic_parameters: parameters,
            data: bytes(Some(data)),
            signature_data: bytes(Some(signature)),
            ..SignatureVerifyRequest::default()
        });
        let answer = self.call(Operation::SIGNATURE_VERIFY, payload).await?;
        match answer.payload {
            Some(ResponsePayload::SignatureVerify(r)) => {
                Ok(r.validity_indicator == ValidityIndicator::VALID)
            }
            _ => Err(unexpected(
                Operation::SIGNATURE_VERIFY,
                &answer.server,
                "no Signature Verify payload",
            )),
        }
    }

    /// Creates a key pair; returns the private and the public key's Unique Identifiers. Not
    /// idempotent: a retry after an ambiguous failure may leave a second pair.
    pub async fn create_key_pair(
        &self,
        common: Vec<Attribute>,
        private: Vec<Attribute>,
        public: Vec<Attribute>,
    ) -> Result<(String, String), ClientError> {
        let payload = RequestPayload::CreateKeyPair(CreateKeyPairRequest {
            common: Some(template(common)),
            private_key: Some(template(private)),
            public_key: Some(template(public)),
            protection_storage_masks: Vec::new(),
        });
        let answer = self.call(Operation::CREATE_KEY_PAIR, payload).await?;
        match answer.payload {
            Some(ResponsePayload::CreateKeyPair(r)) => Ok((
                uid_text(r.private_key_unique_identifier),
                uid_text(r.public_key_unique_identifier),
            )),
            _ => Err(unexpected(
                Operation::CREATE_KEY_PAIR,
                &answer.server,
                "no Create Key Pair payload",
            )),
        }
    }

    /// Derives a new object of `object_type` from `base` (its Cryptographic Length, and
    /// Algorithm for a key, in `attributes`); returns its Unique Identifier.
    pub async fn derive_key(
        &self,
        object_type: kmip_ttlv::enums::ObjectType,
        base: &str,
        method: kmip_ttlv::enums::DerivationMethod,
        parameters: kmip_messages::payload::derive_key::DerivationParameters,
        attributes: Vec<Attribute>,
    ) -> Result<String, ClientError> {
        let payload =
            RequestPayload::DeriveKey(kmip_messages::payload::derive_key::DeriveKeyRequest {
                object_type,
                unique_identifiers: vec![UniqueIdentifier::Text(base.to_owned())],
                derivation_method: method,
                derivation_parameters: parameters,
                template: template(attributes),
            });
        let answer = self.call(Operation::DERIVE_KEY, payload).await?;
        match answer.payload {
            Some(ResponsePayload::DeriveKey(r)) => Ok(uid_text(r.unique_identifier)),
            _ => Err(unexpected(
                Operation::DERIVE_KEY,
                &answer.server,
                "no Derive Key payload",
            )),
        }
    }

    /// Replaces the key pair whose private key is `private` with a new pair, Active after
    /// `offset_secs`; returns the new private and public keys' Unique Identifiers.
    pub async fn rekey_key_pair(
        &self,
        private: &str,
        offset_secs: u32,
    ) -> Result<(String, String), ClientError> {
        let payload = RequestPayload::ReKeyKeyPair(
            kmip_messages::payload::rekey_key_pair::ReKeyKeyPairRequest {
                private_key_unique_identifier: id(private),
                offset: Some(kmip_messages::Interval(offset_secs)),
                ..Default::default()
            },
        );
        let answer = self.call(Operation::RE_KEY_KEY_PAIR, payload).await?;
        match answer.payload {
            Some(ResponsePayload::ReKeyKeyPair(r)) => Ok((
                uid_text(r.private_key_unique_identifier),
                uid_text(r.public_key_unique_identifier),
            )),
            _ => Err(unexpected(
                Operation::RE_KEY_KEY_PAIR,
                &answer.server,
                "no Re-key Key Pair payload",
            )),
        }
    }

    /// Gets a key wrapped as `spec` asks.
    pub async fn get_wrapped(
        &self,
        uid: &str,
        spec: KeyWrappingSpecification,
    ) -> Result<GetResponse, ClientError> {
        let payload = RequestPayload::Get(GetRequest {
            unique_identifier: id(uid),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: Some(spec),
        });
        let answer = self.call(Operation::GET, payload).await?;
        match answer.payload {
            Some(ResponsePayload::Get(r)) => Ok(r),
            _ => Err(unexpected(Operation::GET, &answer.server, "no Get payload")),
        }
    }
}
