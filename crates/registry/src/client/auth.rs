//! How a [`Client`] authenticates: the registry's `WWW-Authenticate` challenge (learnt once
//! from `GET /v2/`: anonymous, Basic, or Bearer with a realm), the `Authorization` header for a
//! scope, and Bearer tokens fetched from the realm and cached per scope until they expire.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ureq::http::Response;
use ureq::Body;

use super::{
    is_loopback, query_escape, read_small, status_error, status_error_str, Client, Payload,
};
use crate::credentials::Credentials;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Challenge {
    Anonymous,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

#[derive(Debug, Default)]
pub(super) struct AuthState {
    challenge: Option<Challenge>,
    /// Bearer tokens by scope, with their expiry.
    tokens: HashMap<String, (crate::credentials::Secret, Instant)>,
}

impl Client {
    /// Takes the challenge of a 401 answer, when it has one, as how the registry
    /// authenticates from now on.
    pub(super) fn learn_challenge(&self, resp: &Response<Body>) {
        if let Some(c) = parse_challenge(resp) {
            let mut st = self.lock();
            if st.challenge.as_ref() != Some(&c) {
                st.challenge = Some(c);
            }
        }
    }

    /// Learns how the registry authenticates (`GET /v2/`), once.
    pub(super) fn challenge(&self) -> Result<Challenge> {
        if let Some(c) = self.lock().challenge.clone() {
            return Ok(c);
        }
        let url = self.url("");
        let mut attempt = 0;
        let resp = loop {
            match self.raw("GET", &url, &[], None, Payload::None) {
                Ok(r) if r.status().as_u16() < 500 => break r,
                Ok(r) if attempt + 1 >= self.max_attempts => {
                    self.gave_up.store(true, Ordering::Relaxed);
                    return Err(status_error("GET", &url, r, "200 or 401 from the API root"));
                }
                Err(e) if !e.is_transient() || attempt + 1 >= self.max_attempts => {
                    self.gave_up.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                Err(e) => self.retrying("reaching the registry", attempt + 2, &e),
                Ok(r) => self.retrying(
                    "reaching the registry",
                    attempt + 2,
                    &status_error("GET", &url, r, "200 or 401 from the API root"),
                ),
            }
            std::thread::sleep(self.delay(attempt));
            attempt += 1;
        };
        let c = match resp.status().as_u16() {
            200..=299 => Challenge::Anonymous,
            401 => parse_challenge(&resp).ok_or_else(|| Error::Protocol {
                request: format!("GET {url}"),
                reason: "401 without a Basic or Bearer WWW-Authenticate challenge".into(),
            })?,
            _ => {
                return Err(status_error(
                    "GET",
                    &url,
                    resp,
                    "200 or 401 from the API root (is this an OCI registry?)",
                ))
            }
        };
        self.lock().challenge = Some(c.clone());
        Ok(c)
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `Authorization` value for `scope`, fetching a token when needed.
    pub(super) fn authorization(&self, scope: &str, fresh: bool) -> Result<Option<String>> {
        match self.challenge()? {
            Challenge::Anonymous => Ok(None),
            Challenge::Basic => Ok(self
                .credentials
                .as_ref()
                .and_then(Credentials::basic_header)),
            Challenge::Bearer { realm, service } => {
                if !fresh {
                    if let Some((tok, exp)) = self.lock().tokens.get(scope) {
                        if *exp > Instant::now() {
                            return Ok(Some(format!("Bearer {}", tok.expose())));
                        }
                    }
                }
                let (token, ttl) = self.fetch_token(&realm, service.as_deref(), scope)?;
                let header = format!("Bearer {}", token.expose());
                let expiry = Instant::now() + ttl.saturating_sub(Duration::from_secs(10));
                self.lock()
                    .tokens
                    .insert(scope.to_string(), (token, expiry));
                Ok(Some(header))
            }
        }
    }

    pub(super) fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<(crate::credentials::Secret, Duration)> {
        if let Some(host) = realm
            .strip_prefix("http://")
            .map(|r| r.split('/').next().unwrap_or(r))
        {
            let allowed = is_loopback(host) || self.insecure.iter().any(|h| h == host);
            if !allowed && self.credentials.is_some() {
                return Err(Error::Auth {
                    registry: self.registry.clone(),
                    reason: format!(
                        "the token service http://{host} is not encrypted, and credentials are never sent in clear text to a host that is neither loopback nor listed as insecure"
                    ),
                });
            }
        }
        let mut url = realm.to_string();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        if let Some(s) = service {
            url.push_str(&format!("{sep}service={}", query_escape(s)));
            sep = '&';
        }
        // Several scopes (a cross-repository mount needs two) are separate parameters.
        for one in scope.split(' ').filter(|s| !s.is_empty()) {
            url.push_str(&format!("{sep}scope={}", query_escape(one)));
            sep = '&';
        }
        let (resp, what) = match &self.credentials {
            Some(Credentials::IdentityToken { token, .. }) => {
                let mut form = format!(
                    "grant_type=refresh_token&client_id=dockerflow&refresh_token={}",
                    query_escape(token.expose())
                );
                if let Some(s) = service {
                    form.push_str(&format!("&service={}", query_escape(s)));
                }
                for one in scope.split(' ').filter(|s| !s.is_empty()) {
                    form.push_str(&format!("&scope={}", query_escape(one)));
                }
                (
                    self.raw(
                        "POST",
                        realm,
                        &[],
                        None,
                        Payload::Bytes(form.as_bytes(), "application/x-www-form-urlencoded"),
                    )?,
                    format!("POST {realm}"),
                )
            }
            other => {
                let basic = other.as_ref().and_then(Credentials::basic_header);
                (
                    self.raw("GET", &url, &[], basic.as_deref(), Payload::None)?,
                    format!("GET {url}"),
                )
            }
        };
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(self.rejected(status));
        }
        if !(200..300).contains(&status) {
            return Err(status_error_str(&what, resp, "200 with a token"));
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let body = read_small(resp, 1 << 20, &what)?;
        let t: TokenAnswer = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
            request: what.clone(),
            reason: format!("the token answer is not JSON with a token: {e}"),
        })?;
        let token = t
            .token
            .filter(|s| !s.is_empty())
            .or(t.access_token)
            .ok_or_else(|| Error::Protocol {
                request: what,
                reason: "the token answer has neither token nor access_token".into(),
            })?;
        Ok((
            crate::credentials::Secret::new(token),
            Duration::from_secs(t.expires_in.unwrap_or(60).max(60)),
        ))
    }

    pub(super) fn rejected(&self, status: u16) -> Error {
        Error::Auth {
            registry: self.registry.clone(),
            reason: match &self.credentials {
                Some(c) => format!(
                    "the registry refused the credentials from {} ({status}); check the user name and password",
                    c.source()
                ),
                None => format!(
                    "the registry requires credentials ({status}) and none were found; set {}/{} or run `docker login {}`",
                    crate::credentials::ENV_USER,
                    crate::credentials::ENV_PASSWORD,
                    self.registry
                ),
            },
        }
    }
}

fn parse_challenge(resp: &Response<Body>) -> Option<Challenge> {
    resp.headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(parse_challenge_value)
}

fn parse_challenge_value(value: &str) -> Option<Challenge> {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(rest);
    let realm = params.get("realm")?.clone();
    Some(Challenge::Bearer {
        realm,
        service: params.get("service").cloned(),
    })
}

/// `k="v", k2=v2` (quoted values may hold commas).
fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (q[..end].to_string(), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.insert(key, value);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            parse_challenge_value(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            })
        );
        assert_eq!(
            parse_challenge_value(r#"Basic realm="basic-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge_value("Negotiate"), None);
    }
}
