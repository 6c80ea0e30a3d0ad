//! Decode and encode of the vCenter 7.0.3 Create and Get messages, bytes <-> typed messages.
//!
//! Run: `cargo bench -p kmip-messages --bench vcenter`. Results go to docs/benchmarks.md.

#![allow(
    clippy::expect_used,
    reason = "a benchmark without its input is a setup bug: stop loudly"
)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use kmip_messages::Message as _;
use kmip_messages::{RequestMessage, ResponseMessage};
use kmip_ttlv::Limits;

/// The first message whose capture comment line ends with `label`.
fn captured(label: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/vcenter/vcenter-7.0.3-session.hex");
    let text = std::fs::read_to_string(path).expect("the vCenter capture in tests/fixtures");
    let mut lines = text
        .lines()
        .skip_while(|l| !(l.starts_with('#') && l.ends_with(label)));
    lines.next();
    let hex_line = lines
        .find(|l| !l.trim().is_empty())
        .expect("a message after the label");
    hex::decode(hex_line.trim()).expect("hex")
}

fn bench(c: &mut Criterion) {
    let limits = Limits::default();
    let requests = [
        ("create_request", captured("REQ ops=CREATE")),
        ("get_request", captured("REQ ops=GET")),
    ];
    let responses = [
        ("create_response", captured("RSP ops=CREATE")),
        ("get_response", captured("RSP ops=GET")),
    ];
    let mut g = c.benchmark_group("vcenter");
    for (name, bytes) in &requests {
        let typed = RequestMessage::decode(bytes, &limits).expect("a valid request");
        g.bench_function(format!("decode_{name}"), |b| {
            b.iter(|| RequestMessage::decode(black_box(bytes), &limits))
        });
        g.bench_function(format!("encode_{name}"), |b| {
            b.iter(|| black_box(&typed).encode())
        });
    }
    for (name, bytes) in &responses {
        let typed = ResponseMessage::decode(bytes, &limits).expect("a valid response");
        g.bench_function(format!("decode_{name}"), |b| {
            b.iter(|| ResponseMessage::decode(black_box(bytes), &limits))
        });
        g.bench_function(format!("encode_{name}"), |b| {
            b.iter(|| black_box(&typed).encode())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
