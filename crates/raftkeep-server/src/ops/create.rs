//! Create (KMIP 1.4 §4.1, 2.1 §6.1.9): generate a symmetric key from the system's random
//! generator, seal it, and commit it with its attributes. New keys start Pre-Active, or
//! Active when the client gives an Activation Date that has passed (KMIP 1.4 §3.24).

use kmip_messages::payload::create::{CreateRequest, CreateResponse};
use kmip_messages::{Attributes, ManagedObject, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::Value;
use kmip_ttlv::enums::{CryptographicAlgorithm, ObjectType, State};
use raftkeep_store::{Material, StoredAttribute, StoredObject};

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;
use crate::material;

/// Answers one Create.
pub async fn run(ctx: &mut OpCtx<'_>, req: &CreateRequest) -> Result<ResponsePayload, OpError> {
    if req.object_type != ObjectType::SYMMETRIC_KEY {
        return Err(OpError::InvalidField(format!(
            "Create makes symmetric keys; {} objects are registered or made by Create Key Pair",
            req.object_type
        )));
    }
    let given = &req.template.attributes;
    let algorithm = given.cryptographic_algorithm().ok_or_else(|| {
        OpError::MissingData("Create needs a Cryptographic Algorithm attribute".to_owned())
    })?;
    let length = given.cryptographic_length().ok_or_else(|| {
        OpError::MissingData("Create needs a Cryptographic Length attribute".to_owned())
    })?;
    check_quantum_safe(given, algorithm, length)?;
    let uid = match ctx.made_before()? {
        // A retry whose first attempt was committed: its Name is that key's already.
        Some(uid) => uid,
        None => {
            let (_, stored) = new_key(ctx, algorithm, length, given)?;
            let uid = ctx.put_new(stored).await?;
            tracing::info!(client = %ctx.client.fingerprint, %uid, %algorithm, length, "key created");
            uid
        }
    };
    ctx.placeholder = Some(uid.clone());
    Ok(ResponsePayload::Create(CreateResponse {
        object_type: req.object_type,
        unique_identifier: UniqueIdentifier::Text(uid),
        template: None,
    }))
}

/// A new random symmetric key with these attributes, sealed under a fresh UID.
pub(crate) fn new_key(
    ctx: &OpCtx<'_>,
    algorithm: CryptographicAlgorithm,
    length: i32,
    given: &Attributes,
) -> Result<(String, StoredObject), OpError> {
    let uid = uuid::Uuid::new_v4().to_string();
    let key = material::random(key_bytes(algorithm, length, for_xts(given))?)?;
    let object = ManagedObject::SymmetricKey(material::raw_key_block(&key, algorithm, length));
    let sealed = material::seal(ctx.keyring, &uid, &object)?;
    let mut server_set = vec![
        attrs::stored(names::RANDOM_NUMBER_GENERATOR, &material::rng_attribute())?,
        attrs::stored(
            names::KEY_FORMAT_TYPE,
            &Value::Enumeration(kmip_ttlv::enums::KeyFormatType::RAW.0),
        )?,
    ];
    if let Some(digest) = material::digest(&object) {
        server_set.push(attrs::stored(names::DIGEST, &digest)?);
    }
    let stored = new_object(
        ctx,
        &uid,
        ObjectType::SYMMETRIC_KEY,
        given,
        Material::Sealed(sealed),
        server_set,
    )?;
    Ok((uid, stored))
}

/// Where objects are kept (KMIP 2.1 Protection Storage Mask): in software. Only that is known
/// to the server itself — whether its machines are on the operator's premises or managed by
/// the operator depends on the deployment, so it does not claim On Premises or Self Managed
/// (the OASIS 2.1 cases TL-M-3, SKLC-O-1 and AKLC-O-1 expect Software alone too).
const PROTECTION_STORAGE: i32 = 0x0001;

/// Sensitive and Extractable as given (default: not sensitive, extractable), and their
/// history attributes Always Sensitive and Never Extractable (KMIP 1.4 §3.41–3.44).
fn protection_defaults(given: &Attributes) -> Result<Vec<StoredAttribute>, OpError> {
    let flag = |name: &str, default: bool| match given.get(name).map(|a| &a.value) {
        Some(Value::Boolean(b)) => *b,
        _ => default,
    };
    let sensitive = flag(names::SENSITIVE, false);
    let extractable = flag(names::EXTRACTABLE, true);
    let mut out = Vec::new();
    if given.get(names::SENSITIVE).is_none() {
        out.push(attrs::stored(names::SENSITIVE, &Value::Boolean(sensitive))?);
    }
    if given.get(names::EXTRACTABLE).is_none() {
        out.push(attrs::stored(
            names::EXTRACTABLE,
            &Value::Boolean(extractable),
        )?);
    }
    out.push(attrs::stored(
        names::ALWAYS_SENSITIVE,
        &Value::Boolean(sensitive),
    )?);
    out.push(attrs::stored(
        names::NEVER_EXTRACTABLE,
        &Value::Boolean(!extractable),
    )?);
    Ok(out)
}

/// A client asking for a Quantum Safe key (KMIP 2.1 §4.46) gets one or an error: symmetric
/// keys of 256 bits and more keep 128-bit security against Grover's algorithm.
fn check_quantum_safe(
    given: &Attributes,
    algorithm: CryptographicAlgorithm,
    length: i32,
) -> Result<(), OpError> {
    let asked = matches!(
        given.get(names::QUANTUM_SAFE).map(|a| &a.value),
        Some(Value::Boolean(true))
    );
    if asked && length < 256 {
        return Err(OpError::Refused(format!(
            "a {length}-bit {algorithm} key is not quantum safe; ask for 256 bits"
        )));
    }
    Ok(())
}

/// Whether the key's own Cryptographic Parameters name XTS: its AES key is two AES keys.
fn for_xts(given: &Attributes) -> bool {
    match given.get(names::CRYPTOGRAPHIC_PARAMETERS).map(|a| &a.value) {
        Some(Value::Structure(items)) => items.iter().any(|t| {
            t.tag == kmip_ttlv::Tag::BLOCK_CIPHER_MODE
                && t.value == Value::Enumeration(kmip_ttlv::enums::BlockCipherMode::XTS.0)
        }),
        _ => false,
    }
}

/// The key size in bytes for an algorithm and a length in bits; an XTS key is two AES keys
/// (256 bits for XTS-AES-128, 512 for XTS-AES-256).
fn key_bytes(algorithm: CryptographicAlgorithm, length: i32, xts: bool) -> Result<usize, OpError> {
    let bad = || OpError::InvalidField(format!("a {algorithm} key cannot be {length} bits long"));
    let valid = match algorithm {
        CryptographicAlgorithm::AES if xts => matches!(length, 256 | 512),
        CryptographicAlgorithm::AES => matches!(length, 128 | 192 | 256),
        CryptographicAlgorithm::DES3 => matches!(length, 112 | 168 | 192),
        CryptographicAlgorithm::CHACHA20 => length == 256,
        _ => length > 0 && length % 8 == 0 && length <= 8192,
    };
    if !valid {
        return Err(bad());
    }
    // Triple DES keys carry their parity bits: 2 or 3 keys of 8 bytes.
    let bits = match (algorithm, length) {
        (CryptographicAlgorithm::DES3, 112) => 128,
        (CryptographicAlgorithm::DES3, _) => 192,
        _ => length,
    };
    usize::try_from(bits / 8).map_err(|_| bad())
}

/// A new stored object with the client's attributes and the ones the server sets: Initial
/// Date, Last Change Date, ..., and the state its dates call for (Pre-Active unless an
/// Activation Date has already come).
pub fn new_object(
    ctx: &OpCtx<'_>,
    uid: &str,
    object_type: ObjectType,
    given: &Attributes,
    material: Material,
    server_set: Vec<StoredAttribute>,
) -> Result<StoredObject, OpError> {
    let mut attributes = Vec::new();
    for a in &given.0 {
        match a.name.as_str() {
            // Sent by some clients in the template; the stored object holds its own.
            names::OBJECT_TYPE if a.enumeration() == Some(object_type.0) => continue,
            // Fresh may be given when an object is made (KMIP 2.1 §4.23: a Register of a key
            // that was already used says so); afterwards only the server changes it.
            names::ALGORITHM | names::LENGTH | names::FRESH => {}
            // A value the server sets anyway, given as the server will set it: accepted.
            _ if attrs::is_read_only(&a.name) => {
                let same = attrs::encode(&a.value)?;
                if server_set
                    .iter()
                    .any(|s| s.name == a.name.as_str() && s.value == same)
                {
                    continue;
                }
                return Err(OpError::ReadOnly(a.name.to_string()));
            }
            _ => {}
        }
        let index = attributes
            .iter()
            .filter(|s: &&StoredAttribute| s.name == a.name.as_str())
            .count();
        if index > 0 && !attrs::is_multi_valued(&a.name) {
            return Err(OpError::InvalidField(format!(
                "{} is single-valued but given {} times",
                a.name,
                index + 1
            )));
        }
        attributes.push(StoredAttribute {
            name: a.name.to_string(),
            index: u32::try_from(index).unwrap_or(u32::MAX),
            value: attrs::encode(&a.value)?,
        });
    }
    ctx.check_names_free(&attrs::name_texts(&given.0), None)?;
    attributes.extend(server_set);
    attributes.extend(protection_defaults(given)?);
    attributes.push(attrs::stored(
        names::LEASE_TIME,
        &Value::Interval(super::obtain_lease::LEASE_SECS),
    )?);
    attributes.push(attrs::stored(
        names::PROTECTION_STORAGE_MASK,
        &Value::Integer(PROTECTION_STORAGE),
    )?);
    if !given.0.iter().any(|a| a.name.as_str() == names::FRESH) {
        attributes.push(attrs::stored(names::FRESH, &Value::Boolean(true))?);
    }
    attributes.push(attrs::date(names::INITIAL_DATE, ctx.now)?);
    attributes.push(attrs::date(names::ORIGINAL_CREATION_DATE, ctx.now)?);
    attributes.push(attrs::date(names::LAST_CHANGE_DATE, ctx.now)?);
    let object = StoredObject {
        uid: uid.to_owned(),
        object_type: object_type.0,
        state: State::PRE_ACTIVE.0,
        owner: ctx.client.identity.clone(),
        attributes,
        material,
        grants: Default::default(),
    };
    // Dates the client gave that have already come decide the state it starts in.
    Ok(attrs::at(object, ctx.now))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use super::*;

    #[test]
    fn xts_keys_are_two_aes_keys_and_other_aes_keys_one() {
        let aes = CryptographicAlgorithm::AES;
        assert_eq!(key_bytes(aes, 512, true).unwrap(), 64);
        assert_eq!(key_bytes(aes, 256, true).unwrap(), 32);
        assert!(key_bytes(aes, 128, true).is_err(), "XTS needs two keys");
        assert!(key_bytes(aes, 512, false).is_err());
        assert_eq!(
            key_bytes(CryptographicAlgorithm::DES3, 168, false).unwrap(),
            24
        );
        let xts = Attributes(vec![kmip_messages::Attribute::new(
            names::CRYPTOGRAPHIC_PARAMETERS,
            Value::Structure(vec![kmip_ttlv::Ttlv::enumeration(
                kmip_ttlv::Tag::BLOCK_CIPHER_MODE,
                kmip_ttlv::enums::BlockCipherMode::XTS.0,
            )]),
        )]);
        assert!(for_xts(&xts));
        assert!(!for_xts(&Attributes(Vec::new())));
    }
}
