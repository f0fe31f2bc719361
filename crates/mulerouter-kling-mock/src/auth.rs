//! `Authorization: Bearer …`, checked the way the service does: the token must look like a
//! MuleRouter key (`sk-mr-` and more), and when the mock was given one key, it must be that
//! key exactly.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use http::HeaderMap;
use http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

/// What every MuleRouter key starts with.
pub(crate) const KEY_PREFIX: &str = "sk-mr-";

/// The key the mock suggests when any well-formed key will do.
pub(crate) const SAMPLE_KEY: &str = "sk-mr-test";

/// Which bearer tokens the mock accepts.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Keys {
    /// Any token shaped like a MuleRouter key (the default: tests need no real key).
    Any,
    /// Exactly this one.
    Only(String),
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("Any"),
            // A key in a test is still a key: keep it out of logs.
            Self::Only(_) => f.write_str("Only(<redacted>)"),
        }
    }
}

/// Whether `token` is shaped like a MuleRouter key: `sk-mr-` and at least one more visible
/// character of `[A-Za-z0-9_-]`.
pub(crate) fn is_key_shaped(token: &str) -> bool {
    token.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Who sent an API request, known by its bearer key: what a fault or a reset can be scoped
/// to, so that test suites sharing one mock each use a key of their own and do not meet
/// each other's faults. Held as a hash of the key under a secret drawn at start, so a task
/// keeps no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller(u64);

impl Caller {
    /// The caller that sends `key`.
    pub(crate) fn of_key(key: &str) -> Self {
        static SECRET: OnceLock<RandomState> = OnceLock::new();
        Self(SECRET.get_or_init(RandomState::new).hash_one(key))
    }

    /// The caller of a request: the bearer key it sends, if it sends exactly one.
    pub(crate) fn of(headers: &HeaderMap) -> Option<Self> {
        bearer(headers).ok().map(Self::of_key)
    }
}

/// The token of the request's one `Authorization: Bearer …` header; `Err` holds the 401
/// detail.
fn bearer(headers: &HeaderMap) -> Result<&str, &'static str> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(AUTHORIZATION) {
            "Invalid Authorization header format: send exactly one Authorization header"
        } else {
            "Missing Authorization header: send `Authorization: Bearer <your MuleRouter key>`"
        });
    };
    value
        .to_str()
        .ok()
        .and_then(|text| {
            let (scheme, token) = text.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .filter(|token| !token.is_empty() && !token.contains(char::is_whitespace))
        .ok_or("Invalid Authorization header format: send `Authorization: Bearer sk-mr-…`")
}

impl Keys {
    /// A key that passes: the one configured, or [`SAMPLE_KEY`].
    pub(crate) fn suggestion(&self) -> &str {
        match self {
            Self::Any => SAMPLE_KEY,
            Self::Only(key) => key,
        }
    }

    /// `Err` holds the 401 detail.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let token = bearer(headers)?;
        match self {
            // The comparison takes as long whatever prefix matches; only the lengths show.
            Self::Only(key) if bool::from(key.as_bytes().ct_eq(token.as_bytes())) => Ok(()),
            _ if !is_key_shaped(token) => Err(
                "Invalid API key: a MuleRouter key starts with `sk-mr-` followed by letters, digits, `-` or `_`",
            ),
            Self::Any => Ok(()),
            Self::Only(_) => Err("Invalid API key: this is not the key the mock was started with"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn check(keys: &Keys, values: &[&[u8]]) -> Result<(), &'static str> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("authorization", HeaderValue::from_bytes(value).unwrap());
        }
        keys.check(&headers)
    }

    #[test]
    fn any_bearer_token_shaped_like_a_key_passes_by_default() {
        assert_eq!(check(&Keys::Any, &[b"Bearer sk-mr-x"]), Ok(()));
        assert_eq!(check(&Keys::Any, &[b"bearer  sk-mr-ci_2 "]), Ok(()));
    }

    #[test]
    fn a_token_not_shaped_like_a_key_is_refused_with_what_is_expected() {
        for token in ["SOME-INVALID-VALUE", "k", "sk-mr-", "sk-mr-a.b", "SK-MR-x"] {
            let header = format!("Bearer {token}");
            let detail = check(&Keys::Any, &[header.as_bytes()]).unwrap_err();
            assert!(detail.contains("starts with `sk-mr-`"), "{token}: {detail}");
        }
    }

    #[test]
    fn missing_and_malformed_headers_are_refused() {
        assert!(check(&Keys::Any, &[]).unwrap_err().starts_with("Missing"));
        for bad in [
            &b"sk-mr-x"[..],
            b"Basic abc",
            b"Bearer ",
            b"Bearer a b",
            b"Bearer \xff",
        ] {
            let detail = check(&Keys::Any, &[bad]).unwrap_err();
            assert!(
                detail.starts_with("Invalid Authorization header format"),
                "{bad:?}"
            );
        }
        assert!(check(&Keys::Any, &[b"Bearer sk-mr-a", b"Bearer sk-mr-b"]).is_err());
    }

    #[test]
    fn one_configured_key_admits_only_itself_and_stays_out_of_debug_output() {
        let only = Keys::Only("sk-mr-right".into());
        assert!(
            check(&only, &[b"Bearer sk-mr-wrong"])
                .unwrap_err()
                .contains("not the key")
        );
        assert!(check(&only, &[b"Bearer sk-mr-righ"]).is_err());
        assert_eq!(check(&only, &[b"Bearer sk-mr-right"]), Ok(()));
        assert!(!format!("{only:?}").contains("right"));
        assert_eq!(only.suggestion(), "sk-mr-right");
        assert_eq!(Keys::Any.suggestion(), SAMPLE_KEY);
    }
}
