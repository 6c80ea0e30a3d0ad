//! Every OASIS test-case message whose operations have typed payloads reads into the typed
//! layer and writes back to the same tree, in KMIP 1.4 and 2.1 layouts alike.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use kmip_messages::{Message, RequestMessage, RequestPayload, ResponseMessage, ResponsePayload};
use kmip_text::{from_xml_test_case, placeholders};
use kmip_ttlv::{Tag, Ttlv};
use raftkeep_tests::{stand_in, test_case_files};

/// Reads `m` as a typed message and writes it back; returns the tree written and how many of
/// its batch items have typed payloads.
fn through_typed<M: Message>(
    m: &Ttlv,
    typed: impl Fn(&M) -> usize,
) -> Result<(Ttlv, usize, usize), String> {
    let msg = M::from_ttlv(m).map_err(|e| e.to_string())?;
    let total = msg.parts().1.len();
    let typed = typed(&msg);
    Ok((msg.to_ttlv(), typed, total - typed))
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
            let result = if m.tag == Tag::REQUEST_MESSAGE {
                through_typed::<RequestMessage>(&m, |r| {
                    r.batch_items
                        .iter()
                        .filter(|it| !matches!(it.payload, RequestPayload::Other(_)))
                        .count()
                })
            } else {
                through_typed::<ResponseMessage>(&m, |r| {
                    r.batch_items
                        .iter()
                        .filter(|it| !matches!(it.payload, Some(ResponsePayload::Other(_))))
                        .count()
                })
            };
            match result {
                Ok((back, typed, generic)) if back == m => {
                    typed_items += typed;
                    generic_items += generic;
                }
                Ok((back, ..)) => failures.push(format!(
                    "{name} message {i}: re-encoded tree differs\n{}\n---\n{}",
                    kmip_text::to_xml(&m),
                    kmip_text::to_xml(&back)
                )),
                Err(e) => failures.push(format!("{name} message {i}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(messages, 2098);
    println!("{typed_items} typed batch items, {generic_items} generic");
    assert!(typed_items > 1000, "only {typed_items} typed items");
}
