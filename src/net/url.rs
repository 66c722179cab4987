//! Where requests go: the settings, events and gateway endpoints (§3), and URL assembly.

use std::fmt::Write;

/// A scheme, host and optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `https` or `http`.
    pub scheme: String,
    /// Host name or address.
    pub host: String,
    /// Port, when not the scheme's default.
    pub port: Option<u16>,
}

impl Origin {
    /// Parses `scheme://host[:port][/path...]`, keeping scheme, host and port (the official
    /// SDK drops any path). A URL without a scheme is an error.
    pub fn parse(url: &str) -> Result<Origin, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("URL {url:?} has no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("URL {url:?}: scheme must be http or https"));
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let (h, after) = stripped
                .split_once(']')
                .ok_or_else(|| format!("URL {url:?}: bad IPv6 host"))?;
            (format!("[{h}]"), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("URL {url:?} has no host"));
        }
        let port = match port {
            Some("") | None => None,
            Some(p) => Some(p.parse::<u16>().map_err(|_| format!("URL {url:?}: bad port {p:?}"))?),
        };
        Ok(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// `scheme://host[:port]`.
    pub fn base(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{}", self.scheme, self.host, p),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }
}

/// The VWO host for settings and events.
pub const VWO_HOST: &str = "dev.visualwebsiteoptimizer.com";

/// Request paths.
pub mod paths {
    /// Settings fetch (init, polling).
    pub const SETTINGS: &str = "/server-side/v2-settings";
    /// Settings fetch on a webhook.
    pub const SETTINGS_WEBHOOK: &str = "/server-side/v2-pull";
    /// Single events.
    pub const EVENTS: &str = "/events/t";
    /// Batches of events.
    pub const BATCH: &str = "/server-side/batch-events-v2";
    /// Gateway: user-agent and location lookup.
    pub const USER_DETAILS: &str = "/get-user-details";
    /// Gateway: list membership (`inlist`).
    pub const CHECK_ATTRIBUTE: &str = "/check-attribute";
    /// Gateway: alias lookup.
    pub const GET_ALIAS: &str = "/user-alias/getAliasUserId";
    /// Gateway: alias set.
    pub const SET_ALIAS: &str = "/user-alias/setUserAlias";
}

/// Appends `?k=v&...` with each key and value percent-encoded (RFC 3986 unreserved
/// characters stay as they are). The official SDK leaves `&`, `=` and `+` unencoded, which
/// corrupts values that contain them; encoding them keeps the same decoded values.
pub fn with_query(base: &str, path: &str, query: &[(String, String)]) -> String {
    let mut url = String::with_capacity(base.len() + path.len() + 16 * query.len());
    url.push_str(base);
    url.push_str(path);
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        encode_into(k, &mut url);
        url.push('=');
        encode_into(v, &mut url);
    }
    url
}

/// Percent-encodes `s` into `out`.
pub fn encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Percent-encodes `s`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_keep_scheme_host_and_port_only() {
        assert_eq!(
            Origin::parse("http://127.0.0.1:8089/some/path?x").unwrap(),
            Origin {
                scheme: "http".into(),
                host: "127.0.0.1".into(),
                port: Some(8089)
            }
        );
        assert_eq!(
            Origin::parse("HTTPS://Gateway.Example.com").unwrap().base(),
            "https://gateway.example.com"
        );
        assert_eq!(
            Origin::parse("https://[::1]:9000/x").unwrap().base(),
            "https://[::1]:9000"
        );
        assert!(Origin::parse("gateway.example.com").is_err());
        assert!(Origin::parse("ftp://x").is_err());
        assert!(Origin::parse("http://h:99999").is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let q = vec![
            ("en".to_string(), "a b&c=d+é".to_string()),
            ("ua".to_string(), "Mozilla/5.0 (X)".to_string()),
        ];
        assert_eq!(
            with_query("http://h", "/events/t", &q),
            "http://h/events/t?en=a%20b%26c%3Dd%2B%C3%A9&ua=Mozilla%2F5.0%20%28X%29"
        );
    }
}
