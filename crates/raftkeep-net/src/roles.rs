//! Who may use the cluster endpoint. Every certificate the cluster CA issues carries its
//! holder's role as a URI in its subject alternative names (`urn:raftkeep:role:node`,
//! `…:operator`, `…:kmip-client`), written by `raftkeep certs`. The cluster endpoint serves
//! nodes (Raft, forwarded requests) and operators (`raftkeep cluster`, `clients`, `backup`,
//! …) and refuses every other certificate, KMIP clients' above all: a certificate vCenter
//! holds, and shares with its ESXi hosts, must never administer the cluster that keeps its
//! keys.
//!
//! Certificates issued before roles carry no mark. A node accepts such a certificate only
//! when configured to (`[tls] accept_unmarked_peers`, for the upgrade of a cluster made
//! before roles) and only when it allows server authentication — what `issue-server` always
//! wrote for nodes and operators, and `issue-client` and `sign-csr` never did.

use std::sync::Arc;

use tonic::{Request, Status};

/// The prefix of the role URIs.
pub const ROLE_URI_PREFIX: &str = "urn:raftkeep:role:";

/// A certificate holder's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A node of the cluster: serves and dials the cluster endpoint.
    Node,
    /// A person or tool administering the cluster.
    Operator,
    /// A KMIP client (vCenter, an ESXi host, a database): the KMIP port only.
    KmipClient,
}

impl Role {
    /// The role's name, as written in the URI and printed.
    pub fn name(self) -> &'static str {
        match self {
            Role::Node => "node",
            Role::Operator => "operator",
            Role::KmipClient => "kmip-client",
        }
    }

    /// The URI that marks a certificate with this role.
    pub fn uri(self) -> String {
        format!("{ROLE_URI_PREFIX}{}", self.name())
    }

    fn from_uri(uri: &str) -> Option<Role> {
        match uri.strip_prefix(ROLE_URI_PREFIX)? {
            "node" => Some(Role::Node),
            "operator" => Some(Role::Operator),
            "kmip-client" => Some(Role::KmipClient),
            _ => None,
        }
    }
}

/// What a certificate says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marking {
    /// One role mark.
    Role(Role),
    /// No role mark (issued before roles, or by another CA); whether it allows server
    /// authentication.
    Unmarked {
        /// The certificate's extended key usage allows server authentication (or it has none).
        server_auth: bool,
    },
}

/// Reads a certificate's role mark. Several different marks, or an unknown one, are an error:
/// a certificate has one role.
pub fn marking(der: &[u8]) -> Result<Marking, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let mut roles = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::URI(uri) = name
                && uri.starts_with(ROLE_URI_PREFIX)
            {
                let role = Role::from_uri(uri).ok_or_else(|| format!("unknown role {uri}"))?;
                if !roles.contains(&role) {
                    roles.push(role);
                }
            }
        }
    }
    match roles[..] {
        [role] => Ok(Marking::Role(role)),
        [] => {
            let server_auth = match cert.extended_key_usage() {
                Ok(Some(eku)) => eku.value.server_auth || eku.value.any,
                _ => true,
            };
            Ok(Marking::Unmarked { server_auth })
        }
        _ => Err("the certificate carries more than one role".to_owned()),
    }
}

/// The roles one endpoint's services admit, and whether unmarked certificates pass.
#[derive(Debug, Clone)]
pub struct RoleCheck {
    admitted: Arc<[Role]>,
    accept_unmarked: bool,
    service: &'static str,
    /// Leaf certificates already admitted: Raft calls several times a second per peer, and
    /// the verdict depends on the certificate alone, so each is parsed once.
    known: Arc<std::sync::Mutex<std::collections::HashSet<Vec<u8>>>>,
}

/// How many admitted certificates [`RoleCheck`] remembers before it starts over.
const REMEMBERED: usize = 64;

impl RoleCheck {
    /// Raft between nodes: nodes only.
    pub fn raft(accept_unmarked: bool) -> Self {
        RoleCheck {
            admitted: Arc::new([Role::Node]),
            accept_unmarked,
            service: "Raft",
            known: Arc::default(),
        }
    }

    /// Cluster management and forwarded requests: nodes and operators.
    pub fn cluster(accept_unmarked: bool) -> Self {
        RoleCheck {
            admitted: Arc::new([Role::Node, Role::Operator]),
            accept_unmarked,
            service: "cluster",
            known: Arc::default(),
        }
    }

    /// Ok when the leaf certificate `der` may use the service; why not otherwise, with the
    /// certificate an operator should use instead.
    pub fn admits(&self, der: &[u8]) -> Result<(), String> {
        let wanted = || {
            self.admitted
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match marking(der)? {
            Marking::Role(role) if self.admitted.contains(&role) => Ok(()),
            Marking::Role(Role::KmipClient) => Err(format!(
                "this is a KMIP client's certificate: the {} service of the cluster endpoint serves {} certificates only; an operator uses one from `raftkeep certs issue-operator`, KMIP clients use port 5696",
                self.service,
                wanted()
            )),
            Marking::Role(role) => Err(format!(
                "a certificate of role {}: the {} service serves {} certificates only",
                role.name(),
                self.service,
                wanted()
            )),
            Marking::Unmarked { server_auth: true } if self.accept_unmarked => Ok(()),
            Marking::Unmarked { .. } => Err(format!(
                "the certificate carries no Raftkeep role ({ROLE_URI_PREFIX}…): the {} service serves {} certificates only; issue one with `raftkeep certs issue-operator` (or `certs renew`)",
                self.service,
                wanted()
            )),
        }
    }

    /// The interceptor: refuses a request whose TLS peer certificate may not use the service.
    #[allow(clippy::result_large_err, reason = "tonic's interceptor signature")]
    pub fn check(&self, request: Request<()>) -> Result<Request<()>, Status> {
        let certs = request.peer_certs();
        let Some(leaf) = certs.as_ref().and_then(|c| c.first()) else {
            return Err(Status::unauthenticated(
                "no client certificate: the cluster endpoint needs mutual TLS",
            ));
        };
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.contains(leaf.as_ref()) {
            return Ok(request);
        }
        if let Err(why) = self.admits(leaf.as_ref()) {
            metrics::counter!("raftkeep_cluster_refused_certificates_total", "service" => self.service)
                .increment(1);
            tracing::warn!(service = self.service, %why, "refused a certificate on the cluster endpoint");
            return Err(Status::permission_denied(why));
        }
        if known.len() >= REMEMBERED {
            known.clear();
        }
        known.insert(leaf.to_vec());
        drop(known);
        Ok(request)
    }
}

/// The subject and role of the certificate the TLS peer of `request` presented (for records
/// of who did what); an unmarked certificate counts as an operator's.
pub fn peer_subject<T>(request: &Request<T>) -> Option<(String, Role)> {
    let certs = request.peer_certs()?;
    let leaf = certs.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
    let role = match marking(leaf.as_ref()) {
        Ok(Marking::Role(role)) => role,
        _ => Role::Operator,
    };
    Some((cert.subject().to_string(), role))
}

impl tonic::service::Interceptor for RoleCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        self.check(request)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, KeyPair, SanType};

    use super::*;

    fn cert(role: Option<&str>, ekus: Vec<ExtendedKeyUsagePurpose>) -> Vec<u8> {
        let mut params = CertificateParams::new(vec!["x.invalid".to_owned()]).unwrap();
        if let Some(uri) = role {
            params
                .subject_alt_names
                .push(SanType::URI(uri.try_into().unwrap()));
        }
        params.extended_key_usages = ekus;
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};

    #[test]
    fn each_role_is_admitted_where_it_belongs_and_nowhere_else() {
        let node = cert(Some("urn:raftkeep:role:node"), vec![ServerAuth, ClientAuth]);
        let operator = cert(Some("urn:raftkeep:role:operator"), vec![ClientAuth]);
        let client = cert(Some("urn:raftkeep:role:kmip-client"), vec![ClientAuth]);
        for accept_unmarked in [false, true] {
            let (raft, cluster) = (
                RoleCheck::raft(accept_unmarked),
                RoleCheck::cluster(accept_unmarked),
            );
            assert!(raft.admits(&node).is_ok() && cluster.admits(&node).is_ok());
            assert!(raft.admits(&operator).is_err() && cluster.admits(&operator).is_ok());
            assert!(raft.admits(&client).is_err() && cluster.admits(&client).is_err());
        }
    }

    #[test]
    fn unmarked_certificates_pass_only_when_upgrading_and_only_with_server_authentication() {
        let old_node = cert(None, vec![ServerAuth, ClientAuth]);
        let old_client = cert(None, vec![ClientAuth]);
        assert!(RoleCheck::cluster(false).admits(&old_node).is_err());
        assert!(RoleCheck::cluster(true).admits(&old_node).is_ok());
        for accept_unmarked in [false, true] {
            let why = RoleCheck::cluster(accept_unmarked)
                .admits(&old_client)
                .unwrap_err();
            assert!(why.contains("no Raftkeep role"), "{why}");
        }
    }

    #[test]
    fn a_certificate_with_two_roles_or_an_unknown_one_has_none() {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        for uri in ["urn:raftkeep:role:node", "urn:raftkeep:role:kmip-client"] {
            params
                .subject_alt_names
                .push(SanType::URI(uri.try_into().unwrap()));
        }
        let two = params
            .self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .to_vec();
        assert!(marking(&two).is_err());
        assert!(RoleCheck::cluster(true).admits(&two).is_err());
        let unknown = cert(Some("urn:raftkeep:role:root"), vec![ServerAuth]);
        assert!(RoleCheck::cluster(true).admits(&unknown).is_err());
    }
}
