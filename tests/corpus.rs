//! Every request and response of the 118 OASIS profile test-case files parses, and converts
//! XML → tree → XML, XML → JSON → XML and (placeholders bound) tree → TTLV → tree without loss.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test"
)]

use kmip_text::{Mode, from_json, from_xml, from_xml_test_case, placeholders, to_json, to_xml};
use kmip_ttlv::{Limits, Tag, Ttlv, decode_message, encode};
use raftkeep_tests::{stand_in, test_case_files};

fn all_messages() -> Vec<(String, Ttlv)> {
    let files = test_case_files();
    assert_eq!(
        files.len(),
        168,
        "expected the 68 + 7 KMIP 1.4 and 86 + 7 KMIP 2.1 mandatory and optional test cases"
    );
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let messages = from_xml_test_case(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            messages.len() >= 2 && messages.len().is_multiple_of(2),
            "{name}: {} messages",
            messages.len()
        );
        for (i, m) in messages.into_iter().enumerate() {
            let expected = if i % 2 == 0 {
                Tag::REQUEST_MESSAGE
            } else {
                Tag::RESPONSE_MESSAGE
            };
            assert_eq!(m.tag, expected, "{name} message {i}");
            out.push((format!("{name} message {i}"), m));
        }
    }
    out
}

#[test]
fn every_test_case_message_parses_and_alternates_request_response() {
    let all = all_messages();
    assert_eq!(all.len(), 2098, "1049 requests and 1049 responses");
}

#[test]
fn every_message_round_trips_through_xml() {
    for (name, m) in all_messages() {
        let xml = to_xml(&m);
        let back = from_xml(&xml, Mode::TestCase).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        assert_eq!(back, m, "{name}");
    }
}

#[test]
fn every_message_round_trips_through_json_and_back_to_xml() {
    for (name, m) in all_messages() {
        let json = to_json(&m);
        let back =
            from_json(&json, Mode::TestCase).unwrap_or_else(|e| panic!("{name}: {e}\n{json}"));
        assert_eq!(back, m, "{name}");
        let xml = to_xml(&back);
        assert_eq!(from_xml(&xml, Mode::TestCase).unwrap(), m, "{name}");
    }
}

#[test]
fn every_message_round_trips_through_ttlv_once_placeholders_are_bound() {
    let mut bound_count = 0;
    for (name, mut m) in all_messages() {
        let before = placeholders::placeholders(&m).len();
        assert_eq!(
            placeholders::bind(&mut m, &mut stand_in),
            0,
            "{name}: unbound placeholder"
        );
        bound_count += before;
        let bytes = encode(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back =
            decode_message(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, m, "{name}");
        // A client's XML (no placeholder mode) reads the same tree back.
        assert_eq!(
            from_xml(&to_xml(&back), Mode::Message).unwrap(),
            m,
            "{name}"
        );
    }
    assert!(
        bound_count > 2000,
        "the corpus has thousands of placeholders, bound {bound_count}"
    );
}

#[test]
fn attribute_values_are_named_after_their_attribute() {
    let m = all_messages()
        .into_iter()
        .find(|(n, _)| n == "SKLC-M-1-14.xml message 0")
        .unwrap()
        .1;
    let xml = to_xml(&m);
    assert!(
        xml.contains(r#"<AttributeValue type="Enumeration" value="AES"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<AttributeValue type="Integer" value="Encrypt Decrypt"/>"#),
        "{xml}"
    );
    let json = to_json(&m);
    assert!(json.contains(r#""value": "Encrypt|Decrypt""#), "{json}");
}
