//! The address of the client behind a request: the TCP peer, or, when the peer is one of
//! `http.trusted_proxies`, the nearest address in `X-Forwarded-For` that is not a trusted
//! proxy. Anyone else's `X-Forwarded-For` is ignored, so a client cannot choose the address
//! that login throttling, registration limits and the admin API see.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client's address, as text (empty when the peer is unknown).
pub fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    resolve(peer, forwarded_for(req), trusted).to_string()
}

/// Every address of every `X-Forwarded-For` header, in order (client first).
fn forwarded_for(req: &HttpRequest) -> Vec<IpAddr> {
    req.headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect()
}

/// Walks from the peer back through the forwarded chain while each hop is a trusted proxy.
fn resolve(peer: IpAddr, chain: Vec<IpAddr>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|n| n.contains(a));
    let mut client = peer;
    for hop in chain.into_iter().rev() {
        if !is_trusted(&client) {
            break;
        }
        client = hop;
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let forged = vec![ip("1.2.3.4")];
        // Straight from the client: its header is ignored.
        assert_eq!(
            resolve(ip("203.0.113.9"), forged.clone(), &trusted),
            ip("203.0.113.9")
        );
        // Through our proxy: the client it saw.
        assert_eq!(
            resolve(ip("10.1.1.1"), vec![ip("198.51.100.7")], &trusted),
            ip("198.51.100.7")
        );
        // A client that prepends a forged address to what our proxy appends gets its real one.
        let chain = vec![ip("1.2.3.4"), ip("198.51.100.7")];
        assert_eq!(resolve(ip("10.1.1.1"), chain, &trusted), ip("198.51.100.7"));
        // Two proxies of ours in a row.
        let chain = vec![ip("198.51.100.7"), ip("10.2.2.2")];
        assert_eq!(resolve(ip("10.1.1.1"), chain, &trusted), ip("198.51.100.7"));
        // No trusted proxies: never the header.
        assert_eq!(resolve(ip("10.1.1.1"), forged, &[]), ip("10.1.1.1"));
    }
}
