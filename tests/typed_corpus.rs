//! Every OASIS test-case message whose operations have typed payloads reads into the typed
//! layer and writes back to the same tree, in KMIP 1.4 and 2.1 layouts alike.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use kmip_messages::{RequestMessage, RequestPayload, ResponseMessage, ResponsePayload};
use kmip_text::{from_xml_test_case, placeholders};
use kmip_ttlv::{ItemType, Placeholder, Tag, Value};
use raftkeep_tests::test_case_files;

fn stand_in(p: &Placeholder) -> Option<Value> {
    let (name, offset) = placeholders::parts(p);
    Some(match p.item_type {
        ItemType::TEXT_STRING => Value::TextString(p.text.clone()),
        ItemType::BYTE_STRING => Value::ByteString(name.as_bytes().to_vec().into()),
        ItemType::DATE_TIME => Value::DateTime(1_700_000_000 + offset),
        _ => return None,
    })
}

#[test]
fn typed_layer_reads_and_writes_every_test_case_message() {
    let (mut typed_items, mut generic_items, mut messages) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in test_case_files() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let all = from_xml_test_case(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for (i, mut m) in all.into_iter().enumerate() {
            placeholders::bind(&mut m, &mut stand_in);
            messages += 1;
            let back = if m.tag == Tag::REQUEST_MESSAGE {
                match RequestMessage::from_ttlv(&m) {
                    Ok(r) => {
                        for it in &r.batch_items {
                            if matches!(it.payload, RequestPayload::Other(_)) {
                                generic_items += 1
                            } else {
                                typed_items += 1
                            }
                        }
                        r.to_ttlv()
                    }
                    Err(e) => {
                        failures.push(format!("{name} message {i}: {e}"));
                        continue;
                    }
                }
            } else {
                match ResponseMessage::from_ttlv(&m) {
                    Ok(r) => {
                        for it in &r.batch_items {
                            if matches!(it.payload, Some(ResponsePayload::Other(_))) {
                                generic_items += 1
                            } else {
                                typed_items += 1
                            }
                        }
                        r.to_ttlv()
                    }
                    Err(e) => {
                        failures.push(format!("{name} message {i}: {e}"));
                        continue;
                    }
                }
            };
            if back != m {
                failures.push(format!(
                    "{name} message {i}: re-encoded tree differs\n{}\n---\n{}",
                    kmip_text::to_xml(&m),
                    kmip_text::to_xml(&back)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(messages, 1580);
    println!("{typed_items} typed batch items, {generic_items} generic");
    assert!(typed_items > 1000, "only {typed_items} typed items");
}
