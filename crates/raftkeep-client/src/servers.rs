//! The server list: addresses with an optional site, and the order in which a client at a
//! site tries them (its own site's servers first, then the other sites in their configured
//! order; each site's servers in the order listed).

use std::fmt;
use std::str::FromStr;

use crate::error::ClientError;

/// One KMIP server of the list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Server {
    /// `HOST:PORT`, as dialled; HOST also names the server for TLS.
    pub address: String,
    /// The site the server belongs to, if sites are used.
    pub site: Option<String>,
}

impl Server {
    /// The host part, without brackets around an IPv6 address: the TLS server name.
    pub fn host(&self) -> &str {
        self.address
            .rsplit_once(':')
            .map_or(self.address.as_str(), |(h, _)| h)
            .trim_matches(['[', ']'])
    }
}

impl FromStr for Server {
    type Err = ClientError;

    /// `HOST:PORT` or `HOST:PORT@SITE`.
    fn from_str(s: &str) -> Result<Self, ClientError> {
        let s = s.trim();
        let (address, site) = match s.rsplit_once('@') {
            Some((a, site)) if !site.is_empty() => (a, Some(site.to_owned())),
            Some(_) => {
                return Err(ClientError::Config(format!(
                    "server {s:?}: empty site after '@'"
                )));
            }
            None => (s, None),
        };
        let port_ok = address
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !port_ok {
            return Err(ClientError::Config(format!(
                "server {s:?}: expected HOST:PORT or HOST:PORT@SITE (e.g. kms-a.example:5696@site1)"
            )));
        }
        Ok(Server {
            address: address.to_owned(),
            site,
        })
    }
}

impl TryFrom<String> for Server {
    type Error = ClientError;
    fn try_from(s: String) -> Result<Self, ClientError> {
        s.parse()
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.site {
            Some(site) => write!(f, "{}@{site}", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// Parses a comma-separated list, as `--servers` takes it.
pub fn parse_list(list: &str) -> Result<Vec<Server>, ClientError> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// The sites in the order they first appear in the list.
fn sites(servers: &[Server]) -> Vec<Option<&str>> {
    let mut sites: Vec<Option<&str>> = Vec::new();
    for s in servers {
        if !sites.contains(&s.site.as_deref()) {
            sites.push(s.site.as_deref());
        }
    }
    sites
}

/// The order in which a client at `site` tries `servers`: that site's servers first, then
/// every other site in the order the list names them. Without a site: the list as given.
/// Fails if `site` names no server of the list.
pub fn try_order(servers: &[Server], site: Option<&str>) -> Result<Vec<Server>, ClientError> {
    if servers.is_empty() {
        return Err(ClientError::Config(
            "no KMIP servers configured (give --servers HOST:PORT,...)".to_owned(),
        ));
    }
    let Some(home) = site else {
        return Ok(servers.to_vec());
    };
    let mut order = sites(servers);
    let Some(pos) = order.iter().position(|s| *s == Some(home)) else {
        let known: Vec<String> = order.iter().flatten().map(|s| (*s).to_owned()).collect();
        return Err(ClientError::Config(format!(
            "site {home:?} has no server in the list (sites: {})",
            if known.is_empty() {
                "none; write servers as HOST:PORT@SITE".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    let own = order.remove(pos);
    order.insert(0, own);
    Ok(order
        .into_iter()
        .flat_map(|site| servers.iter().filter(move |s| s.site.as_deref() == site))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(order: &[Server]) -> String {
        order
            .iter()
            .map(|s| s.host().to_owned())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn six() -> Vec<Server> {
        parse_list("a:5696@1,b:5696@1,c:5696@1,d:5696@2,e:5696@2,f:5696@2").unwrap()
    }

    #[test]
    fn a_client_at_site_one_tries_a_to_f() {
        assert_eq!(names(&try_order(&six(), Some("1")).unwrap()), "a,b,c,d,e,f");
    }

    #[test]
    fn a_client_at_site_two_tries_its_own_site_first() {
        assert_eq!(names(&try_order(&six(), Some("2")).unwrap()), "d,e,f,a,b,c");
    }

    #[test]
    fn without_a_site_the_list_is_tried_as_given() {
        let list = parse_list("d:1@2,a:1@1,e:1@2").unwrap();
        assert_eq!(names(&try_order(&list, None).unwrap()), "d,a,e");
    }

    #[test]
    fn other_sites_follow_in_the_order_the_list_names_them() {
        let list = parse_list("a:1@1,d:1@2,g:1@3,b:1@1,h:1@3").unwrap();
        assert_eq!(names(&try_order(&list, Some("3")).unwrap()), "g,h,a,b,d");
    }

    #[test]
    fn an_unknown_site_is_a_configuration_error_naming_the_sites() {
        let err = try_order(&six(), Some("9")).unwrap_err().to_string();
        assert!(err.contains("\"9\"") && err.contains("1, 2"), "{err}");
    }

    #[test]
    fn addresses_without_a_port_are_refused() {
        for bad in ["kms-a", "kms-a:", ":5696", "kms-a:99999", "kms-a:5696@"] {
            assert!(bad.parse::<Server>().is_err(), "{bad}");
        }
        let v6: Server = "[::1]:5696@x".parse().unwrap();
        assert_eq!((v6.host(), v6.site.as_deref()), ("::1", Some("x")));
    }
}
