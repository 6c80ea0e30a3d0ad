//! Start-up checks of the node's own certificates, so that a node with an unusable identity
//! says what is wrong instead of failing later with "transport error" or being refused by
//! its peers: the files must read, the private key must belong to the certificate, and the
//! certificate must be valid now. One that expires within [`EXPIRY_WARNING_DAYS`] is logged.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

use crate::error::NodeStartError;

/// A certificate this close to its end is warned about at every start.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Checks one identity (certificate chain and key) as of `now`.
pub fn check_identity(
    role: &'static str,
    cert: &Path,
    key: &Path,
    now: OffsetDateTime,
) -> Result<(), NodeStartError> {
    let fail = |reason: String| NodeStartError::Certificate {
        role,
        path: cert.to_owned(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| fail(format!("cannot read it as PEM: {e}")))?;
    let leaf = chain
        .first()
        .ok_or_else(|| fail("no certificate in the file".to_owned()))?;
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        fail(format!(
            "cannot read its private key {}: {e}",
            key.display()
        ))
    })?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&private).map_err(|e| {
        fail(format!(
            "its private key {} is not a supported key: {e}",
            key.display()
        ))
    })?;
    let certified = rustls::sign::CertifiedKey::new(chain.clone(), signer);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(fail(format!(
            "the private key {} does not belong to this certificate",
            key.display()
        )));
    }
    check_validity(role, leaf, now).map_err(fail)
}

/// Checks that the node's cluster certificate is a node's (`urn:raftkeep:role:node`): its
/// peers would refuse any other. An unmarked one (issued before roles) passes when
/// `accept_unmarked` is set and it allows server authentication.
pub fn check_node_role(cert: &Path, accept_unmarked: bool) -> Result<(), NodeStartError> {
    use raftkeep_net::roles::{Marking, Role};
    let fail = |reason: String| NodeStartError::Certificate {
        role: "cluster",
        path: cert.to_owned(),
        reason,
    };
    let leaf = CertificateDer::pem_file_iter(cert)
        .and_then(|mut it| it.next().transpose())
        .map_err(|e| fail(format!("cannot read it as PEM: {e}")))?
        .ok_or_else(|| fail("no certificate in the file".to_owned()))?;
    match raftkeep_net::roles::marking(leaf.as_ref()).map_err(fail)? {
        Marking::Role(Role::Node) => Ok(()),
        Marking::Unmarked { server_auth: true } if accept_unmarked => {
            tracing::warn!(path = %cert.display(), "this node's certificate predates roles: renew it (raftkeep certs renew node) and then remove accept_unmarked_peers");
            Ok(())
        }
        Marking::Unmarked { .. } => Err(fail(
            "it carries no role (issued before roles): renew it with `raftkeep certs renew node`, or set [tls] accept_unmarked_peers = true while the cluster is upgraded (docs/operations.md)".to_owned(),
        )),
        Marking::Role(other) => Err(fail(format!(
            "it is a certificate of role {}, not a node's: issue one with `raftkeep certs issue-node`",
            other.name()
        ))),
    }
}

fn check_validity(
    role: &'static str,
    leaf: &CertificateDer<'_>,
    now: OffsetDateTime,
) -> Result<(), String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let validity = parsed.validity();
    let (from, until) = (
        validity.not_before.to_datetime(),
        validity.not_after.to_datetime(),
    );
    if now < from {
        return Err(format!(
            "not valid before {from} (now {now}): check this machine's clock"
        ));
    }
    if now > until {
        return Err(format!(
            "expired on {until} (now {now}): renew it (raftkeep certs renew)"
        ));
    }
    // An alert on `raftkeep_certificate_expiry_timestamp_seconds - time() < 30 * 86400`
    // sees a renewal coming on every node, long before a handshake fails.
    metrics::gauge!("raftkeep_certificate_expiry_timestamp_seconds", "certificate" => role)
        .set(until.unix_timestamp() as f64);
    let left = until - now;
    if left.whole_days() < EXPIRY_WARNING_DAYS {
        tracing::warn!(subject = %parsed.subject(), expires = %until, days_left = left.whole_days(), "certificate expires soon");
    }
    Ok(())
}
