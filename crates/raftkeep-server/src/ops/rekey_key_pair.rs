//! Re-key Key Pair (KMIP 1.4 §4.5, 2.1 §6.1.46): a new key pair replacing an existing one,
//! with the old pair's algorithm, length and client attributes (the request's templates
//! over them), Active from now plus the Offset. Both new keys are committed in one entry; each
//! old key is then linked to its replacement, and each new key to the key it replaces.

use kmip_messages::payload::rekey_key_pair::{ReKeyKeyPairRequest, ReKeyKeyPairResponse};
use kmip_messages::{Attribute, Attributes, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{LinkType, ObjectType, Operation};
use kmip_ttlv::{Tag, Value};
use raftkeep_store::{Material, StoredObject};

use super::context::OpCtx;
use super::create_key_pair::{make_pair, merged};
use super::rekey::{algorithm_and_length, inherited, link, link_replacement};
use crate::attrs::{self, names};
use crate::error::OpError;

/// Answers one Re-key Key Pair.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &ReKeyKeyPairRequest,
) -> Result<ResponsePayload, OpError> {
    let old_private_uid = ctx.uid(req.private_key_unique_identifier.as_ref())?;
    let old_private = ctx
        .load(&old_private_uid, Operation::RE_KEY_KEY_PAIR)
        .await?;
    if old_private.object_type != ObjectType::PRIVATE_KEY.0 {
        return Err(OpError::InvalidField(format!(
            "Re-key Key Pair names the private key of a pair; {old_private_uid} is a {}",
            attrs::type_name(old_private.object_type)
        )));
    }
    if old_private.material == Material::Destroyed {
        return Err(OpError::Destroyed(old_private_uid));
    }
    let old_public_uid = public_key_of(&old_private)?;
    let old_public = ctx
        .load(&old_public_uid, Operation::RE_KEY_KEY_PAIR)
        .await?;
    let (algorithm, length) = algorithm_and_length(&old_private)?;
    let activation = ctx.now + i64::from(req.offset.map_or(0, |o| o.0));
    let attributes = |old: &StoredObject, own| -> Result<Attributes, OpError> {
        let over = merged(&req.common, own);
        let mut out: Vec<Attribute> = inherited(old)?
            .0
            .into_iter()
            .filter(|a| !over.0.iter().any(|o| o.name == a.name))
            .collect();
        out.extend(over.0);
        out.push(Attribute::new(
            names::ACTIVATION_DATE,
            Value::DateTime(activation),
        ));
        out.push(link(LinkType::REPLACED_OBJECT_LINK, &old.uid));
        Ok(Attributes(out))
    };
    let private_attrs = attributes(&old_private, &req.private_key)?;
    let public_attrs = attributes(&old_public, &req.public_key)?;
    let (private_uid, public_uid) =
        make_pair(ctx, algorithm, length, private_attrs, public_attrs).await?;
    for (old, new) in [
        (&old_private_uid, &private_uid),
        (&old_public_uid, &public_uid),
    ] {
        let replacement = link(LinkType::REPLACEMENT_OBJECT_LINK, new);
        link_replacement(ctx, old, attrs::encode(&replacement.value)?).await?;
    }
    tracing::info!(client = %ctx.client.fingerprint, old = %old_private_uid, new = %private_uid, "key pair re-keyed");
    ctx.placeholder = Some(private_uid.clone());
    Ok(ResponsePayload::ReKeyKeyPair(ReKeyKeyPairResponse {
        private_key_unique_identifier: UniqueIdentifier::Text(private_uid),
        public_key_unique_identifier: UniqueIdentifier::Text(public_uid),
    }))
}

/// The public key a private key links to.
fn public_key_of(private: &StoredObject) -> Result<String, OpError> {
    for a in private.attributes.iter().filter(|a| a.name == names::LINK) {
        if let Value::Structure(items) = attrs::decode(&a.value)? {
            let kind = items
                .iter()
                .find(|t| t.tag == Tag::LINK_TYPE)
                .map(|t| &t.value);
            let target = items
                .iter()
                .find(|t| t.tag == Tag::LINKED_OBJECT_IDENTIFIER)
                .map(|t| &t.value);
            if let (Some(Value::Enumeration(k)), Some(Value::TextString(uid))) = (kind, target)
                && *k == LinkType::PUBLIC_KEY_LINK.0
            {
                return Ok(uid.clone());
            }
        }
    }
    Err(OpError::MissingData(format!(
        "{} has no Public Key Link: Re-key Key Pair needs the pair's public key",
        private.uid
    )))
}
