//! What the cryptographic operations (Encrypt, Decrypt, MAC, MAC Verify, Sign, Signature
//! Verify, Derive Key, wrapping) share: the key a request names, checked for the use asked —
//! its state, its Cryptographic Usage Mask, its Protect Stop and Process Start Dates
//! (KMIP 1.4 §3.22, §3.27, §3.28) — its raw bytes, and the Cryptographic Parameters that
//! apply: the request's, then the key's attribute.

use kmip_messages::codec::Body as _;
use kmip_messages::{
    CryptographicParameters, Ctx, KeyMaterial, KeyValue, ManagedObject, ProtocolVersion,
    UniqueIdentifier,
};
use kmip_ttlv::enums::{CryptographicAlgorithm, CryptographicUsageMask, Operation, State};
use kmip_ttlv::{Tag, Ttlv, Value};
use raftkeep_store::{Material, StoredObject};
use zeroize::Zeroizing;

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;
use crate::material;

/// What the operation does with the key: protect (Encrypt, MAC, Sign) needs an Active key;
/// process (Decrypt, MAC Verify, Signature Verify) also takes a Deactivated or Compromised
/// one, so data protected before can still be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Encrypt, MAC, Sign.
    Protect,
    /// Decrypt, MAC Verify, Signature Verify.
    Process,
}

/// The key itself, read from its stored form.
pub enum UsableKey {
    /// A symmetric key's bytes (wiped when dropped).
    Symmetric(Zeroizing<Vec<u8>>),
    /// A private key (RSA, EC).
    Private(raftkeep_crypto::PrivateKey),
    /// A public key (RSA, EC).
    Public(raftkeep_crypto::PublicKey),
}

impl std::fmt::Debug for UsableKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsableKey::Symmetric(k) => write!(f, "Symmetric({} bytes)", k.len()),
            UsableKey::Private(k) => k.fmt(f),
            UsableKey::Public(k) => write!(f, "Public({} bits)", k.bits()),
        }
    }
}

/// A key ready for one cryptographic operation.
pub struct KeyInUse {
    /// The key's UID.
    pub uid: String,
    /// The key.
    pub key: UsableKey,
    /// The algorithm: the parameters' Cryptographic Algorithm, else the key's own.
    pub algorithm: Option<CryptographicAlgorithm>,
    /// The request's Cryptographic Parameters over the key's.
    pub params: CryptographicParameters,
    /// Its Usage Limits attribute as stored (TTLV-encoded), if it has one.
    pub usage_limits: Option<Vec<u8>>,
}

impl std::fmt::Debug for KeyInUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyInUse")
            .field("uid", &self.uid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The key `given` names, for `op` needing `mask`. A key registered wrapped under a key
/// stored here is unwrapped for the use ([`super::key_wrap::unwrapped`]).
pub async fn key_for(
    ctx: &mut OpCtx<'_>,
    given: Option<&UniqueIdentifier>,
    op: Operation,
    mask: CryptographicUsageMask,
    requested: Option<&CryptographicParameters>,
) -> Result<KeyInUse, OpError> {
    let found = Found {
        given,
        op,
        mask,
        wanted: use_of(op),
        unwrap: true,
    };
    key_with(ctx, found, requested).await
}

/// The key that unwraps a key registered wrapped: Unwrap Key in its mask, usable to process
/// (Active, Deactivated or Compromised), itself not wrapped.
pub async fn unwrapping_key(
    ctx: &mut OpCtx<'_>,
    given: &UniqueIdentifier,
    requested: Option<&CryptographicParameters>,
) -> Result<KeyInUse, OpError> {
    let found = Found {
        given: Some(given),
        op: Operation::GET,
        mask: CryptographicUsageMask::UNWRAP_KEY,
        wanted: Use::Process,
        unwrap: false,
    };
    Box::pin(key_with(ctx, found, requested)).await
}

/// How to find a key and what to check of it.
struct Found<'a> {
    given: Option<&'a UniqueIdentifier>,
    op: Operation,
    mask: CryptographicUsageMask,
    wanted: Use,
    unwrap: bool,
}

async fn key_with(
    ctx: &mut OpCtx<'_>,
    found: Found<'_>,
    requested: Option<&CryptographicParameters>,
) -> Result<KeyInUse, OpError> {
    let Found {
        given,
        op,
        mask,
        wanted,
        unwrap,
    } = found;
    let (uid, stored) = ctx.target(given, op).await?;
    usable(&uid, &stored, wanted, ctx.now)?;
    permitted(&uid, &stored, mask)?;
    let mut object = unsealed(ctx, &uid, &stored)?;
    if super::key_wrap::is_wrapped(&object) {
        if !unwrap {
            return Err(OpError::InvalidField(format!(
                "key {uid} is itself stored wrapped and cannot unwrap another key"
            )));
        }
        object = super::key_wrap::unwrapped(ctx, &uid, object).await?;
    }
    let key = raw_key(&uid, object)?;
    let own = stored_params(&stored)?;
    let params = requested.cloned().unwrap_or_default().or(&own);
    let algorithm = match params.cryptographic_algorithm {
        Some(a) => Some(a),
        None => match attrs::value(&stored, names::ALGORITHM)? {
            Some(Value::Enumeration(a)) => Some(CryptographicAlgorithm(a)),
            _ => None,
        },
    };
    let usage_limits = super::usage::stored(&stored);
    Ok(KeyInUse {
        uid,
        key,
        algorithm,
        params,
        usage_limits,
    })
}

fn use_of(op: Operation) -> Use {
    if [
        Operation::DECRYPT,
        Operation::MAC_VERIFY,
        Operation::SIGNATURE_VERIFY,
    ]
    .contains(&op)
    {
        Use::Process
    } else {
        Use::Protect
    }
}

/// Whether object `uid` may be used for `wanted` now: its state and its Protect Stop and
/// Process Start Dates.
pub fn usable(uid: &str, o: &StoredObject, wanted: Use, now: i64) -> Result<(), OpError> {
    let state = State(o.state);
    let allowed = match wanted {
        Use::Protect => state == State::ACTIVE,
        Use::Process => [State::ACTIVE, State::DEACTIVATED, State::COMPROMISED].contains(&state),
    };
    if state == State::DESTROYED || state == State::DESTROYED_COMPROMISED {
        return Err(OpError::Destroyed(uid.to_owned()));
    }
    if !allowed {
        return Err(OpError::WrongState(format!(
            "key {uid} is {}: a key is used only while Active (Encrypt, MAC, Sign, Derive Key, wrapping), and to process what it protected also when Deactivated or Compromised (Decrypt, MAC Verify, Signature Verify)",
            attrs::state_name(o.state)
        )));
    }
    let date = |name| match attrs::value(o, name) {
        Ok(Some(Value::DateTime(t))) => Ok(Some(t)),
        Ok(_) => Ok(None),
        Err(e) => Err(e),
    };
    // The usage dates are part of the key's lifecycle (KMIP 2.1 answers Wrong Key Lifecycle
    // State; 1.x, which has no such reason, Permission Denied).
    match wanted {
        Use::Protect => {
            if let Some(t) = date(names::PROTECT_STOP_DATE)?.filter(|t| *t <= now) {
                return Err(OpError::WrongState(format!(
                    "key {uid} stopped protecting data at its Protect Stop Date ({t})"
                )));
            }
        }
        Use::Process => {
            if let Some(t) = date(names::PROCESS_START_DATE)?.filter(|t| *t > now) {
                return Err(OpError::WrongState(format!(
                    "key {uid} may process data only from its Process Start Date ({t})"
                )));
            }
        }
    }
    Ok(())
}

/// The key's Cryptographic Usage Mask allows `mask`.
fn permitted(uid: &str, o: &StoredObject, mask: CryptographicUsageMask) -> Result<(), OpError> {
    let has = match attrs::value(o, names::USAGE_MASK)? {
        Some(Value::Integer(m)) => m,
        _ => 0,
    };
    if CryptographicUsageMask::from_i32(has).contains(mask) {
        return Ok(());
    }
    Err(OpError::IncompatibleMask(format!(
        "key {uid} allows {} (its Cryptographic Usage Mask) but this operation needs {}",
        CryptographicUsageMask::from_i32(has).describe(),
        mask.describe()
    )))
}

/// The stored object with its material unsealed.
fn unsealed(ctx: &OpCtx<'_>, uid: &str, o: &StoredObject) -> Result<ManagedObject, OpError> {
    let sealed = match &o.material {
        Material::Sealed(s) => s,
        Material::Destroyed => return Err(OpError::Destroyed(uid.to_owned())),
        Material::None => return Err(OpError::MissingData(format!("key {uid} has no material"))),
    };
    material::unseal(ctx.keyring, uid, sealed)
}

/// The key, read from its clear form: a symmetric key's bytes (Raw, or the Key of a
/// Transparent Symmetric Key); a private or public key in a DER or Transparent format.
fn raw_key(uid: &str, object: ManagedObject) -> Result<UsableKey, OpError> {
    let kb = match object {
        ManagedObject::SymmetricKey(kb) | ManagedObject::SecretData { key_block: kb, .. } => kb,
        ManagedObject::PrivateKey(kb) => {
            return Ok(UsableKey::Private(crate::asymmetric::private_key(&kb)?));
        }
        ManagedObject::PublicKey(kb) => {
            return Ok(UsableKey::Public(crate::asymmetric::public_key(&kb)?));
        }
        _ => {
            return Err(OpError::InvalidField(format!("object {uid} is not a key")));
        }
    };
    match kb.key_value {
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(b),
            ..
        }) => Ok(UsableKey::Symmetric(Zeroizing::new(b.as_slice().to_vec()))),
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Structure(items),
            ..
        }) => match items.iter().find(|t| t.tag == Tag::KEY).map(|t| &t.value) {
            Some(Value::ByteString(b)) => {
                Ok(UsableKey::Symmetric(Zeroizing::new(b.as_slice().to_vec())))
            }
            _ => Err(OpError::FormatNotSupported(format!(
                "key {uid} is stored in a format without a Key byte string"
            ))),
        },
        _ => Err(OpError::NotSupported(format!(
            "key {uid} is stored wrapped; this server cannot use it"
        ))),
    }
}

/// The key's Cryptographic Parameters attribute, or none.
fn stored_params(o: &StoredObject) -> Result<CryptographicParameters, OpError> {
    let Some(value) = attrs::value(o, names::CRYPTOGRAPHIC_PARAMETERS)? else {
        return Ok(CryptographicParameters::default());
    };
    let item = Ttlv::new(Tag::CRYPTOGRAPHIC_PARAMETERS, value);
    CryptographicParameters::read_item(&item, &[], Ctx::new(ProtocolVersion::V1_4)).map_err(|e| {
        OpError::InvalidField(format!(
            "the key's Cryptographic Parameters do not read: {e}"
        ))
    })
}

/// The cipher the parameters name for this key.
pub fn cipher_spec(k: &KeyInUse) -> Result<raftkeep_crypto::CipherSpec, OpError> {
    let algorithm = k.algorithm.ok_or_else(|| {
        OpError::MissingData(format!("key {} has no Cryptographic Algorithm", k.uid))
    })?;
    let non_negative = |v: Option<i32>, what: &str| -> Result<Option<u64>, OpError> {
        v.map(|n| {
            u64::try_from(n).map_err(|_| OpError::InvalidField(format!("{what} {n} is negative")))
        })
        .transpose()
    };
    Ok(raftkeep_crypto::CipherSpec {
        algorithm,
        mode: k.params.block_cipher_mode,
        padding: k.params.padding_method,
        tag_length: non_negative(k.params.tag_length, "Tag Length")?
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        initial_counter: non_negative(k.params.initial_counter_value, "Initial Counter Value")?,
    })
}

/// The request's Data, required by every cryptographic operation.
pub fn data<'a>(data: &'a Option<kmip_ttlv::ByteString>, op: &str) -> Result<&'a [u8], OpError> {
    data.as_ref()
        .map(|d| d.as_slice())
        .ok_or_else(|| OpError::MissingData(format!("{op} needs Data")))
}

/// The MAC algorithm for this key: the parameters' Cryptographic Algorithm, else the key's.
pub fn mac_algorithm(k: &KeyInUse) -> Result<CryptographicAlgorithm, OpError> {
    k.algorithm.ok_or_else(|| {
        OpError::MissingData(format!(
            "key {} names no MAC algorithm: give Cryptographic Parameters with a Cryptographic Algorithm",
            k.uid
        ))
    })
}

impl KeyInUse {
    /// A symmetric key's bytes; `op` names the operation for the error.
    pub fn symmetric(&self, op: &str) -> Result<&[u8], OpError> {
        match &self.key {
            UsableKey::Symmetric(k) => Ok(k),
            _ => Err(OpError::InvalidField(format!(
                "{op} with key {} needs a symmetric key",
                self.uid
            ))),
        }
    }

    /// The signature scheme its parameters name.
    pub fn sign_spec(&self) -> Result<raftkeep_crypto::SignSpec, OpError> {
        let p = &self.params;
        Ok(raftkeep_crypto::SignSpec {
            padding: p.padding_method,
            hash: p.hashing_algorithm,
            algorithm: p.digital_signature_algorithm,
            salt_length: p
                .salt_length
                .map(|n| {
                    usize::try_from(n)
                        .map_err(|_| OpError::InvalidField(format!("Salt Length {n} is negative")))
                })
                .transpose()?,
        })
    }

    /// The RSA encryption scheme its parameters name.
    pub fn rsa_spec(&self) -> raftkeep_crypto::RsaSpec {
        let p = &self.params;
        raftkeep_crypto::RsaSpec {
            padding: p.padding_method,
            hash: p.hashing_algorithm,
            mgf_hash: p.mask_generator_hashing_algorithm,
            label: p.p_source.as_ref().map(|l| l.as_slice().to_vec()),
        }
    }
}

/// What a Sign or Signature Verify covers: the Digested Data when given, else the Data.
pub fn signed<'a>(
    data: &'a Option<kmip_ttlv::ByteString>,
    digested: &'a Option<kmip_ttlv::ByteString>,
    op: &str,
) -> Result<raftkeep_crypto::signature::Signed<'a>, OpError> {
    use raftkeep_crypto::signature::Signed;
    match (digested, data) {
        (Some(h), _) => Ok(Signed::Digest(h.as_slice())),
        (None, Some(d)) => Ok(Signed::Data(d.as_slice())),
        (None, None) => Err(OpError::MissingData(format!(
            "{op} needs Data or Digested Data"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use kmip_messages::ProtocolVersion;
    use kmip_ttlv::enums::ResultReason;

    use super::*;

    fn active_key(dates: Vec<raftkeep_store::StoredAttribute>) -> StoredObject {
        StoredObject {
            uid: "k".into(),
            object_type: kmip_ttlv::enums::ObjectType::SYMMETRIC_KEY.0,
            state: State::ACTIVE.0,
            owner: "c".into(),
            attributes: dates,
            material: raftkeep_store::Material::None,
            grants: Default::default(),
        }
    }

    #[test]
    fn a_key_outside_its_usage_dates_is_in_the_wrong_lifecycle_state_for_kmip_2() {
        let now = 1_000_000;
        let stopped = active_key(vec![
            attrs::date(names::PROTECT_STOP_DATE, now - 1).unwrap(),
        ]);
        let early = active_key(vec![
            attrs::date(names::PROCESS_START_DATE, now + 1).unwrap(),
        ]);
        for (key, wanted) in [(&stopped, Use::Protect), (&early, Use::Process)] {
            let refused = usable("k", key, wanted, now).unwrap_err();
            assert_eq!(
                refused.reason(ProtocolVersion::V2_1),
                ResultReason::WRONG_KEY_LIFECYCLE_STATE
            );
            // KMIP 1.x has no such reason.
            assert_eq!(
                refused.reason(ProtocolVersion::V1_4),
                ResultReason::PERMISSION_DENIED
            );
        }
        // Within its dates it is usable; processing goes on after Protect Stop.
        assert!(usable("k", &stopped, Use::Process, now).is_ok());
        assert!(usable("k", &early, Use::Protect, now).is_ok());
    }
}
