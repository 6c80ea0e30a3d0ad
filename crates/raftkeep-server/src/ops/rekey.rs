//! Re-key (KMIP 1.4 §4.4, 2.1 §6.1.45): a new symmetric key with the old one's algorithm,
//! length and client attributes, Active from now plus the Offset; the two are linked both
//! ways (Replaced Object / Replacement Object).

use kmip_messages::payload::rekey::{ReKeyRequest, ReKeyResponse};
use kmip_messages::{Attribute, Attributes, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{CryptographicAlgorithm, LinkType, ObjectType, Operation};
use kmip_ttlv::{Tag, Ttlv, Value};
use raftkeep_store::{AttributeChange, Command, Material, StoredObject};

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;

/// Attributes the new key does not inherit: the server sets them anew.
const NOT_INHERITED: [&str; 8] = [
    names::ACTIVATION_DATE,
    names::DEACTIVATION_DATE,
    names::LINK,
    names::NAME,
    names::INITIAL_DATE,
    names::LAST_CHANGE_DATE,
    names::REVOCATION_REASON,
    names::COMPROMISE_DATE,
];

/// Answers one Re-key.
pub async fn run(ctx: &mut OpCtx<'_>, req: &ReKeyRequest) -> Result<ResponsePayload, OpError> {
    let old_uid = ctx.uid(req.unique_identifier.as_ref())?;
    let old = ctx.load(&old_uid, Operation::RE_KEY).await?;
    if old.object_type != ObjectType::SYMMETRIC_KEY.0 {
        return Err(OpError::InvalidField(format!(
            "Re-key replaces symmetric keys; {old_uid} is a {}",
            attrs::type_name(old.object_type)
        )));
    }
    if old.material == Material::Destroyed {
        return Err(OpError::Destroyed(old_uid));
    }
    let (algorithm, length) = algorithm_and_length(&old)?;
    let mut given = inherited(&old)?;
    if let Some(t) = &req.template {
        given.0.extend(t.attributes.0.iter().cloned());
    }
    let activation = ctx.now + i64::from(req.offset.map_or(0, |o| o.0));
    given.0.push(Attribute::new(
        names::ACTIVATION_DATE,
        Value::DateTime(activation),
    ));
    given.0.push(link(LinkType::REPLACED_OBJECT_LINK, &old_uid));

    let uid = match ctx.made_before()? {
        Some(uid) => uid,
        None => {
            let (_, stored) = super::create::new_key(ctx, algorithm, length, &given)?;
            ctx.put_new(stored).await?
        }
    };
    let replacement = link(LinkType::REPLACEMENT_OBJECT_LINK, &uid);
    let encoded = attrs::encode(&replacement.value)?;
    // A retried Re-key may find the link its first attempt made.
    let linked = old
        .attributes
        .iter()
        .any(|a| a.name == names::LINK && a.value == encoded);
    if !linked {
        link_replacement(ctx, &old_uid, encoded).await?;
    }
    tracing::info!(client = %ctx.client.fingerprint, old = %old_uid, new = %uid, "key re-keyed");
    ctx.placeholder = Some(uid.clone());
    Ok(ResponsePayload::ReKey(ReKeyResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        template: None,
    }))
}

/// Links the old key to its replacement.
pub(super) async fn link_replacement(
    ctx: &mut OpCtx<'_>,
    old_uid: &str,
    link: Vec<u8>,
) -> Result<(), OpError> {
    ctx.commit(Command::ChangeAttributes {
        uid: old_uid.to_owned(),
        changes: vec![
            AttributeChange::Add {
                name: names::LINK.to_owned(),
                value: link,
            },
            AttributeChange::Set {
                name: names::LAST_CHANGE_DATE.to_owned(),
                value: attrs::encode(&Value::DateTime(ctx.now))?,
            },
        ],
    })
    .await?;
    Ok(())
}

pub(super) fn algorithm_and_length(
    old: &StoredObject,
) -> Result<(CryptographicAlgorithm, i32), OpError> {
    match (
        attrs::value(old, names::ALGORITHM)?,
        attrs::value(old, names::LENGTH)?,
    ) {
        (Some(Value::Enumeration(a)), Some(Value::Integer(l))) => {
            Ok((CryptographicAlgorithm(a), l))
        }
        _ => Err(OpError::MissingData(format!(
            "{} has no Cryptographic Algorithm and Length to re-key with",
            old.uid
        ))),
    }
}

/// The old key's attributes the new one takes over.
pub(super) fn inherited(old: &StoredObject) -> Result<Attributes, OpError> {
    let mut out = Vec::new();
    for a in &old.attributes {
        let name = kmip_messages::AttributeName::new(a.name.clone());
        let server_set = attrs::is_read_only(&name)
            && !matches!(a.name.as_str(), names::ALGORITHM | names::LENGTH);
        if NOT_INHERITED.contains(&a.name.as_str()) || server_set {
            continue;
        }
        let mut w = attrs::to_wire(a)?;
        w.index = None;
        out.push(w);
    }
    Ok(Attributes(out))
}

pub(super) fn link(kind: LinkType, uid: &str) -> Attribute {
    Attribute::new(
        names::LINK,
        Value::Structure(vec![
            Ttlv::enumeration(Tag::LINK_TYPE, kind.0),
            Ttlv::text(Tag::LINKED_OBJECT_IDENTIFIER, uid),
        ]),
    )
}
