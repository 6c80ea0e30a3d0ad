//! Register (KMIP 1.4 §4.3, 2.1 §6.1.43): store an object the client brings — a key, secret
//! data, an opaque object, a certificate — sealed like a generated key. The key block's
//! algorithm and length become attributes when the client does not give them.

use kmip_messages::payload::register::{RegisterRequest, RegisterResponse};
use kmip_messages::{Attribute, Attributes, ManagedObject, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::Value;
use raftkeep_store::Material;

use super::context::OpCtx;
use super::create::new_object;
use crate::attrs::{self, names};
use crate::error::OpError;
use crate::material;

/// Answers one Register.
pub async fn run(ctx: &mut OpCtx<'_>, req: &RegisterRequest) -> Result<ResponsePayload, OpError> {
    if req.object.object_type() != req.object_type {
        return Err(OpError::InvalidField(format!(
            "Object Type is {} but the object sent is a {}",
            req.object_type,
            req.object.object_type()
        )));
    }
    if let Some(uid) = ctx.made_before()? {
        ctx.placeholder = Some(uid.clone());
        return Ok(registered(uid));
    }
    let attributes = with_key_block_attributes(&req.template.attributes, &req.object);
    let uid = uuid::Uuid::new_v4().to_string();
    let sealed = material::seal(ctx.keyring, &uid, &req.object)?;
    let mut server_set = match material::digest(&req.object) {
        Some(d) => vec![attrs::stored(names::DIGEST, &d)?],
        None => Vec::new(),
    };
    if let Some(format) = material::format_of(&req.object) {
        server_set.push(attrs::stored(
            names::KEY_FORMAT_TYPE,
            &Value::Enumeration(format.0),
        )?);
    }
    if let ManagedObject::Certificate {
        certificate_type,
        value,
    } = &req.object
    {
        // KMIP 1.4 §3.8, §3.9: set by the server for certificates.
        server_set.push(attrs::stored(
            names::CERTIFICATE_TYPE,
            &Value::Enumeration(certificate_type.0),
        )?);
        let length = i32::try_from(value.as_slice().len()).unwrap_or(i32::MAX);
        server_set.push(attrs::stored(
            names::CERTIFICATE_LENGTH,
            &Value::Integer(length),
        )?);
        let mut seen: Vec<String> = Vec::new();
        for (name, v) in material::x509_name_attributes(value.as_slice()) {
            let index = seen.iter().filter(|n| **n == name).count();
            let mut a = attrs::stored(&name, &v)?;
            a.index = u32::try_from(index).unwrap_or(u32::MAX);
            seen.push(name);
            server_set.push(a);
        }
    }
    let stored = new_object(
        ctx,
        &uid,
        req.object_type,
        &attributes,
        Material::Sealed(sealed),
        server_set,
    )?;
    let uid = ctx.put_new(stored).await?;
    tracing::info!(client = %ctx.client.fingerprint, %uid, object_type = %req.object_type, "object registered");
    ctx.placeholder = Some(uid.clone());
    Ok(registered(uid))
}

fn registered(uid: String) -> ResponsePayload {
    ResponsePayload::Register(RegisterResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        template: None,
    })
}

/// The client's attributes plus Cryptographic Algorithm and Length from the key block when
/// the client did not give them.
fn with_key_block_attributes(given: &Attributes, object: &ManagedObject) -> Attributes {
    let mut out = given.clone();
    let kb = match object {
        ManagedObject::SymmetricKey(kb)
        | ManagedObject::PublicKey(kb)
        | ManagedObject::PrivateKey(kb) => kb,
        _ => return out,
    };
    if let (None, Some(alg)) = (given.get(names::ALGORITHM), kb.cryptographic_algorithm) {
        out.0
            .push(Attribute::new(names::ALGORITHM, Value::Enumeration(alg.0)));
    }
    if let (None, Some(len)) = (given.get(names::LENGTH), kb.cryptographic_length) {
        out.0
            .push(Attribute::new(names::LENGTH, Value::Integer(len)));
    }
    out
}
