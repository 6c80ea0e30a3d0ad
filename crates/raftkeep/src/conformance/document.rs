//! Reading a test-case file as OASIS published it: the KMIP 1.4 and 2.1 profile cases are one
//! `<KMIP>` document of messages, but the test-case documents of KMIP 1.0 to 1.4 also carry
//! notes between the messages (`# TIME 0`, `# [Client-A] ...`), conversations of several
//! clients, and messages written as the hex of their TTLV encoding. Notes are read for the
//! speaker they name and otherwise skipped; each client's requests go on its own connection.

use kmip_ttlv::{Limits, Tag, Ttlv};

/// One request and the response the case expects, and who sends it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The speaker the notes named ("A" for `# [Client-A]`); "A" when none is named.
    pub client: String,
    /// The request.
    pub request: Ttlv,
    /// The expected response.
    pub response: Ttlv,
}

/// A message and its speaker, in file order.
struct Said {
    client: String,
    message: Ttlv,
}

/// The speaker a note names: `[Client-B]` → "B".
fn speaker(note: &str) -> Option<String> {
    let start = note.find("[Client-")? + "[Client-".len();
    let rest = note.get(start..)?;
    let end = rest.find(']')?;
    let name = rest.get(..end)?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Whether a line is (part of) a message written in hex: hex digits and spaces only. A
/// message starts with the tag of a Request or Response Message.
fn hex_line(line: &str) -> Option<String> {
    let digits: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() >= 16 && digits.chars().all(|c| c.is_ascii_hexdigit())).then_some(digits)
}

fn starts_message(hex: &str) -> bool {
    let lower = hex.to_ascii_lowercase();
    lower.starts_with("42007801") || lower.starts_with("42007b01")
}

/// The messages of an XML segment, which may lack the `<KMIP>` root.
fn xml_messages(segment: &str) -> Result<Vec<Ttlv>, String> {
    if segment.trim().is_empty() {
        return Ok(Vec::new());
    }
    let wrapped;
    let text = if segment.contains("<KMIP") {
        segment
    } else {
        wrapped = format!("<KMIP>{segment}</KMIP>");
        &wrapped
    };
    kmip_text::xml::from_xml_test_case(text).map_err(|e| e.to_string())
}

/// Reads every message of a file, with its speaker.
fn messages(text: &str) -> Result<Vec<Said>, String> {
    let mut out = Vec::new();
    let mut client = "A".to_owned();
    let mut xml = String::new();
    let mut hex = String::new();
    let flush_xml = |xml: &mut String, client: &str, out: &mut Vec<Said>| {
        for message in xml_messages(xml)? {
            out.push(Said {
                client: client.to_owned(),
                message,
            });
        }
        xml.clear();
        Ok::<(), String>(())
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(note) = trimmed.strip_prefix('#') {
            flush_xml(&mut xml, &client, &mut out)?;
            if let Some(who) = speaker(note) {
                client = who;
            }
            continue;
        }
        match hex_line(trimmed) {
            Some(digits) if !hex.is_empty() || starts_message(&digits) => {
                flush_xml(&mut xml, &client, &mut out)?;
                hex.push_str(&digits);
                if let Some(message) = complete(&hex)? {
                    out.push(Said {
                        client: client.clone(),
                        message,
                    });
                    hex.clear();
                }
            }
            _ => {
                if !hex.is_empty() {
                    return Err(format!(
                        "a message in hex ends before its length ({} hex digits)",
                        hex.len()
                    ));
                }
                xml.push_str(line);
                xml.push('\n');
            }
        }
    }
    if !hex.is_empty() {
        return Err("the file ends inside a message written in hex".to_owned());
    }
    flush_xml(&mut xml, &client, &mut out)?;
    Ok(out)
}

/// The message `hex` holds once it holds all of it.
fn complete(hex: &str) -> Result<Option<Ttlv>, String> {
    let bytes = hex::decode(hex).map_err(|e| format!("a message in hex: {e}"))?;
    let Some(len) = bytes
        .get(4..8)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
    else {
        return Ok(None);
    };
    let whole = usize::try_from(len).map_err(|e| e.to_string())? + 8;
    if bytes.len() < whole {
        return Ok(None);
    }
    kmip_ttlv::decode_message(&bytes, &Limits::default())
        .map(Some)
        .map_err(|e| format!("a message in hex does not decode: {e}"))
}

/// The file's exchanges: each client's request paired with the response that follows it.
pub fn exchanges(text: &str) -> Result<Vec<Exchange>, String> {
    let mut out = Vec::new();
    let mut open: Vec<(String, Ttlv)> = Vec::new();
    for Said { client, message } in messages(text)? {
        if message.tag == Tag::REQUEST_MESSAGE {
            if open.iter().any(|(c, _)| *c == client) {
                return Err(format!(
                    "client {client} sends a request before the response to its last one"
                ));
            }
            open.push((client, message));
        } else if message.tag == Tag::RESPONSE_MESSAGE {
            // The response answers its speaker's request, or the only one outstanding.
            let at = open
                .iter()
                .position(|(c, _)| *c == client)
                .or_else(|| (open.len() == 1).then_some(0))
                .ok_or_else(|| format!("a response for client {client}, which sent no request"))?;
            let (client, request) = open.remove(at);
            out.push(Exchange {
                client,
                request,
                response: message,
            });
        } else {
            return Err(format!(
                "expected a RequestMessage or ResponseMessage, found {}",
                message.tag
            ));
        }
    }
    if let Some((client, _)) = open.first() {
        return Err(format!("client {client}'s last request has no response"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"<RequestMessage>
  <RequestHeader>
    <ProtocolVersion>
      <ProtocolVersionMajor type="Integer" value="1"/>
      <ProtocolVersionMinor type="Integer" value="0"/>
    </ProtocolVersion>
    <BatchCount type="Integer" value="1"/>
  </RequestHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Query"/>
    <RequestPayload>
      <QueryFunction type="Enumeration" value="QueryOperations"/>
    </RequestPayload>
  </BatchItem>
</RequestMessage>"#;

    const RESPONSE: &str = r#"<ResponseMessage>
  <ResponseHeader>
    <ProtocolVersion>
      <ProtocolVersionMajor type="Integer" value="1"/>
      <ProtocolVersionMinor type="Integer" value="0"/>
    </ProtocolVersion>
    <TimeStamp type="DateTime" value="$NOW"/>
    <BatchCount type="Integer" value="1"/>
  </ResponseHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Query"/>
    <ResultStatus type="Enumeration" value="Success"/>
  </BatchItem>
</ResponseMessage>"#;

    fn hex_of(xml: &str) -> String {
        let m = kmip_text::xml::from_xml_test_case(&format!("<KMIP>{xml}</KMIP>")).unwrap();
        hex::encode(kmip_ttlv::encode(&m[0]).unwrap())
    }

    #[test]
    fn notes_are_skipped_and_name_the_speaker_of_what_follows() {
        let text = format!(
            "# TIME 0\n# [Client-A] asks what the server supports\n{REQUEST}\n{RESPONSE}\n\
             # TIME 1\n# [Client-B] asks too\n{REQUEST}\n{RESPONSE}\n"
        );
        let ex = exchanges(&text).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!((ex[0].client.as_str(), ex[1].client.as_str()), ("A", "B"));
        assert_eq!(ex[1].request.tag, Tag::REQUEST_MESSAGE);
    }

    #[test]
    fn messages_written_in_hex_over_several_lines_are_read() {
        let request = hex_of(REQUEST);
        let (first, rest) = request.split_at(40);
        // Written in groups, as the documents print them.
        let spaced: String = rest
            .as_bytes()
            .chunks(2)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!("# [Client-A]\n{first}\n{spaced}\n{RESPONSE}\n");
        let ex = exchanges(&text).unwrap();
        assert_eq!(ex.len(), 1);
        assert_eq!(
            kmip_ttlv::encode(&ex[0].request).unwrap(),
            hex::decode(&request).unwrap()
        );
    }

    #[test]
    fn interleaved_clients_get_their_own_responses() {
        let text = format!(
            "# [Client-A]\n{REQUEST}\n# [Client-B]\n{REQUEST}\n# [Client-A]\n{RESPONSE}\n# [Client-B]\n{RESPONSE}\n"
        );
        let ex = exchanges(&text).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].client, "A");
        assert_eq!(ex[1].client, "B");
    }

    #[test]
    fn a_document_of_the_profiles_format_reads_as_before() {
        let text = format!("<KMIP>\n<!-- a comment -->\n{REQUEST}\n{RESPONSE}\n</KMIP>\n");
        assert_eq!(exchanges(&text).unwrap().len(), 1);
    }

    #[test]
    fn a_truncated_hex_message_is_an_error_not_a_pass() {
        let request = hex_of(REQUEST);
        let text = format!("{}\n", &request[..request.len() - 8]);
        assert!(exchanges(&text).unwrap_err().contains("hex"));
    }
}
