//! Whether a whole message keeps to one protocol version: every tag, every enumeration value
//! and every attribute name in it defined by that version ([`crate::since`]). The conformance
//! runner checks every response with it, and the version property test runs it over the
//! answers to every operation at every version.

use kmip_ttlv::{Tag, Ttlv, Value};

use crate::{ProtocolVersion, since};

/// The first thing in a message its version does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {what}, which KMIP {version} does not define")]
pub struct Untrue {
    /// The tags from the message down to the item.
    pub path: String,
    /// What the item carries.
    pub what: String,
    /// The version the message is in.
    pub version: ProtocolVersion,
}

/// `Ok` when everything in `message` is defined in `version`.
pub fn check(message: &Ttlv, version: ProtocolVersion) -> Result<(), Untrue> {
    let mut path = Vec::new();
    walk(message, version, &mut path)
}

fn walk(item: &Ttlv, version: ProtocolVersion, path: &mut Vec<Tag>) -> Result<(), Untrue> {
    path.push(item.tag);
    let untrue = |what: String, path: &[Tag]| Untrue {
        path: path
            .iter()
            .map(Tag::to_string)
            .collect::<Vec<_>>()
            .join("/"),
        what,
        version,
    };
    if !since::tag_defined(item.tag, version) {
        return Err(untrue(format!("tag {}", item.tag), path));
    }
    match &item.value {
        Value::Structure(children) => {
            for child in children {
                walk(child, version, path)?;
            }
        }
        // A batch item's Operation is the one the client asked for, echoed; whether the
        // version has that operation is for the server to answer (Operation Not Supported).
        Value::Enumeration(_) if item.tag == Tag::OPERATION && in_batch_item(path) => {}
        Value::Enumeration(e) if !since::enumeration_defined(item.tag, *e, version) => {
            return Err(untrue(format!("{} value {e:#010x}", item.tag), path));
        }
        // KMIP 1.x names attributes by text: a standard name must be one this version has.
        Value::TextString(name)
            if item.tag == Tag::ATTRIBUTE_NAME
                && version.major < 2
                && !since::attribute_defined(name, version) =>
        {
            return Err(untrue(format!("attribute {name:?}"), path));
        }
        _ => {}
    }
    path.pop();
    Ok(())
}

/// Whether the item at the end of `path` sits directly in a batch item.
fn in_batch_item(path: &[Tag]) -> bool {
    path.len() >= 2 && path.get(path.len() - 2) == Some(&Tag::BATCH_ITEM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(tag: Tag, value: Value) -> Ttlv {
        Ttlv::new(tag, value)
    }

    fn payload(children: Vec<Ttlv>) -> Ttlv {
        item(
            Tag::RESPONSE_MESSAGE,
            Value::Structure(vec![item(
                Tag::BATCH_ITEM,
                Value::Structure(vec![item(
                    Tag::RESPONSE_PAYLOAD,
                    Value::Structure(children),
                )]),
            )]),
        )
    }

    #[test]
    fn a_tag_of_a_later_version_is_named_with_its_path() {
        let m = payload(vec![item(Tag::ATTRIBUTES, Value::Structure(vec![]))]);
        assert!(check(&m, ProtocolVersion::V2_0).is_ok());
        let e = check(&m, ProtocolVersion::V1_4).unwrap_err();
        assert_eq!(
            e.path,
            "ResponseMessage/BatchItem/ResponsePayload/Attributes"
        );
        assert!(e.to_string().contains("KMIP 1.4 does not define"), "{e}");
    }

    #[test]
    fn operations_reasons_and_attribute_names_of_later_versions_are_untrue() {
        let op = payload(vec![item(
            Tag::OPERATION,
            Value::Enumeration(kmip_ttlv::enums::Operation::SET_ATTRIBUTE.0),
        )]);
        assert!(check(&op, ProtocolVersion::V1_4).is_err());
        assert!(check(&op, ProtocolVersion::V2_0).is_ok());
        // The batch item's own Operation echoes the request.
        let echo = item(
            Tag::RESPONSE_MESSAGE,
            Value::Structure(vec![item(
                Tag::BATCH_ITEM,
                Value::Structure(vec![item(
                    Tag::OPERATION,
                    Value::Enumeration(kmip_ttlv::enums::Operation::SET_ATTRIBUTE.0),
                )]),
            )]),
        );
        assert!(check(&echo, ProtocolVersion::V1_0).is_ok());
        let reason = payload(vec![item(
            Tag::RESULT_REASON,
            Value::Enumeration(kmip_ttlv::enums::ResultReason::SENSITIVE.0),
        )]);
        assert!(check(&reason, ProtocolVersion::V1_3).is_err());
        assert!(check(&reason, ProtocolVersion::V1_4).is_ok());
        let name = |n: &str| payload(vec![item(Tag::ATTRIBUTE_NAME, Value::TextString(n.into()))]);
        assert!(check(&name("Fresh"), ProtocolVersion::V1_0).is_err());
        assert!(check(&name("Fresh"), ProtocolVersion::V1_1).is_ok());
        assert!(check(&name("x-mine"), ProtocolVersion::V1_0).is_ok());
        let reserved = payload(vec![item(
            Tag::TEMPLATE_ATTRIBUTE,
            Value::Structure(vec![]),
        )]);
        assert!(check(&reserved, ProtocolVersion::V1_4).is_ok());
        assert!(check(&reserved, ProtocolVersion::V2_1).is_err());
    }
}
